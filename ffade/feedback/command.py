"""``ffade feedback RUN_DIR``: a person gives each failure region of a run a priority.

Interactive by default (one prompt per region, most severe first, with example pictures saved
under ``RUN_DIR/feedback/``); ``--from priorities.yaml`` applies a file instead (see
:mod:`ffade.feedback.from_file`). Either way the answers land in ``RUN_DIR/feedback.yaml`` (or
``--out``), which a fine-tuner config names to fix the prioritized regions.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from ffade.errors import FfadeError, OneLineParser, print_line, user_path
from ffade.evaluation_log import log_problems, say_run_state
from ffade.feedback.continuing import (
    AnswersFile,
    answers_to_continue,
    check_not_the_priorities,
    check_overwrite,
)
from ffade.feedback.from_file import (
    OUT_GIVEN_REDO_HINT,
    REDO_HINT,
    feedback_from_file,
    nothing_to_review,
)
from ffade.feedback.priorities import (
    FEEDBACK_FILE,
    Feedback,
    load_regions,
)
from ffade.feedback.review import review
from ffade.feedback.saved_line import saved_line, saved_where
from ffade.feedback.terminal import AnswerInput, say
from ffade.feedback.unchanged import unchanged_answers, unchanged_note
from ffade.option_types import whole_number_from_0, whole_number_from_1
from ffade.records import check_run_dir, read_summary
from ffade.shell_words import shell_path
from ffade.stderr_lines import stdout_reader_gone_quiet
from ffade.summarize.regions import Region, add_region_arguments
from ffade.writable import writable_file

OUT_SUFFIXES = (".yaml", ".yml")
"""What ``--out`` may end in: the file is YAML, whatever its name says."""


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="ffade feedback",
        description="Give each failure rule of a run (with --slices regions, each connected "
        "failure region) a priority (high, medium, low or skip); saves RUN_DIR/feedback.yaml "
        "after every answer.",
    )
    p.add_argument("run_dir", type=user_path, metavar="RUN_DIR", help="a discovery run directory")
    p.add_argument(
        "--from",
        dest="from_file",
        type=user_path,
        metavar="FILE",
        help="take priorities from a YAML file instead of asking (regions by id, rank or a state "
        "they contain; see docs/mitigation.md)",
    )
    p.add_argument(
        "--out",
        type=user_path,
        metavar="FILE",
        help="where to save, a .yaml or .yml file (default RUN_DIR/feedback.yaml)",
    )
    add_region_arguments(p)
    p.add_argument(
        "--max-regions",
        type=whole_number_from_1,
        default=10,
        metavar="N",  # rules (the default --slices) or regions: it bounds either
        help="ask about the N most severe failure slices, rules or regions (default 10); the "
        "rest are left unanswered (--from answers every slice)",
    )
    # None, not 8: only an --examples the user typed can contradict --no-examples
    p.add_argument(
        "--examples",
        type=whole_number_from_0,
        metavar="N",
        help="inputs shown per slice, drawn or as text (default 8; 0 shows none, as "
        "--no-examples does)",
    )
    p.add_argument("--no-examples", action="store_true", help="save no examples")
    p.add_argument(
        "--redo",
        action="store_true",
        help="ask again about every slice, answered or not; an earlier answer stays until you "
        "give a new one. With --from: replace saved answers the file would change",
    )
    return p


def main(argv: list[str]) -> int:
    """Run the command; returns the exit code. User mistakes raise :class:`FfadeError`.

    A reader of stdout gone (``... | head -1``), or stdout closed, stops nothing: the answers
    piped in are still taken and saved, and the exit status is the command's own."""
    with stdout_reader_gone_quiet():
        return _main(argv)


def _main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    check_run_dir(args.run_dir)
    run_dir = Path(args.run_dir)
    if args.max_regions < 1:
        raise FfadeError(f"--max-regions must be at least 1, got {args.max_regions}")
    if args.examples and args.no_examples:  # --examples 0 --no-examples: both say none
        raise FfadeError(f"--examples {args.examples} and --no-examples contradict: give one")
    examples = 8 if args.examples is None else args.examples
    if examples < 0:
        raise FfadeError(f"--examples must be at least 0 (0: no pictures), got {examples}")
    if (
        args.out
        and not Path(args.out).is_dir()
        and Path(args.out).suffix.lower() not in OUT_SUFFIXES
    ):
        raise FfadeError(  # x.txt would hold YAML under another name, which a fine-tuner reads
            f"--out {args.out}: the answers are saved as YAML (a fine-tuner reads them as "
            f"model.init_args.feedback); name it {' or '.join(OUT_SUFFIXES)}"
        )
    out = writable_file(args.out, "--out") if args.out else run_dir / FEEDBACK_FILE
    if args.from_file and args.out:
        check_not_the_priorities(out, args.from_file)
    check_overwrite(out, given=bool(args.out))
    summary = read_summary(run_dir)  # before the log: a run that ends meanwhile is said as read
    from ffade.feedback.picture_maker import picture_maker  # torch, plugins: when it draws

    pictures = picture_maker(run_dir, 0 if args.no_examples else examples)
    if args.from_file:
        feedback = feedback_from_file(
            run_dir,
            args.from_file,
            out,
            args.threshold,
            args.min_evaluations,
            pictures,
            args.slices,
            redo=args.redo,
            redo_hint=OUT_GIVEN_REDO_HINT if args.out else REDO_HINT,
            before_examples=lambda: _warn(run_dir, summary),
        )
        if not feedback.regions:  # no slice found (each one found is answered): say why, as below
            # nothing above names them here (the prompts' header line is not printed)
            least = args.min_evaluations
            settings = f"--threshold {args.threshold:g} and --min-evaluations {least}"
            why = nothing_to_review(
                run_dir, args.threshold, args.min_evaluations, args.slices, settings=settings
            )
            print(
                f"nothing to review: {why}; saved {shell_path(out)}, with no priorities (a "
                "fine-tuner has nothing to fix)"
            )
            return 0
        for entry in unchanged_answers(feedback, run_dir):  # as the interactive review notes it
            print_line(unchanged_note(entry, feedback.slices))
        print(saved_line(feedback, out, run_dir, summary, len(feedback.regions)))
        return 0

    landscape, regions = load_regions(run_dir, args.threshold, args.min_evaluations, args.slices)

    file = AnswersFile(out)  # as read here: a save over another session's answers is refused
    feedback = answers_to_continue(out, run_dir, landscape, args)
    _warn(run_dir, summary)
    shown = regions[: args.max_regions]
    noun = "rule" if args.slices == "rules" else "region"
    say(
        f"{shell_path(run_dir)}: {len(regions)} failure {noun}{'s' if len(regions) != 1 else ''} "
        f"(threshold {args.threshold:g}, min evaluations {args.min_evaluations}"
        + (", each with enough evidence" if args.slices == "rules" else "")
        + (f"); {_asking(len(shown), len(regions))}." if shown else ").")
    )
    if not shown:
        _save(feedback, out, run_dir, file)
        # answers kept from an earlier session are about slices not found now: said apart
        saved = (
            saved_line(feedback, out, run_dir, summary, 0, set())
            if feedback.regions
            else f"saved {shell_path(out)}, with no priorities (a fine-tuner has nothing to fix)"
        )
        why = nothing_to_review(
            run_dir, args.threshold, args.min_evaluations, args.slices, landscape=landscape
        )
        print(f"nothing to review: {why}; {saved}")
        return 0
    answered = {r.id for r in feedback.regions}
    if args.redo or any(r.id not in answered for r in shown):  # else nothing is asked
        say(
            "Give each a priority: high, medium or low asks a fine-tuner to fix it; skip leaves "
            f"it. Every answer is saved to {shell_path(out)} at once."
        )
    from ffade.feedback.picture_files import pictures_of_answers_only

    # `q`, no input, a closed terminal: no picture left over
    with pictures_of_answers_only(run_dir, feedback), _hangup_as_ctrl_c():
        return _ask(shown, regions, feedback, file, pictures, args, summary, landscape.neutral)


@contextlib.contextmanager
def _hangup_as_ctrl_c() -> Iterator[None]:
    """Within the block, a closed terminal (SIGHUP) stops the review as Ctrl-C does. Its default
    ended the process at once, leaving the picture of the slice asked about in RUN/feedback/,
    which no saved file names (the answers themselves were saved already)."""
    hangup = getattr(signal, "SIGHUP", None)  # not on Windows
    if hangup is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    found = signal.getsignal(hangup)
    if found == signal.SIG_IGN:  # nohup: the user asked for a hangup to change nothing
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        signal.signal(hangup, signal.SIG_DFL)  # a second hangup ends it as before
        raise KeyboardInterrupt

    signal.signal(hangup, stop)
    try:
        yield
    finally:
        if found is not None:  # a handler set from C cannot be put back from Python
            signal.signal(hangup, found)


def _ask(
    shown: list[Region],
    regions: list[Region],
    feedback: Feedback,
    file: AnswersFile,
    pictures: Callable[[Region], str | None],
    args: argparse.Namespace,
    summary: dict[str, Any],
    neutral: Sequence[int],
) -> int:
    """Ask about the ``shown`` slices of the run's ``regions``, and say how it ended
    (``summary``: the run's summary.json, as read before its log; ``neutral``: the grid's
    neutral state, a slice of which alone is said to be the inputs unchanged)."""
    run_dir, out = Path(args.run_dir), file.out
    saved: list[Path] = []  # each answer is saved as it is given

    def save(answers: Feedback) -> Path:
        # counted before it is written: a signal while feedback.yaml or its pictures are written
        # said "stopped before the first answer" over a saved answer; it is saved again below
        saved.append(out)
        return _save(answers, out, run_dir, file)

    ask = AnswerInput()
    try:
        complete = review(
            shown,
            feedback,
            save,
            pictures,
            ask=ask,
            say=say,
            redo=args.redo,
            run_dir=run_dir,
            neutral=neutral,
        )
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: said, then `ffade: interrupted`, exit 130
        if saved:  # again: an answer given just before the signal may not have been saved yet
            _save(feedback, out, run_dir, file)
        say()
        ids = {r.id for r in regions}
        print(_interrupted(feedback, out, len(regions), ids) if saved else _stopped(out, False))
        raise
    say()
    if not complete and not saved and ask.ended and not (sys.stdin and sys.stdin.isatty()):
        held = (  # lines piped in but no priority ('urgent'): it said no answer came
            f"its {ask.lines} line{'s' if ask.lines > 1 else ''} held no priority (h, m, l, s "
            "or q), so nothing was answered ("
            if ask.lines
            else "held no answer, so nothing could be asked ("
        )
        raise FfadeError(  # `< /dev/null`, a CI job: nobody was there to ask
            f"standard input is no terminal and {held}"
            + (f"{shell_path(out)} is unchanged" if out.is_file() else "nothing saved")
            + "); answer in a terminal, or pass --from PRIORITIES.yaml (docs/mitigation.md)"
        )
    if not complete and not saved:  # stopped at the first question: write nothing
        print(_stopped(out, False))
        return 0
    _save(feedback, out, run_dir, file)
    if not complete:
        print(_stopped(out, True))
    print(saved_line(feedback, out, run_dir, summary, len(regions), {r.id for r in regions}))
    return 0


def _save(feedback: Feedback, out: Path, run_dir: Path, file: AnswersFile) -> Path:
    """Save the answers, unless another session saved there meanwhile (refused: ``file``);
    the run's pictures of slices they no longer hold go (--redo)."""
    from ffade.feedback.picture_files import pictures_as_saved

    file.check()
    given = out != run_dir / FEEDBACK_FILE  # --out: a failed write names it
    feedback.save(out, "--out" if given else "")
    file.saved()
    pictures_as_saved(feedback, out, run_dir)
    return out


def _stopped(out: Path, answered: bool) -> str:
    """What a review stopped early (q, end of input, Ctrl-C) leaves behind."""
    if answered:
        return "stopped; answers so far are saved. Run the same command again to continue."
    if out.is_file():
        return f"stopped before the first answer; {shell_path(out)} is unchanged"
    return "stopped before the first answer; nothing saved"


def _interrupted(feedback: Feedback, out: Path, total: int, ids: set[str]) -> str:
    """The one line a review stopped by Ctrl-C (or SIGTERM, a closed terminal) after an answer
    ends with, before ``ffade: interrupted``: how many slices hold an answer and the file they
    are in. "answers so far are saved" named neither, and the closing ``saved priorities ...``
    line that `q` prints is not printed for a review interrupted."""
    counts = ", ".join(f"{n} {p}" for p, n in feedback.counts().items())
    return (
        f"stopped; {saved_where(feedback, out, total, ids)} ({counts}). Run the same command "
        "again to continue."
    )


def _warn(run_dir: Path, summary: dict[str, Any]) -> None:
    """A damaged log, or counts that differ from the summary, said as `ffade report` says them
    (after the run was read as one: the person ranks what its log shows).

    ``summary`` is the one read before the log: a run still going that ended while the log was
    read and ranked (pictures take seconds) was said to be finished with a log cut short
    ("summary.json says 6000 evaluations but ... holds 4488"), not to be still running."""
    say_run_state(run_dir, summary, log_problems(run_dir, summary, "feedback counts the log's"))


def _asking(shown: int, found: int) -> str:
    """Which slices are asked about: "asking about the first 10" only when --max-regions leaves
    some out; "the first 1" of 1 would read as if more were found."""
    if shown < found:
        return f"asking about the first {shown}"
    return "asking about it" if shown == 1 else f"asking about all {shown}"
