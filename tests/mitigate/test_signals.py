"""A fine-tune stopped by SIGTERM while it judges its fix (the held-out check after training)
stops there, status ``interrupted``, exit 1, and resumes from the checkpoint saved as training
ended. Lightning reads its SIGTERM note only between training steps: the check, the verdict and
an exit 0 followed, as if nothing had come."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lightning.pytorch import Callback
from lightning.pytorch.utilities.exceptions import SIGTERMException

from tests.helpers import REPO, ffade, ffade_in_process
from tests.mitigate.conftest import fine_tune


class SigtermAsTrainingEnds(Callback):
    """``kill PID`` as the last batch is done: callbacks' on_train_end come before the
    module's, which measures the guard after training and judges the fix."""

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_as_training_ends_stops_the_check_after_it_with_no_verdict(
    digits_run: Path, tmp_path: Path
) -> None:
    with pytest.raises(SIGTERMException):
        fine_tune(digits_run, tmp_path, callbacks=[SigtermAsTrainingEnds()])
    run = tmp_path / "mitigate" / "version_0"
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"
    assert not (run / "mitigation.json").exists() and not (run / "model.pt").exists()


class CtrlCOnceJudged(Callback):
    """Ctrl-C as Lightning ends the fit, once the verdict is written (mitigation.json)."""

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if (Path(trainer.log_dir) / "mitigation.json").is_file():
            os.kill(os.getpid(), signal.SIGINT)


def test_a_ctrl_c_after_the_verdict_keeps_it(digits_run: Path, tmp_path: Path) -> None:
    """Lightning's path for a stopped run ended a judged fine-tune with exit 1 and "ffade:
    interrupted; ... (summary.json: status interrupted)" beside its verdict (the summary keeps the
    verdict's status): the command's own lines and status, as a run that ran to its end."""
    args = fit_args(digits_run, tmp_path / "runs")
    args[args.index("128")] = "64"
    small = ["--model.init_args.guard_pairs", "256", "--model.init_args.eval_batch_size", "256"]
    callback = ["--trainer.callbacks+=tests.mitigate.test_signals.CtrlCOnceJudged"]
    handler = signal.getsignal(signal.SIGINT)
    try:
        result = ffade_in_process(*args, *small, *callback, cwd=tmp_path)
    finally:
        signal.signal(signal.SIGINT, handler)  # Lightning ignores it as a stopped run ends
    run = tmp_path / "runs" / "mitigate_digits" / "version_0"
    verdict = json.loads((run / "mitigation.json").read_text())["status"]
    assert json.loads((run / "summary.json").read_text())["status"] == verdict, result.stderr
    assert verdict in ("accepted", "rejected") and (run / "model.pt").is_file()
    assert result.returncode == 0, result.stderr
    assert "interrupted" not in result.stderr and "Traceback" not in result.stderr
    assert f"ffade: stopped after the run had ended; its results are complete in {run} " in (
        result.stderr
    )


def fit_args(digits_run: Path, save_dir: Path) -> list[str]:
    """configs/mitigate_digits.yaml on the small run, shrunk: 4 steps, a check of some seconds."""
    return [
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run",
        str(digits_run),
        "--model.init_args.max_finetune_inputs",
        "128",
        "--trainer.max_epochs",
        "1",
        "--trainer.accelerator",
        "cpu",
        "--trainer.logger.init_args.save_dir",
        str(save_dir),
    ]


@pytest.mark.slow  # two fine-tunes through the CLI
def test_kill_during_the_check_after_training_stops_it_and_the_resume_judges_the_fix(
    digits_run: Path, tmp_path: Path
) -> None:
    """Signalled once summary.json says ``measuring`` with the checkpoint saved as training
    ended there (the check after training: the one before has no checkpoint yet)."""
    run = tmp_path / "mitigate_digits" / "version_0"
    summary, checkpoint = run / "summary.json", run / "checkpoints" / "last.ckpt"
    command = [str(Path(sys.executable).parent / "ffade"), *fit_args(digits_run, tmp_path)]
    with (tmp_path / "stderr").open("w") as err:
        process = subprocess.Popen(command, cwd=REPO, stdout=err, stderr=err)
    try:
        while process.poll() is None and not (
            checkpoint.exists() and '"measuring"' in summary.read_text()
        ):
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 1
    finally:
        if process.poll() is None:
            process.kill()
    stderr = (tmp_path / "stderr").read_text()
    assert "Traceback" not in stderr, stderr[-3000:]
    lines = [line for line in stderr.splitlines() if line.startswith("ffade: interrupted;")]
    assert len(lines) == 1 and "resume it with: ffade fit --config" in lines[0], stderr[-3000:]
    assert json.loads(summary.read_text())["status"] == "interrupted"
    assert not (run / "mitigation.json").exists() and not (run / "model.pt").exists()
    resumed = ffade(*fit_args(digits_run, tmp_path), "--ckpt_path", str(run))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    result = json.loads((run.parent / "version_1" / "mitigation.json").read_text())
    assert result["status"] in ("accepted", "rejected") and result["training"]["steps"] == 4
