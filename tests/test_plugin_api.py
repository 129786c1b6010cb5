"""The contract's shared helpers."""

from __future__ import annotations

import numpy as np
import pytest

from ffade.errors import FfadeError
from ffade.plugin_api import disjoint_split_indices


@pytest.mark.parametrize("n", [10, 97, 1797])
def test_splits_are_disjoint_and_seeded(n: int) -> None:
    splits = disjoint_split_indices(n, (0.5, 0.3, 0.2), seed=3)
    sets = [set(v.tolist()) for v in splits.values()]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    again = disjoint_split_indices(n, (0.5, 0.3, 0.2), seed=3)
    assert all(np.array_equal(splits[k], again[k]) for k in splits)


def test_bad_fractions_are_refused() -> None:
    with pytest.raises(FfadeError, match="summing to at most 1"):
        disjoint_split_indices(10, (0.8, 0.3, 0.2), seed=0)
