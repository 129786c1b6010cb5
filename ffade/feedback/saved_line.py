"""The line ``ffade feedback`` closes with: what was saved, and what to do with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.feedback.from_file import PASSING_HINT
from ffade.feedback.priorities import FEEDBACK_FILE, Feedback
from ffade.feedback.unchanged import unchanged_answers
from ffade.fix_command import fix_command
from ffade.shell_words import shell_path
from ffade.summarize.start_failures import UNCHANGED_SLICE


def only_unchanged(feedback: Feedback, run_dir: str | Path) -> bool:
    """Whether every slice ``feedback`` gives a priority other than skip is the neutral state
    alone: a fine-tune on them would train on the inputs unchanged."""
    unchanged = unchanged_answers(feedback, run_dir)
    return bool(unchanged) and len(unchanged) == len(feedback.prioritized)


def saved_line(
    feedback: Feedback,
    out: Path,
    run_dir: Path,
    summary: dict[str, Any],
    total: int,
    ids: set[str] | None = None,
) -> str:
    """The closing line: what was saved, and the command that fixes it.

    The run is named as the user typed it (``run_dir``), as the saved file is and as ``ffade
    fit``'s and ``ffade report``'s ``next:`` lines name theirs: the feedback file's own ``run``
    is absolute (a fine-tuner finds it from anywhere), which put a long ``/home/...`` path where
    docs/mitigation.md shows ``RUN``.

    A fine-tuner reads ``RUN/feedback.yaml`` unless told otherwise, so answers saved elsewhere
    (``--out``) need ``--model.init_args.feedback`` in that command, or it would not find them.
    ``summary``: the run's summary.json, whose ``output_kind`` names the fine-tuner
    (:mod:`ffade.fix_command`).

    Where every slice given a priority is the neutral state alone (inputs that fail unchanged),
    it names no fine-tune, which would train on the inputs unchanged (``ffade loop`` stops before
    it), but how to search what the concepts break.

    ``ids``: the slices asked about; a continued file's answers about others (an id edited by
    hand, a file from another ffade version) are kept, and said apart ("3 of 2 rules" was said).
    """
    parts = ", ".join(f"{n} {p}" for p, n in feedback.counts().items())
    saved = saved_where(feedback, out, total, ids)
    if not feedback.prioritized:  # all skip: a fine-tuner refuses the file, so name no command
        return (
            f"{saved} ({parts}); nothing to fix: no {feedback.slices.removesuffix('s')} has "
            "priority high, medium or low"
        )
    if only_unchanged(feedback, run_dir):  # the fix would train on the inputs unchanged
        which = "the one" if len(feedback.prioritized) == 1 else "every"
        return (
            f"{saved} ({parts}); {which} {feedback.slices[:-1]} given a priority is "
            f"{UNCHANGED_SLICE}; to search what the concepts break, {PASSING_HINT}"
        )
    own = out.resolve() == (Path(feedback.run) / FEEDBACK_FILE).resolve()
    return f"{saved} ({parts}); {fix_command(run_dir, summary, None if own else out)}"


def saved_where(feedback: Feedback, out: Path, total: int, ids: set[str] | None) -> str:
    """``saved priorities for 2 of 3 rules to RUN/feedback.yaml``: the answers ``feedback``
    holds about the ``ids`` asked about of the ``total`` found, those about other slices said
    apart, and the file, quoted as the fix command is."""
    others = [r.id for r in feedback.regions if ids is not None and r.id not in ids]
    answered = len(feedback.regions) - len(others)
    saved = f"saved priorities for {answered} of {total} {feedback.slices}"
    if others:
        noun = feedback.slices.removesuffix("s") + ("s" if len(others) > 1 else "")
        saved += f" and {len(others)} other {noun} the file held ({', '.join(others)})"
    return f"{saved} to {shell_path(out)}"
