"""``--model CLASS`` after a config whose explorer takes arguments CLASS lacks: said in a note."""

from __future__ import annotations

from pathlib import Path

from ffade.fit_help import config_arguments_dropped
from tests.helpers import ffade_in_process, write_config


def test_a_dqn_configs_own_arguments_dropped_by_another_explorer_are_named(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "c.yaml", learning_rate=0.01, exploration_bonus=4.0)
    # in the file's order (write_config's YAML sorts the keys)
    result = ffade_in_process(
        "fit", "--config", str(config), "--model", "RandomExplorer", "--print_config"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "ffade: note: --model RandomExplorer takes no exploration_bonus, learning_rate: the "
        "config's values are dropped (--model replaces the model and keeps only the arguments "
        "its class takes)"
    ]
    assert "learning_rate" not in result.stdout  # dropped indeed: the note tells no tale


def test_nothing_dropped_says_nothing(tmp_path: Path) -> None:
    config = str(write_config(tmp_path / "c.yaml", learning_rate=0.01))
    assert config_arguments_dropped(["--config", config, "--model", "DQNExplorer"]) is None
    assert config_arguments_dropped(["--config", config]) is None
    plain = str(write_config(tmp_path / "p.yaml"))  # budget, num_envs, task: every explorer's
    assert config_arguments_dropped(["--config", plain, "--model=GridExplorer"]) is None
    one = ["--config", config, "--model", "ffade.explore.GridExplorer"]
    assert config_arguments_dropped(one) == (
        "--model ffade.explore.GridExplorer takes no learning_rate: the config's value is "
        "dropped (--model replaces the model and keeps only the arguments its class takes)"
    )
