"""Warm starts: rediscovery begins from the Q-network an earlier run learned."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ffade.errors import FfadeError
from ffade.explore import DQNExplorer
from ffade.explore.run import discover
from tests.helpers import synthetic_spec


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DQNExplorer]:
    root = tmp_path_factory.mktemp("warm")
    explorer = DQNExplorer(task=synthetic_spec(), budget=96, num_envs=16, learning_starts=32)
    discover(explorer, root, seed=0, name="first", checkpoints=True)
    return Path(explorer.recorder.run_dir), explorer


def test_starts_from_the_earlier_q_network(earlier_run, tmp_path: Path) -> None:
    run_dir, _ = earlier_run
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    saved = {k: v for k, v in checkpoint["state_dict"].items() if k.startswith("q_network.")}
    second = DQNExplorer(
        task=synthetic_spec(),
        budget=16,
        num_envs=16,
        learning_starts=15,
        gradient_steps=0,
        warm_start=str(run_dir),
    )
    discover(second, tmp_path, seed=3, name="second")
    assert saved
    for name, value in second.state_dict().items():
        if name in saved:
            assert torch.equal(value, saved[name]), name
    assert second.hparams.warm_start == str(run_dir)


def test_missing_checkpoint_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FfadeError, match=r"warm_start: '.*nowhere' does not exist"):
        DQNExplorer(task=synthetic_spec(), warm_start=str(tmp_path / "nowhere"))
    with pytest.raises(FfadeError, match=r"no checkpoint at .*last.ckpt"):
        explorer = DQNExplorer(
            task=synthetic_spec(), budget=16, learning_starts=8, warm_start=str(tmp_path)
        )
        discover(explorer, tmp_path, name="x")


def test_a_q_network_of_another_shape_is_refused(earlier_run, tmp_path: Path) -> None:
    run_dir, _ = earlier_run
    explorer = DQNExplorer(
        task=synthetic_spec(),
        budget=16,
        num_envs=16,
        hidden_dim=32,
        learning_starts=8,
        warm_start=str(run_dir),
    )
    with pytest.raises(FfadeError, match=r"this run needs .* with width 32"):
        discover(explorer, tmp_path, name="y")


def test_a_macroscopic_q_network_is_refused_by_a_microscopic_run(earlier_run, tmp_path) -> None:
    """A microscopic move carries one more flag (evaluated already) than a macroscopic state, so
    the action towers differ though the observation towers match: the error says task.mode."""
    run_dir, _ = earlier_run
    second = DQNExplorer(
        task=synthetic_spec(mode="microscopic"),
        budget=16,
        num_envs=16,
        learning_starts=8,
        warm_start=str(run_dir),
    )
    with pytest.raises(FfadeError, match=r"scores the actions of another task\.mode"):
        discover(second, tmp_path, seed=0, name="micro")
