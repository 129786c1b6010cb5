"""How a loop that cannot go on says so: :class:`StageStopped`, loop.json's ``stopped``.

:mod:`ffade.loop` raises it when a stage's run does not end as it should, or when Ctrl-C, a
mistake or a crash stops the feedback or the report (no runs of their own).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ffade.records import SUMMARY_FILE

STAGE_AFTER = {
    "discovered": "feedback",
    "prioritized": "mitigate",
    "mitigated": "rediscover",
    "rediscovered": "report",
}
"""The stage under way after a status, for what stops the loop outside a Lightning run (whose
own stops ``ffade.loop._run_stage`` names): Ctrl-C, a mistake or a crash in the feedback or
report."""


class StageStopped(Exception):
    """A stage's run ended without finishing (Ctrl-C, a crash), so the loop cannot go on.

    Not an :class:`FfadeError`: nothing typed was wrong, so ``ffade loop`` exits 1, not 2. A
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
            how = f"{run_dir} ended with status '{status}'"
        elif interrupted:  # Ctrl-C as the stage's run set up: "ended with no summary" hid it
            how = f"{run_dir} was interrupted before it wrote {SUMMARY_FILE}"
        else:
            how = f"{run_dir} ended with no {SUMMARY_FILE}"
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

    Standard output is then pointed at os.devnull: the lines still buffered for it would fail
    again as Python exits ("Exception ignored ... BrokenPipeError" on stderr).
    """

    def said(text: str) -> Any:
        try:
            return say(text)
        except BrokenPipeError as error:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise OutputClosed from error

    return said
