"""The run plumbing explorers and fine-tuners share: seed, run directory, clock, crash records."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything
from lightning.pytorch.loggers import TensorBoardLogger
from torch.utils.data import DataLoader

from ffade import run_base
from ffade.run_base import RunModule


class _Crashing(RunModule):
    """Trains a linear layer and crashes on its third step."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def setup(self, stage: str) -> None:
        self.start_run()

    def on_train_start(self) -> None:
        self.write_summary("running")

    def summary(self) -> dict[str, Any]:
        return {"status": self.status, "seed": self.seed}

    def train_dataloader(self) -> DataLoader:
        return DataLoader(torch.ones(8, 2), batch_size=2)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        if batch_idx == 2:
            raise RuntimeError("boom")
        return self.layer(batch).sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.layer.parameters(), lr=0.1)


def test_a_crash_is_recorded_in_the_loggers_run_directory(tmp_path: Path) -> None:
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    seed_everything(7, verbose=False)
    module = _Crashing()
    trainer = Trainer(
        max_epochs=1,
        logger=TensorBoardLogger(str(tmp_path), name="crash"),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(module)
    assert module.run_dir == tmp_path / "crash" / "version_0"
    summary = json.loads((module.run_dir / "summary.json").read_text())
    environment = summary.pop("environment")  # every run says where it ran, a crashed one too
    assert summary == {"status": "failed", "seed": 7}
    assert environment["device"] == "cpu (" + torch.backends.cpu.get_cpu_capability() + ")"


def test_no_summary_before_the_run_has_a_directory() -> None:
    module = _Crashing()
    module.end_run("failed")  # a crash before setup: nothing to write to, and no error
    assert module.status == "failed" and module.run_dir is None


def test_the_clock_counts_only_while_running(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(run_base.time, "monotonic", lambda: now[0])
    module = _Crashing()
    module.wall_seconds = 5.0  # banked by an earlier, resumed part of the run
    module.start_clock()
    now[0] = 102.5
    assert module.elapsed_seconds() == 7.5
    module.stop_clock()
    now[0] = 110.0
    assert module.elapsed_seconds() == module.wall_seconds == 7.5


def test_an_interrupted_run_names_its_resume_command_only_when_one_can_resume(
    tmp_path: Path,
) -> None:
    """A fine-tune stopped before its first checkpoint cannot resume: no command is offered."""
    module = _Crashing()
    module.run_dir = tmp_path
    line = run_base.interrupted_line(module)
    assert line.startswith(f"ffade: interrupted; the run so far is in {tmp_path}")
    assert "--ckpt_path" not in line
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"saved")
    resume = f"ffade fit --config {tmp_path / 'config.yaml'} --ckpt_path {tmp_path}"
    assert run_base.interrupted_line(module).endswith(f"resume it with: {resume}")
