"""What an answers file already there means for ``ffade feedback``: whether it may be
overwritten, and which of its answers a new interactive session continues.

Split from :mod:`ffade.feedback.command` (which asks the questions); :class:`AnswersFile` keeps
a session (or ``--from``) from saving over answers another saved there meanwhile.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ffade.errors import FfadeError
from ffade.feedback.priorities import Feedback, new_feedback, read_feedback
from ffade.feedback.priorities_file import read_priorities_file
from ffade.shell_words import shell_path
from ffade.summarize.landscape import Landscape
from ffade.yamlfile import load_yaml, yaml_problem


def check_overwrite(out: Path, given: bool) -> None:
    """Refuse to replace a file that holds no answers (``--out RUN/summary.json``, a slip);
    ``given``: ``out`` is the ``--out`` the user typed, not the default RUN/feedback.yaml."""
    if not out.is_file():
        return
    try:
        data = load_yaml(out.read_text(encoding="utf-8"), unique_keys=True)  # as read later
    except yaml.YAMLError as exc:  # a feedback.yaml edited by hand, most likely: not "no answers"
        raise FfadeError(
            f"{'--out ' if given else ''}{out}: not valid YAML ({yaml_problem(exc)}); mend it, "
            "or move it away to answer again"
        ) from None
    except (OSError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or "regions" not in data:
        raise FfadeError(
            f"{'--out ' if given else ''}{out}: a file that holds no priorities (no 'regions') "
            "is there; feedback overwrites only its own answers: "
            + ("give another file name" if given else "move it away, or save with --out FILE")
        )


def check_not_the_priorities(out: Path, priorities: str | Path) -> None:
    """Refuse ``--out`` naming the ``--from`` priorities file itself (not a saved feedback.yaml,
    which applied to itself changes nothing): the answers would replace the ranks and states
    kept for reuse. It was refused later as answers that "cannot be read", whose line told the
    user to apply it "with --from" (as typed) or to add --redo, which overwrote it."""
    if not out.is_file() or out.resolve() != Path(priorities).resolve():
        return
    data = read_priorities_file(priorities)
    if isinstance(data, dict) and "run" in data:  # a feedback.yaml: its answers, by id
        return
    raise FfadeError(
        f"--out {shell_path(out)} is the --from file: saving the answers there would replace "
        "its priorities; give another --out FILE, or none to save RUN_DIR/feedback.yaml"
    )


def answers_to_continue(
    out: Path, run_dir: Path, landscape: Landscape, args: argparse.Namespace
) -> Feedback:
    """The answers to continue: the saved ones, kept under ``--redo`` until each is replaced
    (stopping early must not wipe them), unless they were found with other settings or are
    about another run (its regions share ids, not states, with this one's)."""
    fresh = new_feedback(run_dir, landscape, args.threshold, args.min_evaluations, args.slices)
    if not out.is_file():
        return fresh
    saved = read_feedback(out, run_dir)
    if not saved.regions:  # no answer to keep (a search that found nothing to ask): start afresh
        return fresh
    inside = out.resolve().parent == run_dir.resolve()  # a run's own file, even if moved
    if not inside and Path(saved.run).resolve() != run_dir.resolve():
        if args.redo:
            return fresh
        raise FfadeError(
            f"--out {out} holds answers about run {saved.run}, not {run_dir}; give another "
            "file, or --redo to start over (the first answer replaces them)"
        )
    asked = (args.threshold, args.min_evaluations, args.slices)
    if (saved.threshold, saved.min_evaluations, saved.slices) != asked:
        if args.redo:  # answers about other slices: start over, replacing the file at the first
            return fresh
        found_with = _options_found_with(saved, asked)
        raise FfadeError(
            f"{out} holds answers for {saved.slices} found with threshold {saved.threshold:g} "
            f"and min evaluations {saved.min_evaluations}; pass {found_with} to continue it, "
            "or --redo to start over"
        )
    fresh.regions = saved.regions
    return fresh


def _options_found_with(saved: Feedback, asked: tuple[float, int, str]) -> str:
    """The options that ask for the saved answers' slices again: each setting the saved file
    differs in, at its saved value (``--threshold 0.5`` too, the default, after ``--threshold
    0.6``: leaving it out would not continue the file)."""
    threshold, min_evaluations, slices = asked
    options = [f"--slices {saved.slices}"] if saved.slices != slices else []
    if saved.threshold != threshold:
        options.append(f"--threshold {saved.threshold:g}")
    if saved.min_evaluations != min_evaluations:
        options.append(f"--min-evaluations {saved.min_evaluations}")
    return " ".join(options)


class AnswersFile:
    """The answers file as this session last read or saved it, so that a save never replaces
    what someone else saved there meanwhile.

    Two interactive sessions on one feedback.yaml (two shells, a review left open) each saved
    whole files, so the later save silently replaced the other session's ranking with its own.
    Each save now first checks that the file still holds what this session saw; when it does
    not, it refuses in one line (the answer just given is not saved; every earlier one was),
    and running the command again continues from what the file holds now.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.seen = _contents(out)

    def check(self, applying: bool = False) -> None:
        """Refuse to save over answers this session has not seen; ``applying``: the answers are
        a priorities file's (``--from``), which is checked again against what the file holds."""
        if _contents(self.out) == self.seen:
            return
        if applying:
            raise FfadeError(
                f"{shell_path(self.out)} changed while these priorities were applied (another "
                "ffade feedback or an edit saved it meanwhile), so they were not saved over it; "
                "run the command again to apply them to the answers it holds now"
            )
        raise FfadeError(
            f"{shell_path(self.out)} changed since this session read it (another ffade "
            "feedback, a --from or an edit saved it meanwhile), so the last answer was not "
            "saved over it; run the command again to continue from the answers it holds "
            "now (rank a run in one shell at a time)"
        )

    def saved(self) -> None:
        """Note the file as this session just saved it."""
        self.seen = _contents(self.out)


def _contents(path: Path) -> bytes | None:
    """The file's bytes, or None where there is none (or none can be read: its save says why)."""
    try:
        return path.read_bytes()
    except OSError:
        return None
