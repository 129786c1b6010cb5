"""Plain functions a config names as ``module:function`` (tests/api/test_callable_target.py)."""

from __future__ import annotations

import os
import time

import numpy as np


def margin(batch: dict) -> np.ndarray:
    """The synthetic task's inputs -> a margin that is negative far out on the first axis."""
    return (0.7 - batch["coords"][:, 0]).numpy()


def first_axis(batch: dict) -> np.ndarray:
    """Features: each input's own feature vector (what the synthetic target also exposes)."""
    return batch["features"]


def nan_far_out(batch: dict) -> np.ndarray:
    """:func:`margin`, but NaN (an invalid evaluation) beyond 0.5 on the first axis."""
    coords = batch["coords"][:, 0].numpy()
    return np.where(coords > 0.5, np.nan, 0.3 - coords)


def crashes(batch: dict) -> np.ndarray:
    """A model that fails on every batch, as a broken checkpoint or device would."""
    raise RuntimeError("planted crash")


CALLS = [0]


def crashes_at_env_call(batch: dict) -> np.ndarray:
    """:func:`margin`, but the call numbered by ``FFADE_TEST_CRASH_AT`` raises (a crash mid-run);
    without that variable, :func:`margin` throughout (the crashed run resumed once fixed)."""
    CALLS[0] += 1
    if CALLS[0] == int(os.environ.get("FFADE_TEST_CRASH_AT") or 0):
        raise RuntimeError("planted crash mid-run")
    return margin(batch)


SLOW_MODEL_SECONDS = 0.02


def slow_margin(batch: dict) -> np.ndarray:
    """:func:`margin` after :data:`SLOW_MODEL_SECONDS` of sleep: a model whose time is known."""
    time.sleep(SLOW_MODEL_SECONDS)
    return margin(batch)


def all_nan(batch: dict) -> np.ndarray:
    """A model whose every score is NaN (a diverged checkpoint): no evaluation is valid."""
    return np.full(len(batch["coords"]), np.nan)
