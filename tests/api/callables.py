"""Plain functions a config names as ``module:function`` (tests/api/test_callable_target.py)."""

from __future__ import annotations

import numpy as np


def margin(batch: dict) -> np.ndarray:
    """The synthetic task's inputs -> a margin that is negative far out on the first axis."""
    return (0.7 - batch["coords"][:, 0]).numpy()


def first_axis(batch: dict) -> np.ndarray:
    """Features: each input's own feature vector (what the synthetic target also exposes)."""
    return batch["features"]
