"""A fine-tune a trainer limit ends before its length (max_time, a callback) says it stopped
early, and ``--ckpt_path`` continues it to the unstopped run's verdict; ``max_steps`` sets the
length (the cosine schedule is sized to it), so a fine-tune it ends is not early."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightning.pytorch import Callback

from ffade.cli import main
from ffade.run_endings import run_ending
from tests.helpers import REPO
from tests.mitigate.conftest import KEYS, fine_tune


class StopAfter(Callback):
    """Ends training once ``steps`` optimizer steps are taken, as a user's callback may."""

    def __init__(self, steps: int = 3) -> None:
        self.steps = steps

    def on_train_batch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if trainer.global_step >= self.steps:
            trainer.should_stop = True


def test_a_fine_tune_a_callback_stopped_says_so_after_its_verdict(
    digits_run: Path, tmp_path: Path
) -> None:
    """It was judged and printed as a finished fix: no word that it trained 3 of its 4 steps."""
    tuner = fine_tune(digits_run, tmp_path, epochs=2, callbacks=[StopAfter(3)])
    record = json.loads((tuner.run_dir / "mitigation.json").read_text())
    reason = "Lightning's Trainer stopped it (a trainer limit such as max_time, or a callback)"
    assert record["stop_reason"] == f"{reason} after 3 of its 4 steps"
    assert record["stopped_early"] is True
    summary = json.loads((tuner.run_dir / "summary.json").read_text())
    assert summary["stop_reason"] == record["stop_reason"] and summary["stopped_early"]
    ending = run_ending(tuner.run_dir).splitlines()
    assert ending[3].startswith(f"stopped early: {reason} after 3 of its 4 steps; the guard")
    assert ending[4].startswith("continue it: ffade fit --config ")


def fit_args(run: Path, save_dir: Path) -> list[str]:
    """``ffade fit`` of configs/mitigate_digits.yaml: 2 epochs of 4 batches."""
    return [
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        *("--model.init_args.run", str(run), "--model.init_args.max_finetune_inputs", "32"),
        *("--model.init_args.batch_size", "8", "--model.init_args.guard_pairs", "256"),
        *("--trainer.max_epochs", "2", "--trainer.logger.init_args.save_dir", str(save_dir)),
    ]


@pytest.mark.slow  # three small fine-tunes through the CLI
def test_an_early_stopped_fine_tune_continues_to_the_unstopped_verdict(
    digits_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Resumed, it was 'already finished'; and a stop mid-epoch, counted by Lightning as the
    epoch done, skipped the rest of that epoch: one epoch fewer than the unstopped run."""
    assert main(fit_args(digits_run, tmp_path / "whole")) == 0
    stopper = tmp_path / "stop.yaml"
    callback = {"class_path": f"{__name__}.StopAfter", "init_args": {"steps": 3}}
    stopper.write_text(yaml.safe_dump({"trainer": {"callbacks": [callback]}}))
    args = fit_args(digits_run, tmp_path / "cut")
    assert main([*args, "--config", str(stopper)]) == 0
    assert "stopped early: " in capsys.readouterr().out
    cut = tmp_path / "cut" / "mitigate_digits" / "version_0"
    assert main([*args, "--ckpt_path", str(cut)]) == 0
    out = capsys.readouterr()
    assert "already finished" not in out.out and "stopped early" not in out.out
    assert "goes on to its max_epochs" in out.err
    whole, resumed = (
        json.loads((tmp_path / r / "mitigate_digits" / v / "mitigation.json").read_text())
        for r, v in (("whole", "version_0"), ("cut", "version_1"))
    )
    assert resumed["training"]["steps"] == whole["training"]["steps"] == 8
    assert {k: resumed[k] for k in KEYS} == {k: whole[k] for k in KEYS}
    assert resumed["stopped_early"] is False and resumed["status"] == whole["status"]


def test_max_steps_sets_a_fine_tunes_length_it_is_not_stopped_early(
    digits_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cosine schedule falls to 0 by max_steps: the fine-tune asked for, not a cut one."""
    assert main([*fit_args(digits_run, tmp_path), "--trainer.max_steps", "3"]) == 0
    assert "stopped early" not in capsys.readouterr().out
    run = tmp_path / "mitigate_digits" / "version_0"
    record = json.loads((run / "mitigation.json").read_text())
    assert record["stop_reason"] == "trainer.max_steps 3 reached (fewer steps than max_epochs 2)"
    assert record["stopped_early"] is False
