"""What ``ffade.mitigate`` says of the priorities it applied, before it fine-tunes on them.

``ffade.mitigate(run)`` with no priorities, on a run with no feedback.yaml, fixes the first
failure slice at priority high (:data:`~ffade.api.feedback_files.DEFAULT_PRIORITIES`): a caller
who never ran ``ffade feedback`` got a fine-tune on whatever ranked first with nothing said of
it, and, on a run whose only slice is the neutral state (inputs that fail unchanged), a fine-tune
on the inputs unchanged, which ``ffade loop`` stops before. It says now what it fixes unasked,
refuses where every slice it would fix is the neutral state alone (as the loop does), and notes
such a slice beside others (as ``ffade feedback --from`` does).
"""

from __future__ import annotations

from pathlib import Path

from ffade.errors import FfadeError, print_line
from ffade.feedback.from_file import nothing_to_review
from ffade.feedback.priorities import Feedback
from ffade.feedback.unchanged import unchanged_answers, unchanged_note
from ffade.shell_words import shell_path
from ffade.summarize.start_failures import UNCHANGED_SLICE

SEARCH_PASSING = "discover it again with 'only_passing_inputs': True in its task"
"""How a Python caller leaves out the inputs a target gets wrong unchanged (``ffade.discover``'s
``task``; the CLI's ``--model.init_args.task.only_passing_inputs true``)."""


def check_applied(
    applied: Feedback,
    run_dir: Path,
    threshold: float,
    min_evaluations: int,
    given: bool,
) -> None:
    """Refuse priorities that leave nothing to fix, or only the inputs unchanged; note what is
    fixed unasked (``given``: whether the caller passed priorities). The caller puts back the
    run's feedback.yaml when this raises."""
    slices = applied.slices
    if not applied.regions:  # no slice found: why, not the fine-tuner's "no rule has priority"
        settings = f"threshold {threshold:g} and min_evaluations {min_evaluations}"
        why = nothing_to_review(
            run_dir, threshold, min_evaluations, slices, settings=settings, passing=SEARCH_PASSING
        )
        raise FfadeError(f"{run_dir}: nothing to review: {why}")
    if not applied.prioritized:  # not the fine-tuner's "RUN/feedback.yaml: ... `ffade feedback`"
        raise FfadeError(
            f"priorities: no {slices[:-1]} has priority high, medium or low; nothing to fix "
            "(give one a priority: {'regions': [{'rank': 1, 'priority': 'high'}]})"
        )
    unchanged = unchanged_answers(applied, run_dir)
    if unchanged and len(unchanged) == len(applied.prioritized):
        ids = ", ".join(f"{entry.id} ({entry.priority})" for entry in unchanged)
        which = "the first failure" if not given else "the one" if len(unchanged) == 1 else "every"
        raise FfadeError(
            f"{'priorities' if given else run_dir}: {which} {slices[:-1]} to fix, {ids}, is "
            f"{UNCHANGED_SLICE}; nothing is fine-tuned; to search what the concepts break, "
            f"{SEARCH_PASSING}"
        )
    for entry in unchanged:  # beside slices a concept change explains: the fine-tune goes on
        print_line(unchanged_note(entry, slices))
    if not given:
        first = applied.prioritized[0]
        print_line(
            f"ffade: note: {shell_path(run_dir)} has no feedback.yaml, so this fixes its first "
            f"failure {slices[:-1]}, {first.id} ({first.conditions}), at priority high; to choose "
            f"what to fix, pass priorities, or answer `ffade feedback {shell_path(run_dir)}` first"
        )
