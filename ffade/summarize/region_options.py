"""What makes a concept state fail and how failures are sliced, as options: ``--threshold``,
``--min-evaluations`` and ``--slices``, the same for every command that finds failures (``ffade
report``, ``ffade feedback``, ``ffade export``) and said back the same way. It needs no grid, so
a command's options are read before any run is.
"""

from __future__ import annotations

import argparse

from ffade.option_types import failure_rate, whole_number_from_1

SLICE_KINDS = ("rules", "regions")
"""How failures are sliced for a person: rules (:mod:`.rules`) or connected regions."""


DEFAULT_THRESHOLD = 0.5
"""Failure rate at which a concept state counts as failing, unless a command is told otherwise."""
DEFAULT_MIN_EVALUATIONS = 1


def add_region_arguments(
    parser: argparse.ArgumentParser, *, feedback_criterion: bool = False
) -> None:
    """``--threshold``, ``--min-evaluations`` and ``--slices``: what makes a concept state fail
    and how failures are described, for every command that finds them (``ffade report``,
    ``ffade feedback``, ``ffade export``), so they agree.

    With ``feedback_criterion`` (``ffade export``), a feedback file's slices come with the
    threshold and min evaluations they were found at, and those are the defaults: the two
    default to None (only a value the user typed can contradict the file's) and their help says
    so. ``ffade export --help`` said ``(default 0.5)`` while a file made at 0.3 exported at 0.3
    and a typed ``--threshold 0.5`` was refused.
    """
    or_file = "; with a feedback file, the one it records" if feedback_criterion else ""
    parser.add_argument(
        "--threshold",
        type=failure_rate,
        default=None if feedback_criterion else DEFAULT_THRESHOLD,
        help="failure rate at which a concept state counts as failing "
        f"(default {DEFAULT_THRESHOLD}{or_file})",
    )
    parser.add_argument(
        "--min-evaluations",
        type=whole_number_from_1,
        default=None if feedback_criterion else DEFAULT_MIN_EVALUATIONS,
        help="evaluations a state needs before it can count as failing "
        f"(default {DEFAULT_MIN_EVALUATIONS}{or_file})",
    )
    parser.add_argument(
        "--slices",
        choices=SLICE_KINDS,
        default="rules",
        help="the failure slices to work with: rules over concept values (default; see "
        "docs/report.md) or connected regions of failing states",
    )


def region_arguments(threshold: float, min_evaluations: int, slices: str) -> str:
    """The options of :func:`add_region_arguments` that ask for these slices again, each one
    only when it is not its default (" --slices regions --threshold 0.6", or "")."""
    options = "" if slices == "rules" else f" --slices {slices}"
    if threshold != DEFAULT_THRESHOLD:
        options += f" --threshold {threshold:g}"
    if min_evaluations != DEFAULT_MIN_EVALUATIONS:
        options += f" --min-evaluations {min_evaluations}"
    return options
