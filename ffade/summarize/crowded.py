"""Which states a crowded 3D picture draws: the highest values, ties at the cut spread evenly.

A 3D scatter of more than ``plots.MAX_POINTS`` states draws only the highest. Taking the first
of the states tied at the cut, in grid order, drew a block of the grid: a uniform policy of 8,000
states showed as the lower half of the cube, as if the explorer had preferred it, and a grid of
many 0% states showed its passing states crowded at one end. The tied states are taken evenly
spaced over the grid instead, so a level stretch reads as level.
"""

from __future__ import annotations

import numpy as np

TIE_RTOL = 1e-9
"""Values this close (relative) are one level: a pooled probability sums in another order."""


def highest(values: np.ndarray, count: int) -> np.ndarray:
    """Indices (ascending) of the ``count`` highest of ``values``, every value above the cut
    and, of those tied at it, ``count`` less those evenly spaced in grid order."""
    values = np.asarray(values, dtype=float)
    if count >= len(values):
        return np.arange(len(values))
    cut = values[np.argsort(-values, kind="stable")[count - 1]]
    tied = np.isclose(values, cut, rtol=TIE_RTOL, atol=0.0)
    above = np.flatnonzero((values > cut) & ~tied)
    candidates = np.flatnonzero(tied)
    need = count - len(above)  # >= 1: the cut itself is tied
    # floor(x + 0.5) keeps evenly spaced positions (steps >= 1) apart, as round-half-even may not
    spaced = np.floor(np.linspace(0, len(candidates) - 1, need) + 0.5).astype(int)
    return np.sort(np.concatenate([above, candidates[spaced]]))
