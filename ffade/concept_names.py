"""Concept labels and grid values as a user gives them: the labels allowed, the one probably
meant, and where a given value is on a grid (torch-free: ``ffade feedback`` reads them too)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any


def listed(labels: Sequence[str]) -> str:
    """The labels, comma-separated; each quoted when one holds a comma ('pos, x' is one)."""
    quoted = any("," in label for label in labels)
    return ", ".join(repr(label) if quoted else label for label in labels)


def did_you_mean(label: str, labels: Sequence[str]) -> str:
    """`` (did you mean 'Rotation'?)`` for a label typed in another case or misspelt
    (``swapchar`` for ``swap_char``), else "": labels are matched exactly (two may differ only
    by case). The cutoff is high so that ``axis7`` on a three-axis grid, an axis that is not
    there rather than a typo, is not steered to ``axis0``."""
    same = [known for known in labels if known.casefold() == str(label).casefold()]
    same.sort(key=lambda known: -difflib.SequenceMatcher(None, str(label), known).ratio())
    if not same:
        same = difflib.get_close_matches(str(label), list(labels), n=1, cutoff=0.85)
    return f" (did you mean {same[0]!r}?)" if same else ""


def unknown_concept(label: str, labels: Sequence[str]) -> str:
    """``unknown concept 'ROTATION' (did you mean 'rotation'?); concepts: rotation, blur``."""
    return f"unknown concept {label!r}{did_you_mean(label, labels)}; concepts: {listed(labels)}"


def grid_index(grid: Sequence[Any], value: Any) -> int | None:
    """Where ``value`` is on ``grid``, or None. True is no 1.0: Python's ``True == 1`` took
    ``{axis0: true}`` for the grid's 1.0 (``value in grid`` does the same)."""
    for j, v in enumerate(grid):
        if v == value and isinstance(v, bool) == isinstance(value, bool):
            return j
    return None
