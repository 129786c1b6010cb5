"""A LoRA fine-tune stopped by Ctrl-C mid-epoch and resumed with the command it prints reaches
the uninterrupted run's numbers, verdict and adapters (docs/mitigation.md: "A resumed fine-tune
goes on exactly as if never stopped")."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from ffade_diffusion.mitigate.images import SHIPPED_DIGITS
from ffade_diffusion.targets.loading import fingerprint
from safetensors.torch import load_file

from ffade.cli import main
from tests.helpers import REPO
from tests.plugins.diffusion.mitigate.test_lora import _discover, _task, fine_tune

BATCHES_PER_EPOCH = 4  # 8 finetune inputs in batches of 2
EPOCHS = 4
"""16 steps: the checkpoint at step 10 lands in the third epoch, mid-epoch."""


@pytest.fixture(scope="module")
def t2i_run(tiny_pipeline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _discover(_task(tiny_pipeline), tmp_path_factory.mktemp("t2i_discovery"))


def _config(run: Path, root: Path, **args: Any) -> Path:
    """A LoRA fine-tune of ``run`` as a config file, with its runs under ``root``."""
    init_args = {
        "run": str(run),
        "max_finetune_inputs": 2 * BATCHES_PER_EPOCH,
        "batch_size": 2,
        "guard_pairs": 6,
        "eval_batch_size": 8,
        "learning_rate": 1e-2,
        "clean_tolerance": 1.0,
        **args,
    }
    model = {
        "class_path": "ffade_diffusion.mitigate.DiffusionLoRAFineTuner",
        "init_args": init_args,
    }
    logger = {
        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
        "init_args": {"save_dir": str(root), "name": "lora"},
    }
    trainer = {"max_epochs": EPOCHS, "logger": logger}
    config = root / "mitigate.yaml"
    root.mkdir(parents=True, exist_ok=True)
    config.write_text(yaml.safe_dump({"seed_everything": 0, "model": model, "trainer": trainer}))
    return config


def _ctrl_c_after_first_checkpoint(config: Path, run: Path) -> tuple[dict, str]:
    """Start ``ffade fit --config``, send SIGINT (Ctrl-C) once its first checkpoint (step 10) is
    written; return that checkpoint and what the stopped command printed."""
    exe = Path(sys.executable).parent / "ffade"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(exe), "fit", "--config", str(config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    checkpoint = run / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the fine-tune ended before it could be stopped mid-run"
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output[-2000:]  # as any stopped run
    assert not (run / "mitigation.json").exists()
    saved = None
    with contextlib.suppress(Exception):
        saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    assert saved is not None, output[-2000:]
    return saved, output


@pytest.mark.slow  # three LoRA fine-tunes through the CLI, one in a process of its own
def test_a_lora_fine_tune_stopped_by_ctrl_c_resumes_to_the_uninterrupted_result(
    t2i_run: Path, tmp_path: Path
) -> None:
    config = _config(t2i_run, tmp_path / "whole", teach_unchanged=0.5)
    assert main(["fit", "--config", str(config)]) == 0

    config = _config(t2i_run, tmp_path / "stopped", teach_unchanged=0.5)
    stopped = tmp_path / "stopped" / "lora" / "version_0"
    saved, output = _ctrl_c_after_first_checkpoint(config, stopped)
    assert BATCHES_PER_EPOCH * 2 < saved["global_step"] < BATCHES_PER_EPOCH * EPOCHS
    summary = json.loads((stopped / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    # the stopped run prints the command that resumes it: type it as printed
    line = next(x for x in output.splitlines() if "--ckpt_path" in x)
    command = shlex.split(line[line.index("ffade fit") :])
    assert command[:2] == ["ffade", "fit"] and str(stopped) in command, line
    assert main(command[1:]) == 0

    runs = (tmp_path / "whole" / "lora" / "version_0", stopped.parent / "version_1")
    first, second = (json.loads((r / "mitigation.json").read_text()) for r in runs)
    assert second["wall_seconds"] > saved["ffade"]["wall_seconds"] > 0
    for key in ("wall_seconds", "fixed_weights", "fixed_target"):  # times and paths differ
        first.pop(key, None), second.pop(key, None)
    assert second == first  # the verdict, the guard's numbers, the regions, the step count
    assert first["training"]["steps"] == BATCHES_PER_EPOCH * EPOCHS
    # the trained adapters are the same, to the bit (an accepted fix's lora/; a rejected one's
    # are in the last checkpoint, as the training left them)
    if first["accepted"]:
        a, b = (load_file(r / "lora" / "pytorch_lora_weights.safetensors") for r in runs)
    else:
        a, b = (
            {
                k: v
                for k, v in torch.load(
                    r / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True
                )["state_dict"].items()
                if "lora_" in k
            }
            for r in runs
        )
    assert a and a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]


@pytest.mark.slow  # three small fine-tunes
def test_the_guard_keys_a_trained_loras_images_by_its_adapters_not_its_run_directory(
    t2i_run: Path, tmp_path: Path
) -> None:
    """After training, the guard's images were keyed by the fine-tune's run directory: a resumed
    fine-tune (a new version_N) trains the same adapters, yet a ``human`` reward asked again every
    image the stopped run's guard had rated, though the docs promise a resumed run asks only the
    rest. Keys now name the adapters' contents."""
    args = {"class_images": str(SHIPPED_DIGITS), "clean_tolerance": 1.0}
    first = fine_tune(t2i_run, tmp_path / "first", **args)
    again = fine_tune(t2i_run, tmp_path / "again", **args)
    other = fine_tune(t2i_run, tmp_path / "other", learning_rate=1e-2, **args)
    assert first.run_dir != again.run_dir
    assert first.target.fingerprint != fingerprint(**first.target.image_settings)  # no LoRA's
    assert first.target.fingerprint == again.target.fingerprint  # the same adapters
    assert other.target.fingerprint != first.target.fingerprint  # other adapters
