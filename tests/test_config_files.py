"""``ffade fit``'s config files checked before jsonargparse reads them (ffade.config_files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import print_config_of_edited

LOGGER = "lightning.pytorch.loggers.TensorBoardLogger"
INIT_ARGS = "    init_args: {save_dir: runs, name: synthetic}\n"
CALLBACK = "  callbacks:\n    - class_path: lightning.pytorch.callbacks.ModelSummary\n"


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            (f"class_path: {LOGGER}", "class_path:"),
            f"trainer.logger.class_path must be a class's dotted name, such as {LOGGER}, got null",
        ),
        (
            (f"class_path: {LOGGER}", "class_path: [1]"),
            "trainer.logger.class_path must be a "
            f"class's dotted name, such as {LOGGER}, got the list [1]",
        ),
        (
            (INIT_ARGS, "    init_args: 7\n"),
            f"trainer.logger.init_args must be a mapping of "
            f"{LOGGER}'s arguments to values, got the int 7",
        ),
        (
            (INIT_ARGS, "    init_args:\n"),
            f"trainer.logger.init_args must be a mapping of "
            f"{LOGGER}'s arguments to values, got null",
        ),
        (
            ("trainer:\n", f"trainer:\n{CALLBACK}      init_args: [1]\n"),
            "trainer.callbacks[0].init_args must be a mapping of "
            "lightning.pytorch.callbacks.ModelSummary's arguments to values, got the list [1]",
        ),
    ],
)
def test_a_trainer_class_section_of_the_wrong_shape_is_one_line_naming_its_key(
    edit: tuple[str, str], said: str, tmp_path: Path
) -> None:
    """A logger's or callback's class_path left empty, or init_args that is no mapping, said
    jsonargparse's "argument of type 'NoneType' is not iterable" or "'int' object has no
    attribute 'keys'", naming neither key nor what it takes."""
    config, done = print_config_of_edited(tmp_path, edit)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"ffade: error: --config {config}: {said}"]
