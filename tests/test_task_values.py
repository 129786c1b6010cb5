"""A task's own keys given null in a config are refused in one line, as on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import ffade_in_process, print_config_of_edited, write_config


@pytest.mark.parametrize(
    ("key", "says"),
    [
        # was run as false without a word (the command line's null was refused)
        (
            "only_passing_inputs",
            "model.init_args.task.only_passing_inputs must be true or false, got null",
        ),
        # was "task.split 'None' is not allowed; choose one of ('discovery', ...)"
        (
            "split",
            "model.init_args.task.split: null is not allowed; choose one of discovery, finetune, "
            "heldout",
        ),
    ],
)
def test_a_task_key_given_null_in_a_config_is_refused_before_the_run(
    tmp_path: Path, key: str, says: str
) -> None:
    config = write_config(tmp_path / "c.yaml", budget=16)
    read = yaml.safe_load(config.read_text())
    read["model"]["init_args"]["task"][key] = None
    config.write_text(yaml.safe_dump(read))
    done = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"ffade: error: {says}"], done.stderr
    assert not (tmp_path / "runs").exists()  # refused before a run directory was made


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (("      mode: macroscopic\n", "      mode: macroscopic\n      max_inputs: 0\n"), "0"),
        (("      mode: macroscopic\n", "      mode: macroscopic\n      max_inputs: -3\n"), "-3"),
    ],
)
def test_print_config_refuses_max_inputs_below_one_as_the_run_does(
    edit: tuple[str, str], said: str, tmp_path: Path
) -> None:
    """``--print_config`` printed ``max_inputs: 0`` as a config that runs; the run refused it
    once it had loaded the target (docs: it refuses what the run would refuse as it sets up)."""
    _, done = print_config_of_edited(tmp_path, edit)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ffade: error: model.init_args.task.max_inputs must be at least 1, got {said}"
    ]
