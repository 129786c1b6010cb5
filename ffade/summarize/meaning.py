"""Failures under edits that change the input's meaning, set apart from the others.

A text edit such as negation changes what the article says; the reference summary was written
for the original, so a summary that follows the new meaning is *right* and still scores as a
failure. ffade's decision: such failures are reported apart, not mixed into the failure rules.
Concepts declare it (:attr:`ffade.plugin_api.Concept.keeps_meaning`, recorded in summary.json);
rules and regions are found on the states where every meaning-changing concept is at its
neutral value, and each meaning-changing concept gets its own line: how often the target
"fails" once it applies. Runs recorded before the declaration count every concept as keeping
the meaning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ffade.records import read_summary
from ffade.summarize.landscape import Landscape, load_landscape
from ffade.summarize.regions import describe_rate


def meaning_changing(summary: dict[str, Any]) -> list[str]:
    """Labels of the concepts summary.json records as changing the input's meaning."""
    return [
        str(c["label"]) for c in summary.get("concepts") or [] if c.get("keeps_meaning") is False
    ]


def split_by_meaning(
    landscape: Landscape, labels: list[str]
) -> tuple[Landscape, list[dict[str, Any]]]:
    """The landscape of meaning-keeping states, and one entry per meaning-changing concept.

    The kept landscape has the grid's shape (so states and ids stay comparable) with no
    evaluations where a meaning-changing concept is off its neutral value; each entry pools
    the evaluations where that concept applies.
    """
    if not labels:
        return landscape, []
    states = landscape.states
    changed = np.zeros(len(states), dtype=bool)
    entries = []
    for label in labels:
        axis = landscape.axis(label)
        applies = states[:, axis] != landscape.neutral[axis]
        changed |= applies
        n = int(landscape.visited_evaluations[applies].sum())
        k = int(landscape.visited_failures[applies].sum())
        entries.append(
            {
                "concept": label,
                "evaluations": n,
                "failures": k,
                "description": describe_rate(k, n) if n else "not evaluated",
            }
        )
    return landscape.keep_visited(~changed), entries


def load_kept_landscape(
    run_dir: str | Path, counted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> Landscape:
    """A run's landscape with meaning-changing failures set apart: the one reports find rules and
    regions on, so that a run's closing line, ``ffade feedback``, ``ffade export`` and the loop
    name the very rules and regions (ids, ranks) its report shows. ``counted``: as
    :func:`~ffade.summarize.landscape.load_landscape` takes it.
    """
    landscape = load_landscape(run_dir, counted)
    return split_by_meaning(landscape, meaning_changing(read_summary(Path(run_dir))))[0]
