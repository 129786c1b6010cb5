"""Explorer arguments a run would ignore in silence are noted (``ffade: note:``), and only when
the user set them: defaults say nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.explore.arguments import untrained_search_note
from tests.helpers import ffade_in_process, synthetic_spec, write_config

MICROSCOPIC = ["--model.init_args.task.mode", "microscopic", "--model.init_args.budget", "40"]


def notes(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "ffade: note:" in line]


@pytest.mark.parametrize(
    ("given", "noted"),
    [
        (["--model.init_args.exploration_bonus", "2"], ["exploration_bonus (2.0)"]),
        (["--model.init_args.num_candidates", "64"], ["num_candidates (64)"]),
        (["--model.init_args.num_candidates", "1024"], []),  # the default, given: nothing lost
        ([], []),
    ],
)
def test_macroscopic_only_options_set_in_a_microscopic_task_are_noted(
    tmp_path: Path, capsys, given: list[str], noted: list[str]
) -> None:
    """docs/discovery.md: ``num_candidates`` and ``exploration_bonus`` shape a macroscopic
    step's plan; a microscopic run used to ignore them without a word."""
    config = write_config(tmp_path / "c.yaml")
    assert main(["fit", "--config", str(config), *MICROSCOPIC, *given]) == 0
    said = notes(capsys)
    assert len(said) == len(noted), said
    for note, key in zip(said, noted, strict=True):
        assert f"ffade: note: model.init_args.{key} shapes macroscopic steps only" in note
        assert "task.mode is microscopic" in note and "no effect" in note


def test_the_same_options_in_a_macroscopic_task_say_nothing(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path / "c.yaml", exploration_bonus=2, num_candidates=64)
    assert main(["fit", "--config", str(config), "--model.init_args.budget", "64"]) == 0
    assert notes(capsys) == []


@pytest.mark.parametrize(
    ("given", "noted"),
    [
        (["--model.init_args.max_steps", "4"], ["max_steps (4)"]),
        (["--model.init_args.step_penalty", "0.3"], ["step_penalty (0.3)"]),
        (["--model.init_args.gamma", "0.5"], ["gamma (0.5)"]),
        (["--model.init_args.max_steps", "10"], []),  # the default, given: nothing lost
    ],
)
def test_microscopic_only_options_set_in_a_macroscopic_task_are_noted(
    tmp_path: Path, capsys, given: list[str], noted: list[str]
) -> None:
    """Episodes of one step have no step limit, step cost or discount to use."""
    config = write_config(tmp_path / "c.yaml")
    assert main(["fit", "--config", str(config), "--model.init_args.budget", "64", *given]) == 0
    said = notes(capsys)
    assert len(said) == len(noted), said
    for note, key in zip(said, noted, strict=True):
        assert f"ffade: note: model.init_args.{key} shapes microscopic steps only" in note
        assert "task.mode is macroscopic, where each episode is one step" in note


@pytest.mark.parametrize("explorer", ["GridExplorer", "EpsilonGreedyExplorer"])
def test_a_microscopic_option_given_to_a_macroscopic_only_explorer_says_to_remove_it(
    tmp_path: Path, capsys, explorer: str
) -> None:
    """Not "task.mode is macroscopic": these explorers refuse the microscopic mode it needs."""
    config = write_config(tmp_path / "c.yaml", f"ffade.explore.{explorer}", budget=32)
    assert main(["fit", "--config", str(config), "--model.init_args.max_steps", "4"]) == 0
    # the grid also notes that a budget of 32 reaches its first input only (test_baselines.py)
    assert [note for note in notes(capsys) if "max_steps" in note] == [
        "ffade: note: model.init_args.max_steps (4) shapes microscopic steps only; "
        f"{explorer} searches macroscopic tasks only, where each episode is one step: it has no "
        "effect; remove it"
    ]


@pytest.mark.parametrize(
    ("key", "explorer"),
    [
        ("exploration_bonus", "ffade.explore.DQNExplorer"),
        ("learning_rate", "ffade.explore.DQNExplorer"),
        ("step_penalty", "ffade.explore.RandomExplorer"),
        ("novelty_bonus", "ffade.explore.RandomExplorer"),
        ("reward_clip", "ffade.explore.RandomExplorer"),
    ],
)
def test_an_infinite_argument_in_a_config_file_is_refused_in_one_line(
    tmp_path: Path, key: str, explorer: str
) -> None:
    """The command line's ``inf`` was refused, but a config's ``.inf`` ran and wrote
    ``Infinity`` into summary.json's hyperparameters, which strict JSON readers refuse."""
    from tests.helpers import ffade_in_process

    config = write_config(tmp_path / "c.yaml", explorer, save_dir=tmp_path / "runs")
    text = config.read_text().replace("num_envs: 16", f"num_envs: 16\n    {key}: .inf")
    assert f"{key}: .inf" in text
    config.write_text(text)
    result = ffade_in_process("fit", "--config", str(config))
    assert result.returncode == 2, result.stderr[-2000:]
    null = ", or null (no clipping)" if key == "reward_clip" else ""  # null is allowed too
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: model.init_args.{key} must be a finite number{null}, got inf"
    ]
    assert not (tmp_path / "runs").exists()


def test_a_large_grid_gets_no_note_as_the_search_starts(tmp_path: Path, capsys) -> None:
    """A grid past 20,000,000 states was told, as its search started, that ffade report,
    feedback and export would refuse it; they summarize the visited states now
    (tests/summarize/test_visited_grid.py), so 10^8 states start without a word."""
    config = write_config(tmp_path / "c.yaml", budget=32)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"] = synthetic_spec(num_concepts=8)
    config.write_text(yaml.safe_dump(data))
    assert main(["fit", "--config", str(config)]) == 0
    assert not [note for note in notes(capsys) if "concept grid" in note]


def test_the_untrained_search_note_counts_a_budget_of_one_in_the_singular() -> None:
    """A budget of 1 read "spends all 1 evaluations"."""
    assert untrained_search_note(1, 32, 1000).startswith(
        "num_envs 32 spends 1 evaluation before the DQN's first gradient update"
    )
    assert "spends all 200 evaluations" in untrained_search_note(200, 256, 1000)
    assert untrained_search_note(5000, 32, 1000) is None  # it learns before the budget is spent
    # updates the bar counts follow the last step, or none come: the note tells which
    assert "(the updates the progress bar counts come after its last choice)" in (
        untrained_search_note(200, 256, 64)
    )
    assert "(it stores too few transitions for any update)" in untrained_search_note(1, 32, 1000)


def test_a_step_of_more_episodes_than_the_grid_has_pairs_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    """A num_envs of 10^8 (zeros typed twice) was accepted: each episode holds its arrays, so
    the run filled the memory for minutes before evaluating anything. More episodes than the
    grid's (input, state) pairs can never fill a step: past 65,536 (a grid sweep may take a small
    grid in one step of 1,024), one line, exit 2, no run directory."""
    config = write_config(tmp_path / "c.yaml", budget=32, save_dir=tmp_path / "runs")
    result = ffade_in_process("fit", "--config", str(config), "--model.init_args.num_envs", "65537")
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "ffade: error: model.init_args.num_envs must be at most 65,536 or the 8,000 (input, "
        "state) pairs of this task's grid (8 inputs x 1,000 states), whichever is more, got 65537"
    ]
    assert not (tmp_path / "runs").exists()
