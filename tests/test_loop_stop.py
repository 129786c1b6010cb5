"""``ffade loop`` stopped by Ctrl-C or SIGTERM once a stage's run has recorded its results (the
discovery's summary.json says ``finished``; here while it draws its worst examples). The stage
ended: loop.json records it as done and the loop stops where a Ctrl-C just after it stops it.
Before, Ctrl-C said `loop stage discover stopped: DIR ended with status 'finished'` with the
stage unrecorded, and a SIGTERM Lightning held there was dropped: the loop went on."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from ffade.cli import main
from ffade.loop_stop import StageStopped
from tests.test_loop import stopping_loop

DRAWN_ON_SIGNAL = """
import os
from pathlib import Path

from ffade_synthetic.target import SyntheticTarget


class DrawnOnSignal(SyntheticTarget):
    def render(self, inputs):
        log = Path(LOG)
        if len(log.read_text().splitlines()) == 32 and not getattr(self, "sent", False):
            self.sent = True  # the search's whole log: its pictures now
            os.kill(os.getpid(), SIGNAL)
        return super().render(inputs)
"""


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_once_a_stage_ended_records_it_and_stops_the_loop(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stop: signal.Signals,
) -> None:
    loop_dir = tmp_path / "loops" / "version_0"
    run = loop_dir / "discover"
    module = DRAWN_ON_SIGNAL.replace("LOG", repr(str(run / "evaluations.jsonl")))
    name = f"drawn_on_{int(stop)}"  # a module of its own each: imported once per process
    (tmp_path / f"{name}.py").write_text(module.replace("SIGNAL", str(int(stop))))
    monkeypatch.syspath_prepend(str(tmp_path))
    loop = stopping_loop(tmp_path, {"name": f"{name}:DrawnOnSignal"}, budget=32)
    handler = signal.getsignal(signal.SIGINT)
    try:
        assert main(["loop", "--config", str(loop)]) == 1
    finally:
        signal.signal(signal.SIGINT, handler)
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr, stderr
    assert f"its results are complete in {run} (summary.json: status finished)" in stderr
    last = stderr.strip().splitlines()[-1]
    assert last == "ffade: error: loop stage feedback stopped: interrupted"
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["status"] == "stopped" and record["discover"] == str(run)
    assert record["stopped"] == {"stage": "feedback", "run": None, "status": "interrupted"}
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"


@pytest.mark.parametrize(
    ("status", "interrupted", "how"),
    [
        ("failed", False, "ended with status 'failed'"),
        (None, True, "was interrupted before it wrote summary.json"),
        (None, False, "ended with no summary.json"),
    ],
)
def test_a_stopped_stage_names_its_run_as_one_shell_word(
    status: str | None, interrupted: bool, how: str
) -> None:
    """`loop stage discover stopped: runs/my loop/version_0/discover ended ...` named the run
    unquoted, two words to a shell, where the loop's other printed paths are quoted."""
    stop = StageStopped("discover", Path("runs/my loop/version_0/discover"), status, interrupted)
    assert str(stop) == f"loop stage discover stopped: 'runs/my loop/version_0/discover' {how}"
