"""jsonargparse's rejections of a value, said in one line (:mod:`ffade.value_reasons`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffade.value_reasons import choices_reason
from tests.helpers import ffade_in_process, write_config

UNION = """Parser key "trainer.precision":
  Does not validate against any of the Union subtypes
  Subtypes: [typing.Literal[64, 32, 16], typing.Literal['16-mixed', 'bf16-mixed'], \
typing.Literal['64', '32', 'bf16'], <class 'NoneType'>]
  Errors:
    - Expected a <class 'int'>
    - Expected a typing.Literal['16-mixed', 'bf16-mixed']
  Given value type: <class 'str'>
  Given value: bf15
"""


def test_a_union_of_choices_lists_every_choice_once() -> None:
    """Lightning's precision: ints, strings and aliases; '64' and 64 read the same typed."""
    assert choices_reason("Expected a <class 'int'>", UNION) == (
        "'bf15' is not allowed; choose one of 64, 32, 16, 16-mixed, bf16-mixed, bf16"
    )


def test_one_literal() -> None:
    reason = "Expected a typing.Literal['macroscopic', 'microscopic']. Got value: macro"
    assert choices_reason(reason, reason) == (
        "'macro' is not allowed; choose one of macroscopic, microscopic"
    )


def test_a_union_that_also_takes_a_number_is_no_list_of_choices() -> None:
    """Literal['auto'] | int: 'choose one of auto' would hide that any whole number does."""
    message = UNION.replace("<class 'NoneType'>", "<class 'int'>")
    assert choices_reason("Expected a <class 'int'>", message) is None


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--model.init_args.budget", "true", "model.init_args.budget: expected int, got true"),
        ("--model.init_args.gamma", "false", "model.init_args.gamma: expected float, got false"),
        (
            "--model.init_args.task.mode",
            "true",
            "model.init_args.task.mode: true is not allowed; choose one of macroscopic, "
            "microscopic",
        ),
        (  # a task key's null arrives from the command line as the text "None"
            "--model.init_args.task.split",
            "null",
            "model.init_args.task.split: null is not allowed; choose one of discovery, "
            "finetune, heldout",
        ),
    ],
)
def test_a_boolean_for_a_number_or_a_choice_is_said_as_yaml_writes_it(
    tmp_path: Path, option: str, value: str, says: str
) -> None:
    """A user types YAML: ``true`` was echoed back as Python's ``True`` (and ``'True'``, quoted
    as if it were text)."""
    config = write_config(tmp_path / "c.yaml", budget=16)
    done = ffade_in_process("fit", "--config", str(config), option, value, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"ffade: error: {says}"], done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        (
            "--model.init_args.gamma",
            '"0.5"',
            'model.init_args.gamma: expected float, got the string "0.5" (in quotes: text, not a '
            "number); give a number without quotes: 0.5",
        ),
        (
            "--model.init_args.learning_rate",
            "'1e-3'",
            'model.init_args.learning_rate: expected float, got the string "1e-3" (in quotes: '
            "text, not a number); give a number without quotes: 1e-3",
        ),
        (
            "--model.init_args.budget",
            '"16"',
            'model.init_args.budget: expected int, got the string "16" (in quotes: text, not a '
            "number); give a whole number without quotes: 16",
        ),
    ],
)
def test_a_quoted_number_is_said_as_the_string_it_is(
    tmp_path: Path, option: str, value: str, says: str
) -> None:
    """jsonargparse says "Got value: 0.5" of the string "0.5": the line read "expected float,
    got 0.5", which looks like the very number it asked for."""
    config = write_config(tmp_path / "c.yaml", budget=16)
    done = ffade_in_process("fit", "--config", str(config), option, value, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"ffade: error: {says}"], done.stderr
    assert not (tmp_path / "runs").exists()
