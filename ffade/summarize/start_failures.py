"""Failures that need no change: a run whose every failure is at the state it starts from.

A microscopic run evaluates each input at its start state first, so inputs that fail unchanged
(a classifier's clean mistakes) are found at once. Where they are all the failures there are,
no rule can name a range of concept values that fails, and the run said only "no failure rule
found" (``ffade fit``) or "as when failures are spread thin over many states" (``ffade report``),
which read as a search that missed something. The truth is that those inputs need no change to
fail, and this module says so, in one sentence both commands use.

Nor is there anything to rank there: a fine-tune on the neutral state trains on the inputs
unchanged. ``ffade report`` offered ``ffade feedback --slices regions`` next all the same, and
feedback asked about that one region as about any other; both now say what it is
(:data:`UNCHANGED_SLICE`, of a slice for which :meth:`~ffade.summarize.regions.Region.unchanged`
holds).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ffade.summarize.landscape import Landscape

UNCHANGED_SLICE = (
    "the neutral state alone: its inputs fail unchanged, so a fine-tune on it would train on "
    "unchanged inputs, which no concept change explains"
)
"""What a slice whose one state is the neutral state is, and why ranking it fixes nothing."""


def failures_only_at_start(landscape: Landscape, start: Sequence[int]) -> str | None:
    """Why no rule is to be found where every failure of ``landscape`` is at ``start`` (a
    microscopic run's start state, else the neutral state), or None where failures lie
    elsewhere too (or there are none)."""
    failing = landscape.visited[landscape.visited_failures > 0]
    start = [int(i) for i in start]
    if failing.size != 1 or int(failing[0]) != np.ravel_multi_index(start, landscape.shape):
        return None
    neutral = tuple(start) == tuple(int(i) for i in landscape.neutral)
    where = "neutral start state" if landscape.mode == "microscopic" else "neutral state"
    if neutral:
        return (
            f"every failure is at the {where}: those inputs fail unchanged, so no concept value "
            "is to blame"
        )
    values = ", ".join(f"{k} = {v}" for k, v in landscape.state_values(start).items())
    return (
        f"every failure is at the start state ({values}): those inputs fail before any move, "
        "so no move is to blame"
    )
