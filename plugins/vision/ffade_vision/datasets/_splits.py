"""The split lookup shared by the image datasets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import SPLITS, disjoint_split_indices


def split_indices(
    plugin: str, n: int, fractions: Sequence[float], seed: int
) -> dict[str, np.ndarray]:
    """Seeded disjoint indices per split; an error names the dataset if the fractions are wrong."""
    return disjoint_split_indices(n, fractions, seed, what=f"dataset '{plugin}': split fractions")


def check_split_name(plugin: str, name: str) -> None:
    """Raise a one-line error for a split name outside :data:`ffade.plugin_api.SPLITS`."""
    if name not in SPLITS:
        raise FfadeError(
            f"dataset '{plugin}': unknown split {as_written(name)}; splits: {', '.join(SPLITS)}"
        )
