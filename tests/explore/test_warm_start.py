"""Warm starts: rediscovery begins from the Q-network an earlier run learned."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from ffade.errors import FfadeError
from ffade.explore import DQNExplorer
from ffade.explore.q_network import QNetwork, warm_start_weights
from ffade.explore.run import discover
from tests.helpers import REPO, ffade_in_process, synthetic_spec


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
    with pytest.raises(FfadeError, match=r"warm_start: .*nowhere does not exist"):
        DQNExplorer(task=synthetic_spec(), warm_start=str(tmp_path / "nowhere"))
    with pytest.raises(FfadeError, match=r"no checkpoint at .*last.ckpt"):
        explorer = DQNExplorer(
            task=synthetic_spec(), budget=16, learning_starts=8, warm_start=str(tmp_path)
        )
        discover(explorer, tmp_path, name="x")


def test_a_warm_start_behind_a_broken_link_names_the_link(tmp_path: Path) -> None:
    """It said "'runs/first' does not exist" of a path the user sees listed: the cause is the
    link (a runs folder linked to a disk not mounted)."""
    (tmp_path / "runs").symlink_to(tmp_path / "unmounted")
    with pytest.raises(FfadeError) as error:
        DQNExplorer(task=synthetic_spec(), warm_start=str(tmp_path / "runs" / "first"))
    assert str(error.value) == (
        f"model.init_args.warm_start: {tmp_path / 'runs' / 'first'}: {tmp_path / 'runs'} is a "
        f"symbolic link to {tmp_path / 'unmounted'}, which does not exist"
    )


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_warm_start_is_refused_as_empty(empty: str) -> None:
    """Not read as the working directory ("no checkpoint at './checkpoints/last.ckpt'")."""
    with pytest.raises(FfadeError) as error:
        DQNExplorer(task=synthetic_spec(), warm_start=empty)
    assert str(error.value).startswith("model.init_args.warm_start is an empty path; give an")


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
    with pytest.raises(
        FfadeError, match=r"differs from this one: hidden_dim: 128 there, 32 here\."
    ):
        discover(explorer, tmp_path, name="y")


def four_features(spec: dict) -> dict:
    target, dataset = spec["target"], spec["dataset"]
    return {
        **spec,
        "target": {**target, "args": {"feature_dim": 4}},
        "dataset": {**dataset, "args": {**dataset["args"], "feature_dim": 4}},
    }


def one_longer_grid(spec: dict) -> dict:
    concepts = [
        {"name": "axis", "args": {"index": 0, "values": [0, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1]}}
    ]
    return {**spec, "concepts": concepts + spec["concepts"][1:]}


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        (four_features(synthetic_spec()), "features per input from the target: 8 there, 4 here"),
        (
            synthetic_spec(num_concepts=4),
            "concepts: 3 there, 4 here; grid positions over its concepts: ",
        ),
        (one_longer_grid(synthetic_spec()), "grid positions over its concepts: "),
    ],
)
def test_a_mismatch_says_in_plain_words_what_differs(
    earlier_run, tmp_path: Path, spec: dict, said: str
) -> None:
    """It said "observes 11 values with width 128": layer shapes, where a user needs to know
    which of the target's features, the concepts or their grids differ."""
    run_dir, _ = earlier_run
    explorer = DQNExplorer(
        task=spec, budget=16, num_envs=16, learning_starts=8, warm_start=str(run_dir)
    )
    with pytest.raises(FfadeError) as error:
        discover(explorer, tmp_path, name="z")
    message = str(error.value)
    assert f"differs from this one: {said}" in message, message
    assert "warm_start needs a DQN run over the same concepts and grids" in message


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
    with pytest.raises(FfadeError, match=r": task\.mode: macroscopic there, microscopic here\."):
        discover(second, tmp_path, seed=0, name="micro")


def test_a_checkpoint_without_its_task_still_says_what_differs(tmp_path: Path) -> None:
    """A checkpoint saved without hyperparameters: only the network's sizes can be compared."""
    earlier = QNetwork(4, 3, 16)
    state = {f"q_network.{k}": v for k, v in earlier.state_dict().items()}
    torch.save({"state_dict": state}, tmp_path / "bare.ckpt")
    with pytest.raises(FfadeError) as error:
        warm_start_weights(tmp_path / "bare.ckpt", QNetwork(8, 3, 32))
    assert "hidden_dim: 16 there, 32 here; its network observes 7 values" in str(error.value)
    assert "run's 11 (8 + 3)" in str(error.value)


def test_a_rediscoverys_config_yaml_names_its_warm_start_from_any_directory(
    earlier_run, tmp_path: Path
) -> None:
    """`--model.init_args.warm_start runs/first` stayed relative in config.yaml, so the
    interrupted line's `ffade fit --config RUN/config.yaml --ckpt_path RUN` (absolute paths)
    stopped at "warm_start: 'runs/first' does not exist" from any other directory."""
    run_dir, _ = earlier_run
    (tmp_path / "work" / "runs").mkdir(parents=True)
    (tmp_path / "work" / "runs" / "first").symlink_to(run_dir)
    args = ("--config", str(REPO / "configs" / "synthetic.yaml"), "--model.init_args.budget")
    save = ("--trainer.logger.init_args.save_dir", str(tmp_path / "second"))
    warm = ("--model.init_args.warm_start", "runs/first")
    result = ffade_in_process("fit", *args, "64", *save, *warm, cwd=tmp_path / "work")
    assert result.returncode == 0, result.stderr[-2000:]
    second = tmp_path / "second" / "synthetic" / "version_0"
    config = yaml.safe_load((second / "config.yaml").read_text())
    assert config["model"]["init_args"]["warm_start"] == str(run_dir.resolve())
    hparams = yaml.safe_load((second / "hparams.yaml").read_text())  # Lightning's logger's copy
    assert hparams["warm_start"] == str(run_dir.resolve())
    resume = ("--config", str(second / "config.yaml"), "--ckpt_path", str(second))
    again = ffade_in_process("fit", *resume, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already finished" in again.stdout + again.stderr


def test_a_warm_start_under_home_is_read(earlier_run, monkeypatch) -> None:
    """A path may start with `~` (README), but warm_start said "'~/first' does not exist"."""
    run_dir, _ = earlier_run
    monkeypatch.setenv("HOME", str(run_dir.parent))
    explorer = DQNExplorer(task=synthetic_spec(), warm_start=f"~/{run_dir.name}")
    assert explorer.hparams.warm_start == str(run_dir.resolve())
    assert explorer.hparams_initial["warm_start"] == str(run_dir.resolve())  # hparams.yaml's
