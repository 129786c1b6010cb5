"""A fine-tune killed mid-run and resumed with ``--ckpt_path`` reaches the uninterrupted verdict."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback

from ffade.cli import main
from ffade.feedback.from_file import feedback_from_file
from tests.helpers import REPO, ffade

BATCHES_PER_EPOCH = 16  # 128 inputs in batches of 8
EPOCHS = 6
"""96 steps: the checkpoint every 10 steps lands mid-epoch (10, 20, ...), past the first epoch."""


def fit_args(digits_run: Path, save_dir: Path, epochs: int = EPOCHS) -> list[str]:
    """``ffade fit`` of configs/mitigate_digits.yaml on the small run, as a user types it."""
    return [
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run",
        str(digits_run),
        "--model.init_args.max_finetune_inputs",
        str(8 * BATCHES_PER_EPOCH),
        "--model.init_args.batch_size",
        "8",
        "--model.init_args.guard_pairs",
        "256",
        "--trainer.max_epochs",
        str(epochs),
        "--trainer.logger.init_args.save_dir",
        str(save_dir),
    ]


def kill_after_second_checkpoint(args: list[str], run: Path) -> dict:
    """Start ``ffade fit``, SIGKILL it once its checkpoint was written twice (step 20, in the
    second epoch); return the killed run's checkpoint."""
    exe = Path(sys.executable).parent / "ffade"
    process = subprocess.Popen([str(exe), *args], cwd=REPO, stdout=subprocess.DEVNULL)
    checkpoint, seen = run / "checkpoints" / "last.ckpt", set()
    deadline = time.monotonic() + 240
    while len(seen) < 2 and process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            seen.add(os.stat(checkpoint).st_ino)  # each save renames a new file over it
        time.sleep(0.01)
    assert process.poll() is None, "the fine-tune ended before it could be killed mid-run"
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert not (run / "mitigation.json").exists()
    return torch.load(checkpoint, map_location="cpu", weights_only=True)


@pytest.mark.slow  # three fine-tunes through the CLI, about a minute
def test_a_killed_fine_tune_resumes_to_the_uninterrupted_numbers_and_verdict(
    digits_run: Path, tmp_path: Path
) -> None:
    whole = ffade(*fit_args(digits_run, tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-2000:]
    killed = tmp_path / "killed" / "mitigate_digits" / "version_0"
    saved = kill_after_second_checkpoint(fit_args(digits_run, tmp_path / "killed"), killed)
    step = saved["global_step"]
    assert BATCHES_PER_EPOCH < step < BATCHES_PER_EPOCH * EPOCHS  # past an epoch, not done
    resumed = ffade(*fit_args(digits_run, tmp_path / "killed"), "--ckpt_path", str(killed))
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    runs = (tmp_path / "whole" / "mitigate_digits" / "version_0", killed.parent / "version_1")
    first, second = (json.loads((r / "mitigation.json").read_text()) for r in runs)
    # wall_seconds counts on from the checkpoint's, as a search's does: it once started at 0
    assert second["wall_seconds"] > saved["ffade"]["wall_seconds"] > 0
    for key in ("wall_seconds", "fixed_weights", "fixed_target"):  # times and paths differ
        first.pop(key), second.pop(key)
    assert second == first  # the verdict, the guard's numbers, the regions, the step count
    assert first["training"]["steps"] == BATCHES_PER_EPOCH * EPOCHS
    if first["accepted"]:
        a, b = (torch.load(r / "model.pt", weights_only=True) for r in runs)
        assert all(torch.equal(a[k], b[k]) for k in a)

    # the finished fine-tune is not run again, and is named by what reads it: ffade report
    # refuses a fine-tune's directory, so the line points at mitigation.json instead
    again = ffade(*fit_args(digits_run, tmp_path / "whole"), "--ckpt_path", str(runs[0]))
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"already finished (status {second['status']})" in again.stdout
    assert str(runs[0] / "mitigation.json") in again.stdout and "ffade report" not in again.stdout
    assert not (runs[0].parent / "version_1").exists()


def test_a_fine_tune_stopped_before_its_first_checkpoint_says_it_cannot_resume(
    digits_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C within a fine-tune's first 10 steps leaves config.yaml and summary.json but no
    checkpoint; resuming it was refused as "a directory with neither checkpoints/last.ckpt nor
    evaluations.jsonl; point it at an ffade run directory", which it is."""
    stopped = tmp_path / "mitigate_digits" / "version_0"
    stopped.mkdir(parents=True)
    summary = {"finetuner": "classifier", "status": "interrupted", "steps": 3}
    (stopped / "summary.json").write_text(json.dumps(summary))
    args = fit_args(digits_run, tmp_path / "again")
    assert main([*args, "--ckpt_path", str(stopped)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ffade")]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert "stopped before its first checkpoint" in lines[0], lines[0]
    assert "ClassifierFineTuner resumes only from a checkpoint" in lines[0], lines[0]
    assert "drop --ckpt_path" in lines[0] and not (tmp_path / "again").exists()


def test_a_fine_tune_killed_while_judging_its_fix_is_judged_when_resumed(
    digits_run: Path, tmp_path: Path, capsys
) -> None:
    """The last checkpoint is saved as training ends, before the guard's second measurement: a
    kill there left a run whose resume had no training left, so Lightning skipped the verdict
    and the resume ended with status 0 and no mitigation.json."""
    assert main(fit_args(digits_run, tmp_path)) == 0
    run = tmp_path / "mitigate_digits" / "version_0"
    whole = json.loads((run / "mitigation.json").read_text())
    for name in ("mitigation.json", "model.pt"):  # as a kill while judging leaves the run
        (run / name).unlink(missing_ok=True)
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "training"}))
    assert main([*fit_args(digits_run, tmp_path), "--ckpt_path", str(run)]) == 0
    judged = json.loads((run.parent / "version_1" / "mitigation.json").read_text())
    for key in ("wall_seconds", "fixed_weights", "fixed_target"):  # times and paths differ
        whole.pop(key), judged.pop(key)
    assert judged == whole


def test_a_finished_fine_tune_whose_mitigation_json_was_lost_is_judged_again(
    digits_run: Path, tmp_path: Path, capsys
) -> None:
    """A finished fine-tune (summary.json: accepted) whose mitigation.json was deleted said
    "already finished; its verdict and held-out numbers are in .../mitigation.json", a file that
    was not there, and made nothing; its resume now rebuilds the verdict from the checkpoint."""
    assert main(fit_args(digits_run, tmp_path)) == 0
    run = tmp_path / "mitigate_digits" / "version_0"
    whole = json.loads((run / "mitigation.json").read_text())
    (run / "mitigation.json").unlink()
    assert main([*fit_args(digits_run, tmp_path), "--ckpt_path", str(run)]) == 0
    assert "already finished" not in capsys.readouterr().out
    judged = json.loads((run.parent / "version_1" / "mitigation.json").read_text())
    for key in ("wall_seconds", "fixed_weights", "fixed_target"):  # times and paths differ
        whole.pop(key), judged.pop(key)
    assert judged == whole


def test_a_resume_whose_feedback_changed_since_its_checkpoint_is_refused(
    digits_run: Path, tmp_path: Path, capsys
) -> None:
    """The checkpoint keeps the guard's numbers before training, measured on the pairs of the
    priorities the fine-tune started with; a resume read feedback.yaml afresh, so priorities
    changed in between (``ffade feedback RUN --redo``) trained on other regions halfway and
    judged the fix against a baseline measured on other pairs. It is now one line, exit 2."""
    run = tmp_path / "discover"
    shutil.copytree(digits_run, run)
    # one epoch (16 steps): its checkpoint at step 10 is all the refusal reads (6 took ~60 s)
    args = fit_args(run, tmp_path, epochs=1)
    assert main(args) == 0
    fixed = tmp_path / "mitigate_digits" / "version_0"
    assert (fixed / "checkpoints" / "last.ckpt").is_file()
    (fixed / "mitigation.json").unlink()  # as a kill while judging leaves it
    summary = json.loads((fixed / "summary.json").read_text())
    (fixed / "summary.json").write_text(json.dumps({**summary, "status": "training"}))
    other = {"regions": [{"rank": 2, "priority": "high"}], "default": "skip"}
    feedback_from_file(run, other, pictures=lambda r: None, redo=True)
    capsys.readouterr()

    assert main([*args, "--ckpt_path", str(fixed)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ffade")]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert str(run / "feedback.yaml") in lines[0] and "other priorities" in lines[0], lines[0]
    assert not (fixed.parent / "version_1" / "mitigation.json").exists()


STOPPED_AT = 13
"""Between the step-10 and step-20 saves: a stop that kept no checkpoint of its own resumes 3
steps back."""


class SigtermMidway(Callback):
    """SIGTERM to its own process as step :data:`STOPPED_AT` starts. A ``kill`` from outside a
    moment after the first save could land on a save's step (20, 30: the test then passes without
    the fix) or after training ended; this lands between saves however loaded the machine is."""

    def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
        if trainer.global_step == STOPPED_AT - 1:
            os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.slow  # three fine-tunes through the CLI, about a minute
def test_a_fine_tune_stopped_by_sigterm_resumes_from_the_step_it_stopped_at(
    digits_run: Path, tmp_path: Path
) -> None:
    """SIGTERM stops a fine-tune at the end of the batch under way, and saves its checkpoint
    there: the resume goes on from that very step (it went back to the last every-10-steps
    save), to the uninterrupted numbers and verdict."""
    whole = ffade(*fit_args(digits_run, tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-2000:]
    stopped = tmp_path / "stopped" / "mitigate_digits" / "version_0"
    callback = "--trainer.callbacks+=tests.mitigate.test_resume.SigtermMidway"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    exe = Path(sys.executable).parent / "ffade"
    args = [str(exe), *fit_args(digits_run, tmp_path / "stopped"), callback]
    result = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    summary = json.loads((stopped / "summary.json").read_text())
    assert summary["status"] == "interrupted", result.stderr[-2000:]
    saved = torch.load(stopped / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert saved["ffade"]["batches_trained"] == summary["steps"] == STOPPED_AT
    resumed = ffade(*fit_args(digits_run, tmp_path / "stopped"), "--ckpt_path", str(stopped))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    runs = (tmp_path / "whole" / "mitigate_digits" / "version_0", stopped.parent / "version_1")
    first, second = (json.loads((r / "mitigation.json").read_text()) for r in runs)
    for key in ("wall_seconds", "fixed_weights", "fixed_target"):  # times and paths differ
        first.pop(key), second.pop(key)
    assert second == first
