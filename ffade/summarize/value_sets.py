"""Grid values written as people read them, and long sets of them written short.

A rule or region over a concept of 10^4 or 10^5 values, few of them evaluated, once listed every
value it holds: a report line thousands of values long. A set of more than :data:`MAX_LISTED`
values now reads as runs of neighbouring grid values (``0.2 to 0.35``: every grid value from
0.2 to 0.35), and past :data:`MAX_PARTS` runs as the first of them and the count; report.json's
``allowed`` (rules) and ``states`` (regions) keep every value.

A set that holds every value but one reads as its complement, ``gaussian_blur != 1``, not the
five values around it; one that leaves out a few reads ``not in {...}`` where that is shorter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from ffade.summarize.landscape import is_numeric

MAX_LISTED = 12
"""A set of at most this many values is listed value by value, as it always was."""
MAX_PARTS = 6
"""Runs (or, for words, values) written out before the rest is counted."""


def format_value(value: Any) -> str:
    """A grid value as a person writes it: 30 not 30.0, 0.25 not 0.250000, text as is; quoted
    where a list would misread it, so a rule reads ``style in {"", thin}`` (``prompt_words``'
    neutral: no words) and ``edit in {"a, b", c}``, not ``{, thin}`` and ``{a, b, c}``.
    """
    if is_numeric([value]):  # 6 digits, 10 where 6 would merge 1.0000001 and 1.0000002
        return f"{value:g}" if float(f"{value:g}") == value else f"{value:.10g}"
    if value == "" or any(mark in str(value) for mark in ",{}"):
        return json.dumps(str(value), ensure_ascii=False)
    return str(value)


def describe_subset(label: str, grid: Sequence[Any], used: Sequence[int]) -> str:
    """The grid values at indices ``used`` as a condition: ``label != v`` where they are all
    but one (the quickstart read ``gaussian_blur in {0, 0.5, 1.5, 2, 2.5}`` for "blur is not
    1"), ``label not in {...}`` where they leave out fewer than they hold and that reads
    shorter, else ``label in {...}`` (:func:`describe_set`)."""
    outside = np.ones(len(grid), dtype=bool)  # 10^5 values: no Python loop over the grid
    outside[np.asarray(used, dtype=int)] = False
    left_out = np.flatnonzero(outside)
    if len(left_out) == 1:
        return f"{label} != {format_value(grid[left_out[0]])}"
    listed = describe_set(label, grid, used)
    if not len(left_out) or len(left_out) >= len(used):
        return listed
    complement = describe_set(label, grid, left_out, "not in")
    return complement if len(complement) < len(listed) else listed


def describe_set(label: str, grid: Sequence[Any], used: Sequence[int], operator: str = "in") -> str:
    """``label in {...}`` for the grid values at indices ``used`` (numbers in order of size,
    words in grid order), written short when there are more than :data:`MAX_LISTED`;
    ``operator`` ``"not in"`` for a set's complement."""
    if is_numeric(grid):
        chosen = sorted(grid[i] for i in used)
        if len(chosen) <= MAX_LISTED:
            return f"{label} {operator} {{{', '.join(format_value(v) for v in chosen)}}}"
        by_size = sorted(grid)
        rank = {value: position for position, value in enumerate(by_size)}
        ranks = np.asarray([rank[v] for v in chosen])
        runs = np.split(ranks, np.flatnonzero(np.diff(ranks) != 1) + 1)
        parts = [_run(by_size[run[0]], by_size[run[-1]], len(run)) for run in runs]
        count = f"{len(chosen)} values in {len(runs)} runs"
    else:
        parts = [format_value(grid[i]) for i in used]
        if len(parts) <= MAX_LISTED:
            return f"{label} {operator} {{{', '.join(parts)}}}"
        count = f"{len(parts)} values"
    if len(parts) <= MAX_PARTS:
        return f"{label} {operator} {{{', '.join(parts)}}}"
    return f"{label} {operator} {{{', '.join(parts[:MAX_PARTS])}, ... ({count})}}"


def _run(low: Any, high: Any, size: int) -> str:
    """A run of neighbouring grid values: one value, two listed, or ``low to high``."""
    if size == 1:
        return format_value(low)
    if size == 2:
        return f"{format_value(low)}, {format_value(high)}"
    return f"{format_value(low)} to {format_value(high)}"
