"""Stage 2 of ``ffade loop``: the loop config's priorities file applied to the first run.

``ffade feedback --from`` does the work (:func:`~ffade.feedback.from_file.feedback_from_file`);
what it cannot say in the loop's words is said here, in them: the loop has no ``--from`` and no
``--slices`` option, only its config's ``feedback`` and ``slices`` keys.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from shlex import quote
from typing import Any

from ffade.errors import FfadeError, print_line
from ffade.feedback.from_file import feedback_from_file, nothing_to_review
from ffade.feedback.priorities import RegionFeedback
from ffade.feedback.unchanged import unchanged_answers, unchanged_note
from ffade.loop_config import LoopConfig
from ffade.shell_words import shell_path
from ffade.summarize.start_failures import UNCHANGED_SLICE

LOOP_SLICES_HINT = "set slices: regions in the loop config"
"""How a loop prioritizes regions where its run has no rule (``ffade feedback``: --slices)."""


def prioritize(config: LoopConfig, first: Path, say: Callable[[str], Any]) -> Path:
    """Stage 2: the priorities file applied to the first run's regions; returns feedback.yaml."""
    say(f"[2/5] feedback: {quote(str(config.feedback))} -> {quote(str(first / 'feedback.yaml'))}")
    if not config.feedback.is_file():  # checked as the loop started: moved while it discovered
        raise FfadeError(
            f"feedback file {shell_path(config.feedback)} not found: it was there when the loop "
            f"started; put it back and run the loop again (its discovery is kept in "
            f"{shell_path(first)})"
        )
    feedback = feedback_from_file(
        first,
        config.feedback,
        None,
        config.threshold,
        config.min_evaluations,
        slices=config.slices,
    )
    counts = feedback.counts()
    listed = ", ".join(f"{n} {p}" for p, n in counts.items() if n)
    say(f"      {len(feedback.regions)} {feedback.slices}" + (f": {listed}" if listed else ""))
    if not feedback.regions:  # why, as `ffade feedback --from` says it ("rank 1 is past the
        raise FfadeError(_nothing_to_review(config, first))  # last rule" was said)
    if counts["skip"] == len(feedback.regions):  # nothing prioritized: the fine-tune refuses it
        found = f"{len(feedback.regions)} {feedback.slices} found with threshold {config.threshold}"
        raise FfadeError(
            f"{config.feedback}: no {feedback.slices[:-1]} of {first} has priority high, medium "
            f"or low ({found}, min_evaluations {config.min_evaluations}), so nothing is to fix"
        )
    unchanged = unchanged_answers(feedback, first)
    if unchanged and len(unchanged) == len(feedback.prioritized):  # the fine-tune would train on
        raise FfadeError(_only_unchanged(config, first, unchanged, feedback.slices))  # unchanged
    for entry in unchanged:  # beside slices a concept change explains: the fine-tune goes on
        print_line(unchanged_note(entry, feedback.slices))
    return first / "feedback.yaml"


def _only_unchanged(
    config: LoopConfig, first: Path, unchanged: list[RegionFeedback], slices: str
) -> str:
    """Why the loop stops before fine-tuning where every slice it prioritized is the neutral
    state alone, and how to search what the concepts break instead."""
    ids = ", ".join(f"{entry.id} ({entry.priority})" for entry in unchanged)
    which = (
        f"the one {slices[:-1]} it prioritizes"
        if len(unchanged) == 1
        else f"every {slices[:-1]} it prioritizes"
    )
    return (
        f"{config.feedback}: {which}, {ids}, is {UNCHANGED_SLICE}; the loop stops before "
        f"fine-tuning (its discovery is kept in {shell_path(first)}); to search what the concepts "
        f"break, {_search_passing(config)}"
    )


def _search_passing(config: LoopConfig) -> str:
    """How the loop searches only the inputs its target gets right unchanged: in its discover
    config (the loop has no option of its own for it)."""
    return f"set model.init_args.task.only_passing_inputs: true in {shell_path(config.discover)}"


def _nothing_to_review(config: LoopConfig, first: Path) -> str:
    """Why the first run has no slice to prioritize, in the loop config's words."""
    settings = f"threshold {config.threshold:g} and min_evaluations {config.min_evaluations}"
    why = nothing_to_review(
        first,
        config.threshold,
        config.min_evaluations,
        config.slices,
        LOOP_SLICES_HINT,
        settings=settings,
        passing=_search_passing(config),
    )
    return f"{first}: nothing to review: {why}; the fine-tune has nothing to fix"
