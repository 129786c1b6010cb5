"""A Ctrl-C once a run's results are complete and recorded (a search's summary.json says
``finished``, a fine-tune's verdict is written) cuts only what is left, the pictures or
Lightning's teardown: summary.json keeps how the run ended and the command exits with its own
status. Lightning's path for a stopped run rewrote it ``interrupted`` and exited 1, beside the
search's results or the verdict's mitigation.json and weights."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import yaml

from tests.helpers import ffade_in_process, write_config

STOPPED_AFTER = """
import json
import os
import signal
from pathlib import Path

from ffade_synthetic.target import SyntheticTarget
from lightning.pytorch import Callback


class CtrlCOnceFinished(Callback):
    def on_fit_end(self, trainer, pl_module):
        summary = Path(trainer.log_dir) / "summary.json"
        if json.loads(summary.read_text())["status"] == "finished":  # the run wrote its end
            os.kill(os.getpid(), signal.SIGINT)


class DrawnOnCtrlC(SyntheticTarget):
    def render(self, inputs):
        log = Path("runs/test/version_0/evaluations.jsonl")
        if len(log.read_text().splitlines()) == 32:  # the search's whole log: its pictures now
            os.kill(os.getpid(), signal.SIGINT)
        return super().render(inputs)
"""


def _fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, callbacks: list[str], target: str):
    (tmp_path / "stopped_after.py").write_text(STOPPED_AFTER)
    monkeypatch.syspath_prepend(str(tmp_path))
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    data = yaml.safe_load(config.read_text())
    data["trainer"]["callbacks"] = [{"class_path": f"stopped_after.{c}"} for c in callbacks]
    if target:
        data["model"]["init_args"]["task"]["target"] = {"name": target}
    config.write_text(yaml.safe_dump(data))
    handler = signal.getsignal(signal.SIGINT)
    try:
        return ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    finally:
        signal.signal(signal.SIGINT, handler)  # Lightning ignores it as a stopped run ends


@pytest.mark.parametrize(
    ("callbacks", "target", "cut"),
    [(["CtrlCOnceFinished"], "", "teardown"), ([], "stopped_after:DrawnOnCtrlC", "policy.npy")],
)
def test_a_ctrl_c_after_a_search_finished_keeps_it_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, callbacks: list[str], target: str, cut: str
) -> None:
    result = _fit(tmp_path, monkeypatch, callbacks, target)
    run = tmp_path / "runs" / "test" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 32, result.stderr
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("ffade:")]
    assert (
        lines[0].startswith(
            f"ffade: stopped after the run had ended; its results are complete in {run} "
            "(summary.json: status finished); "
        )
        and cut in lines[0]
    ), result.stderr
    assert "interrupted" not in result.stderr and "Traceback" not in result.stderr
    assert str(run) in result.stdout  # its closing lines, as a run that ran to its end
