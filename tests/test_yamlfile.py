"""Keys given twice: in a YAML file, and in an option's YAML value typed at the command line."""

from __future__ import annotations

import pytest
import yaml

from ffade.errors import FfadeError
from ffade.yamlfile import load_yaml, refuse_repeated_keys


def test_a_key_repeated_on_one_line_is_refused() -> None:
    """A flow mapping's repeat was missed: the check compared the lines of the two keys."""
    with pytest.raises(yaml.YAMLError, match="key 'b' is given twice in one mapping"):
        load_yaml("a: {b: 1, b: 2}\n", unique_keys=True)


def test_a_merge_may_still_be_overridden() -> None:
    text = "base: &base {x: 1, y: 2}\nuse:\n  <<: *base\n  x: 3\n"
    assert load_yaml(text, unique_keys=True)["use"] == {"x": 3, "y": 2}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--s", "{a: 4, a: 3}"], "--s: key 'a' is given twice in '{a: 4, a: 3}'"),
        (["--s={a: {b: 1, b: 2}}"], "--s: key 'b' is given twice in '{a: {b: 1, b: 2}}'"),
        (["--t", "k=[{a: 1, a: 2}]"], "--t: key 'a' is given twice in 'k=[{a: 1, a: 2}]'"),
    ],
)
def test_a_command_line_value_with_a_key_twice_is_refused(args: list[str], says: str) -> None:
    with pytest.raises(FfadeError) as error:
        refuse_repeated_keys(args)
    assert str(error.value).startswith(says) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "args", [["--s", "{a: 4, b: 3}"], ["--s", "{a: [", "--t", "k=v"], ["run/{a: 1, a: 2}"]]
)
def test_other_values_are_left_to_their_options(args: list[str]) -> None:
    refuse_repeated_keys(args)  # no YAML, or a value that is no flow collection: not read
