"""How a loop that cannot go on says so: :class:`StageStopped`, loop.json's ``stopped``.

:mod:`ffade.loop` raises it when a stage's run does not end as it should, or when Ctrl-C, a
mistake or a crash stops the feedback or the report (no runs of their own).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ffade.records import SUMMARY_FILE
from ffade.shell_words import shell_path

STAGE_AFTER = {
    "discovered": "feedback",
    "prioritized": "mitigate",
    "mitigated": "rediscover",
    "rediscovered": "report",
}
"""The stage under way after a status, for what stops the loop outside a Lightning run (whose
own stops ``ffade.loop._run_stage`` names): Ctrl-C, a mistake or a crash in the feedback or
report."""


def run_ended_when_stopped() -> bool:
    """Whether the stage's run that just returned or raised was stopped by a Ctrl-C or SIGTERM
    only once its results were recorded (a search's ``finished``, a fine-tune's verdict): the
    stage ended, so the loop records it as done, then stops as the signal asked (going on would
    drop a scheduler's SIGTERM), as a Ctrl-C just after it stops the loop."""
    from ffade.run_base import ENDED_WHEN_STOPPED  # Lightning: not for ``ffade loop --help``

    return ENDED_WHEN_STOPPED.get() is not None


class StageStopped(Exception):
    """A stage's run ended without finishing (Ctrl-C, a crash), so the loop cannot go on.

    The run is named as one shell word, as every path ffade prints for a person to type is
    (``runs/my loop/version_0/discover`` unquoted read as two words). Not an
    :class:`FfadeError`: nothing typed was wrong, so ``ffade loop`` exits 1, not 2. A
    mistake a stage finds only as it runs (a weights file that is not there) is the cause
    (``__cause__``) and is still said as the mistake it is (exit 2).
    """

    def __init__(
        self, stage: str, run_dir: Path | None, status: str | None, interrupted: bool = False
    ) -> None:
        self.stage, self.run_dir, self.status = stage, run_dir, status
        if run_dir is None:  # a stage that is no Lightning run (feedback, report): no summary
            how = status
        elif status:
            how = f"{shell_path(run_dir)} ended with status '{status}'"
        elif interrupted:  # Ctrl-C as the stage's run set up: "ended with no summary" hid it
            how = f"{shell_path(run_dir)} was interrupted before it wrote {SUMMARY_FILE}"
        else:
            how = f"{shell_path(run_dir)} ended with no {SUMMARY_FILE}"
        super().__init__(f"loop stage {stage} stopped: {how}")

    def to_dict(self) -> dict[str, Any]:
        """loop.json's ``stopped``."""
        run = None if self.run_dir is None else str(self.run_dir)
        return {"stage": self.stage, "run": run, "status": self.status}


class OutputClosed(KeyboardInterrupt):
    """The loop's standard output was closed by its reader (``ffade loop | head -1``).

    Nothing the loop did failed: the reader went away, as a closed terminal's SIGHUP does, so
    the loop stops as on Ctrl-C (loop.json's ``stopped`` status ``interrupted``, no traceback),
    where the ``BrokenPipeError`` of its next line had recorded ``failed`` with a traceback.
    """


def said_while_read(say: Callable[[str], Any]) -> Callable[[str], Any]:
    """``say``, turning a closed standard output into :class:`OutputClosed`.

    Each line is flushed as it is said: piped, standard output is block-buffered, and the first
    to flush it was tqdm, as a stage's progress bar started, so a closed pipe failed the stage's
    run (status ``failed``, a traceback) instead of stopping the loop. Standard output is then
    pointed at os.devnull: the lines still buffered for it would fail again as Python exits
    ("Exception ignored ... BrokenPipeError" on stderr).
    """

    def said(text: str) -> Any:
        try:
            result = say(text)
            sys.stdout.flush()
            return result
        except BrokenPipeError as error:
            _to_devnull()
            raise OutputClosed from error

    return said


def said_after_verdict(say: Callable[[str], Any], text: str) -> None:
    """``say(text)`` once the loop's outcome is recorded: a closed output no longer changes it.

    The rejected fix's line, said after loop.json says ``rejected``: its :class:`OutputClosed`
    had turned that loop into one ``stopped`` at ``discover``.
    """
    with suppress(OutputClosed):  # standard output already points at os.devnull
        say(text)


@contextmanager
def closing_lines() -> Iterator[None]:
    """The loop's closing summary, printed and flushed; a closed standard output ends it quietly.

    The loop's outcome is decided by then, and its exit status follows it: a ``BrokenPipeError``
    here reached ``ffade``'s own handler (``ffade plugins | head -1``), which exits 0, though the
    fix was rejected; piped (block-buffered), it came at exit instead, as "Exception ignored ...
    BrokenPipeError" and status 120.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _to_devnull()


def _to_devnull() -> None:
    """Point standard output at os.devnull, so what is still buffered for it goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
