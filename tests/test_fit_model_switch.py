"""``--model CLASS`` after a config whose explorer takes arguments CLASS lacks: said in a note."""

from __future__ import annotations

from pathlib import Path

import yaml

from ffade.fit_help import config_arguments_dropped
from tests.helpers import ffade_in_process, write_config


def test_a_dqn_configs_own_arguments_dropped_by_another_explorer_are_named(
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path / "c.yaml", budget=32, save_dir=tmp_path, learning_rate=0.01, exploration_bonus=4
    )
    # in the file's order (write_config's YAML sorts the keys); said once the run went through,
    # so that an error stays one line
    result = ffade_in_process("fit", "--config", str(config), "--model", "RandomExplorer")
    assert result.returncode == 0, result.stderr
    bar, *notes = result.stderr.splitlines()  # the run's bar, on stderr, then the note
    assert bar.startswith("evaluations: 100%")
    assert notes == [
        "ffade: note: --model RandomExplorer takes no exploration_bonus, learning_rate: the "
        "config's values were dropped (--model replaces the model and keeps only the arguments "
        "its class takes)"
    ]
    run = next(tmp_path.glob("**/version_0"))
    saved = yaml.safe_load((run / "config.yaml").read_text())["model"]["init_args"]
    assert "learning_rate" not in saved  # dropped indeed: the note tells no tale


def test_a_run_refused_says_its_error_alone(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", learning_rate=0.01)
    args = ["--model", "RandomExplorer", "--model.init_args.budget", "0"]
    result = ffade_in_process("fit", "--config", str(config), *args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ffade: error: model.init_args.budget must be at least 1, got 0"
    ]


def test_nothing_dropped_says_nothing(tmp_path: Path) -> None:
    config = str(write_config(tmp_path / "c.yaml", learning_rate=0.01))
    assert config_arguments_dropped(["--config", config, "--model", "DQNExplorer"]) is None
    assert config_arguments_dropped(["--config", config]) is None
    plain = str(write_config(tmp_path / "p.yaml"))  # budget, num_envs, task: every explorer's
    assert config_arguments_dropped(["--config", plain, "--model=GridExplorer"]) is None
    one = ["--config", config, "--model", "ffade.explore.GridExplorer"]
    assert config_arguments_dropped(one) == (
        "--model ffade.explore.GridExplorer takes no learning_rate: the config's value was "
        "dropped (--model replaces the model and keeps only the arguments its class takes)"
    )


def test_print_config_says_the_note_the_run_would_say(tmp_path: Path) -> None:
    """``--print_config`` ended before the run's note, so the config it showed had lost the
    config's learning_rate without a word; it says the note on stderr (stdout: the config alone,
    once, wherever --print_config stands), and a config it refuses still gets its error alone."""
    config = str(write_config(tmp_path / "c.yaml", learning_rate=0.01))
    note = (
        "ffade: note: --model RandomExplorer takes no learning_rate: the config's value was "
        "dropped (--model replaces the model and keeps only the arguments its class takes)"
    )
    for args in (
        ["--config", config, "--model", "RandomExplorer", "--print_config"],
        ["--print_config", "--config", config, "--model", "RandomExplorer"],
    ):
        result = ffade_in_process("fit", *args)
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines() == [note]
        printed = yaml.safe_load(result.stdout)["model"]
        assert printed["class_path"].endswith("RandomExplorer")
        assert "learning_rate" not in printed["init_args"]
    refused = ["--model", "RandomExplorer", "--model.init_args.budget", "0", "--print_config"]
    result = ffade_in_process("fit", "--config", config, *refused)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ffade: error: model.init_args.budget must be at least 1, got 0"
    ]
