"""Where ``--trainer.default_root_dir`` puts a run beside other logger options typed with it."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import ffade_in_process, write_config


def printed_save_dir(config: Path, *options: str) -> str:
    """The logger save_dir the run would use, as ``--print_config`` shows it."""
    result = ffade_in_process("fit", "--config", str(config), *options, "--print_config")
    assert result.returncode == 0, result.stderr[-2000:]
    return yaml.safe_load(result.stdout)["trainer"]["logger"]["init_args"]["save_dir"]


def test_default_root_dir_places_the_run_beside_a_logger_name_typed_with_it(
    tmp_path: Path,
) -> None:
    """``--trainer.logger.init_args.name dqn`` beside ``--trainer.default_root_dir X`` put the
    run under the config's runs/, unsaid: any logger option counted as a save_dir given. Only a
    save_dir (or a whole logger) typed on the command line wins over the root (README)."""
    config = write_config(tmp_path / "c.yaml", budget=40)
    root, own = str(tmp_path / "X"), str(tmp_path / "W")
    named = ("--trainer.logger.init_args.name", "dqn")
    assert printed_save_dir(config, "--trainer.default_root_dir", root, *named) == root
    assert printed_save_dir(config, f"--trainer.default_root_dir={root}", *named) == root
    save_dir = ("--trainer.logger.init_args.save_dir", own)
    assert printed_save_dir(config, "--trainer.default_root_dir", root, *save_dir) == own
