"""A fine-tune on two CPU processes (``--trainer.devices 2 --trainer.strategy ddp``, gloo).

Each rank trains on its share of the batches (the fine-tuner's batches are no DataLoader that
Lightning shards: before, every rank trained on every batch), the guard measures the whole
held-out set, and rank 0 alone writes the verdict. Slow: three processes start Lightning.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from tests.helpers import ffade
from tests.mitigate.conftest import KEYS, SMALL

pytestmark = pytest.mark.slow

CPU = ["--trainer.accelerator", "cpu"]


def fit(config: Path, save_dir: Path, *args: str) -> tuple[Path, dict, str]:
    """``ffade fit`` of the fine-tune config into ``save_dir``: its one run dir, mitigation.json
    and stderr."""
    logger = f"--trainer.logger.init_args.save_dir={save_dir}"
    result = ffade("fit", "--config", str(config), logger, *CPU, *args, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [path for path in save_dir.rglob("version_*") if path.is_dir()]
    assert len(runs) == 1, runs
    return runs[0], json.loads((runs[0] / "mitigation.json").read_text()), result.stderr


def small_fix(digits_run: Path, tmp_path: Path, **more: int) -> Path:
    """The digits fix of 4 batches of 32, one epoch, as a config file."""
    config = tmp_path / "fix.yaml"
    args = {**SMALL, "run": str(digits_run), "max_finetune_inputs": 128, **more}  # 4 batches
    config.write_text(
        yaml.safe_dump(
            {
                "seed_everything": 0,
                "model": {"class_path": "ffade.mitigate.ClassifierFineTuner", "init_args": args},
                "trainer": {
                    "max_epochs": 1,
                    "enable_progress_bar": False,
                    "logger": {
                        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                        "init_args": {"save_dir": str(tmp_path), "name": "fix"},
                    },
                },
            }
        )
    )
    return config


def test_two_processes_share_the_batches_and_judge_the_whole_heldout_set(
    digits_run: Path, tmp_path: Path
) -> None:
    config = small_fix(digits_run, tmp_path)
    _, alone, _ = fit(config, tmp_path / "one", "--trainer.devices", "1")
    two, shared, _ = fit(
        config, tmp_path / "two", "--trainer.devices", "2", "--trainer.strategy", "ddp"
    )
    assert alone["training"]["steps"] == 4 and shared["training"]["steps"] == 2  # 2 batches each
    # the original model measured on the whole held-out set: one rank's share would differ
    assert shared["guard"] == alone["guard"]
    for key in (k for k in KEYS if k.endswith("_before")):
        assert shared[key] == alone[key], key
    summary = json.loads((two / "summary.json").read_text())
    assert summary["status"] == shared["status"] and summary["environment"]["processes"] == 2
    checkpoint = torch.load(two / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["ffade"]["processes"] == 2 and checkpoint["ffade"]["batches_trained"] == 2
    if shared["accepted"]:  # the fix loads as the target's state dict
        fixed = torch.load(two / "model.pt")
        trained = {k.removeprefix("network."): v for k, v in checkpoint["state_dict"].items()}
        assert fixed.keys() == trained.keys()

    # resumed on another number of processes (as a kill while judging leaves the run), the
    # shares would differ: one line, before training
    (two / "mitigation.json").unlink()
    (two / "summary.json").write_text(json.dumps({**summary, "status": "training"}))
    logger = f"--trainer.logger.init_args.save_dir={tmp_path / 'again'}"
    resumed = ffade(
        "fit", "--config", str(config), logger, *CPU, "--trainer.devices", "1",
        "--ckpt_path", str(two / "checkpoints" / "last.ckpt"),
    )  # fmt: skip
    lines = [line for line in resumed.stderr.splitlines() if line.startswith("ffade")]
    assert resumed.returncode == 2 and len(lines) == 1, resumed.stderr[-2000:]
    assert "trained on 2 process(es); resume it on as many" in lines[0]
    assert "Traceback" not in resumed.stderr


def test_spawned_ranks_print_no_more_of_lightning_than_ddp_s(
    digits_run: Path, tmp_path: Path
) -> None:
    """``ddp_spawn``'s ranks start afresh, without ``ffade fit``'s quieting: each printed
    Lightning's deprecation warning, and rank 0 its stepping-batches and ``Trainer.fit
    stopped`` lines, which ``ddp`` and one process keep quiet."""
    config = small_fix(digits_run, tmp_path)
    spawn = ["--trainer.devices", "2", "--trainer.strategy", "ddp_spawn"]
    _, result, stderr = fit(config, tmp_path / "spawn", *spawn)
    assert result["training"]["steps"] == 2
    for noise in ("LeafSpec", "Trainer.fit` stopped", "estimate number of stepping batches"):
        assert noise not in stderr, stderr[-3000:]


def test_sigterm_during_the_first_heldout_check_stops_both_processes(
    digits_run: Path, tmp_path: Path
) -> None:
    """The held-out check before training runs before Lightning's and ffade's data-parallel
    SIGTERM handlers are set (docs/scale.md): ffade's own stops rank 0 as Ctrl-C does, and
    Lightning's Ctrl-C path ends rank 1. Both stop within seconds, not after the check."""
    config = small_fix(digits_run, tmp_path, guard_pairs=4096)  # a check of some seconds
    run = tmp_path / "sig" / "fix" / "version_0"
    command = [str(Path(sys.executable).parent / "ffade"), "fit", "--config", str(config)]
    command += [f"--trainer.logger.init_args.save_dir={tmp_path / 'sig'}", *CPU]
    command += ["--trainer.devices", "2", "--trainer.strategy", "ddp"]
    with (tmp_path / "stderr").open("w") as err:
        process = subprocess.Popen(command, stderr=err, stdout=err, start_new_session=True)
    try:
        summary = run / "summary.json"
        while process.poll() is None and '"measuring"' not in (
            summary.read_text() if summary.exists() else ""
        ):
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=120) == 1
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stderr = (tmp_path / "stderr").read_text()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert stderr.count("ffade: interrupted; its run directory is") == 1, stderr[-3000:]
    assert json.loads(summary.read_text())["status"] == "interrupted"
    assert not (run / "mitigation.json").exists()
