"""The explorers' training data: none. Lightning's loop still wants a dataloader to step on."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from torch.utils.data import IterableDataset


class Ticks(IterableDataset):
    """An endless stream of step numbers: explorers make their own data, the budget ends it."""

    def __iter__(self) -> Iterator[int]:
        return itertools.count()
