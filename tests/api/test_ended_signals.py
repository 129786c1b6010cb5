"""Ctrl-C or SIGTERM once a run called from Python has recorded its results (summary.json
``finished``), while it draws its worst examples: the run keeps its status, as on the command
line, and the script stops as the signal asked. A SIGTERM Lightning held there was dropped: the
call returned the run and the script went on, as a scheduler's ``kill`` had never come."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from ffade_synthetic.target import SyntheticTarget

import ffade
from tests.helpers import synthetic_spec


def _drawn_with(stop: signal.Signals, log: Path) -> type[SyntheticTarget]:
    class DrawnOnSignal(SyntheticTarget):  # the search's whole log: its pictures now
        def render(self, inputs):
            if len(log.read_text().splitlines()) == 32 and not getattr(self, "sent", False):
                self.sent = True
                os.kill(os.getpid(), stop)
            return super().render(inputs)

    return DrawnOnSignal


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_after_a_search_finished_stops_the_script_and_keeps_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stop: signal.Signals
) -> None:
    run_dir = tmp_path / "ffade" / "version_0"
    spec = synthetic_spec()
    spec["target"] = _drawn_with(stop, run_dir / "evaluations.jsonl")
    raised = KeyboardInterrupt if stop == signal.SIGINT else SystemExit
    with pytest.raises(raised) as error:
        ffade.discover(task=spec, explorer="random", budget=32, save_dir=tmp_path)
    assert stop == signal.SIGINT or error.value.code == 1  # as the command's SIGTERM: status 1
    run = ffade.Run(run_dir)
    assert run.summary["status"] == "finished" and run.summary["evaluations"] == 32
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ffade:")]
    assert lines == [
        f"ffade: stopped after the run had ended; its results are complete in {run_dir} "
        "(summary.json: status finished); "
        + (
            "its worst examples and policy.npy may be missing"
            if stop == signal.SIGINT
            else "a SIGTERM came as it ended: nothing was cut"
        )
    ]
