"""checkpoints/last.ckpt: every explorer leaves one, and a finished run's is its final state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback

from ffade.checkpoint import LAST_CHECKPOINT, LastCheckpoint
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


def test_a_learners_checkpoint_does_not_grow_with_feature_width(tmp_path: Path) -> None:
    """Replay keeps input indices: wide features (AlexNet's 4,096) once made checkpoints 1.6 GB."""
    sizes = {}
    for width in (8, 2048):
        spec = synthetic_spec()
        spec["target"]["args"] = {"feature_dim": width}
        spec["dataset"]["args"]["feature_dim"] = width
        explorer = DQNExplorer(task=spec, budget=64, num_envs=4, learning_starts=16)
        discover(explorer, tmp_path, name=f"width{width}", checkpoints=True)
        sizes[width] = (explorer.recorder.run_dir / LAST_CHECKPOINT).stat().st_size
    # the Q-network's first layer grows with the width (2048 x 128 floats = 1 MiB); a buffer of
    # features would add 50,000 x 2 x 2048 floats = 800 MB
    assert sizes[2048] - sizes[8] < 2 * 2048 * 128 * 4 * 3, sizes


class _Clock:
    """A clock that moves ``step_seconds`` a step and ``save_seconds`` a save: no sleeping, no
    timing."""

    def __init__(self, save_seconds: float, step_seconds: float = 1.0) -> None:
        self.now = 0.0
        self.save_seconds = save_seconds
        self.step_seconds = step_seconds
        self.steps = 0
        self.saved_at: list[int] = []

    def __call__(self) -> float:
        return self.now


class _Ticks(Callback):
    def __init__(self, clock: _Clock) -> None:
        self.clock = clock

    def on_train_batch_end(self, *args: Any, **kwargs: Any) -> None:
        self.clock.steps += 1
        self.clock.now += self.clock.step_seconds

    def on_save_checkpoint(self, *args: Any, **kwargs: Any) -> None:  # within each save
        self.clock.saved_at.append(self.clock.steps)
        self.clock.now += self.clock.save_seconds


@pytest.mark.parametrize(
    ("save_seconds", "step_seconds", "step_saves"),
    [
        (0.0, 1.0, None),  # cheap saves: every 10 steps
        # a save of 5 s (5 steps' time) waits until it is 5% of the time since: 100 s later
        (5.0, 1.0, [10, 110]),
        # a save under CHEAP_SAVE never waits, however quick the steps (a small run on a loaded
        # machine resumes where it would on an idle one)
        (0.2, 0.001, None),
    ],
)
def test_a_slow_save_stretches_the_cadence_to_5_percent_of_the_run(
    save_seconds: float, step_seconds: float, step_saves: list[int] | None, tmp_path: Path
) -> None:
    clock = _Clock(save_seconds, step_seconds)
    explorer = RandomExplorer(task=synthetic_spec(), budget=400, num_envs=2)
    discover(explorer, tmp_path, callbacks=[_Ticks(clock), LastCheckpoint(clock=clock)])
    assert 200 <= clock.steps < 210
    if step_saves is None:
        step_saves = list(range(10, clock.steps + 1, 10))
    assert clock.saved_at == [*step_saves, clock.steps]  # and once more at the end, always
    saved = torch.load(explorer.recorder.run_dir / LAST_CHECKPOINT, weights_only=False)["ffade"]
    assert saved["iterations"] == explorer.iterations  # the final state
