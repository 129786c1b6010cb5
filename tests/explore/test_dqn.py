"""The DQN explorer must learn: it updates, and it beats random search on planted failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ffade.errors import FfadeError
from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.run import discover
from ffade.records import read_evaluations
from tests.helpers import synthetic_spec


def test_makes_gradient_updates_that_change_the_network(tmp_path: Path) -> None:
    explorer = DQNExplorer(task=synthetic_spec(), budget=160, num_envs=16, learning_starts=32)
    discover(explorer, tmp_path, seed=0, name="a")
    assert explorer.gradient_updates > 0
    summary = json.loads((Path(explorer.recorder.run_dir) / "summary.json").read_text())
    assert summary["gradient_updates"] == explorer.gradient_updates
    torch.manual_seed(explorer.seed)  # how the explorer seeded its initial network
    width = explorer.input_features.shape[1]
    fresh = type(explorer.q_network)(width, 3, explorer.hparams.hidden_dim)
    changed = any(
        not torch.equal(a, b)
        for a, b in zip(fresh.parameters(), explorer.q_network.parameters(), strict=True)
    )
    assert changed


def test_finds_more_failures_than_random_search(tmp_path: Path) -> None:
    found = {}
    for cls in (DQNExplorer, RandomExplorer):
        explorer = discover(
            cls(task=synthetic_spec(), budget=400, num_envs=16), tmp_path, seed=1, name=cls.name
        )
        found[cls.name] = explorer.evaluator.failures
    assert found["dqn"] >= 2 * found["random"], found


def test_same_seed_same_results(tmp_path: Path) -> None:
    logs = []
    for name in ("first", "second"):
        explorer = discover(
            DQNExplorer(task=synthetic_spec(), budget=96, num_envs=16), tmp_path, seed=7, name=name
        )
        logs.append(
            [(r.input_id, r.state, r.failed) for r in read_evaluations(explorer.recorder.run_dir)]
        )
    assert logs[0] == logs[1]


def test_learning_must_start_within_the_budget() -> None:
    with pytest.raises(
        FfadeError, match=r"learning_starts \(1000\) must be below the budget \(500\)"
    ):
        DQNExplorer(task=synthetic_spec(), budget=500, learning_starts=1000)


def test_microscopic_finds_small_failing_changes(tmp_path: Path) -> None:
    spec = synthetic_spec(mode="microscopic")
    explorer = DQNExplorer(
        task=spec, budget=300, num_envs=16, max_steps=20, start_state={"axis0": 0.889}
    )
    discover(explorer, tmp_path, seed=0, name="micro")
    summary = explorer.summary()
    assert explorer.gradient_updates > 0
    changes = summary["smallest_failing_changes"]
    assert changes, "no failure reached from the start state"
    # from axis0=0.889 one step of axis1 is far from the corner region; the smallest change is found
    assert min(c["steps"] for c in changes) <= 8


def test_tensorboard_shows_reward_epsilon_td_loss_and_failures(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    explorer = DQNExplorer(task=synthetic_spec(), budget=160, num_envs=16, learning_starts=32)
    discover(explorer, tmp_path, seed=0, name="tb")
    events = EventAccumulator(str(explorer.recorder.run_dir))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    for tag in ("train/reward", "train/epsilon", "train/td_loss", "discovery/failures_found"):
        assert tag in tags, tags
    assert len(events.Scalars("discovery/failures_found")) >= 10  # one point per step
    assert "discovery/worst_failures" not in tags  # synthetic inputs are not images
