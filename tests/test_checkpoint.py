"""checkpoints/last.ckpt: every explorer leaves one, and a finished run's is its final state."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ffade.checkpoint import LAST_CHECKPOINT
from ffade.explore import DQNExplorer, GridExplorer, RandomExplorer
from ffade.explore.run import discover
from tests.helpers import synthetic_spec


@pytest.mark.parametrize("cls", [RandomExplorer, GridExplorer])
def test_explorers_without_an_optimizer_checkpoint_too(cls: type, tmp_path: Path) -> None:
    explorer = cls(task=synthetic_spec(), budget=40, num_envs=2)
    discover(explorer, tmp_path, checkpoints=True)
    saved = torch.load(explorer.recorder.run_dir / LAST_CHECKPOINT, weights_only=False)["ffade"]
    assert saved["iterations"] == explorer.iterations == 20
    assert saved["evaluator"]["evaluations"] == 40


def test_a_finished_learner_saves_its_final_q_network(tmp_path: Path) -> None:
    explorer = DQNExplorer(task=synthetic_spec(), budget=92, num_envs=4, learning_starts=16)
    discover(explorer, tmp_path, checkpoints=True)
    checkpoint = torch.load(explorer.recorder.run_dir / LAST_CHECKPOINT, weights_only=False)
    assert checkpoint["ffade"]["gradient_updates"] == explorer.gradient_updates > 0
    for name, value in explorer.q_network.state_dict().items():
        assert torch.equal(checkpoint["state_dict"][f"q_network.{name}"], value), name
