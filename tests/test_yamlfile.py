"""Keys given twice: in a YAML file, and in an option's YAML value typed at the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.yamlfile import load_yaml, refuse_repeated_keys
from tests.helpers import REPO, ffade_in_process


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


@pytest.mark.parametrize(
    "option", [["--trainer", "part.yaml"], ["--model.init_args.task=part.yaml"]]
)
def test_a_yaml_file_given_as_an_option_value_with_a_key_twice_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: list[str],
) -> None:
    """jsonargparse reads the file and kept the last key without a word, where a --config file
    and an inline value with a key twice were refused."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text((REPO / "configs" / "quickstart.yaml").read_text())
    (tmp_path / "part.yaml").write_text("max_steps: 3\nmax_steps: 5\n")
    assert main(["fit", "--config", "config.yaml", *option, "--print_config"]) == 2
    name = option[0].partition("=")[0]
    assert capsys.readouterr().err.strip() == (
        f"ffade: error: {name} part.yaml: not valid YAML (line 2: key 'max_steps' is given twice "
        "in one mapping (first on line 1); YAML would keep only the last: delete one)"
    )
    assert not (tmp_path / "runs").exists()


def test_a_config_indented_with_a_tab_is_told_to_use_spaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (REPO / "configs" / "synthetic.yaml").read_text().replace("    budget", "\tbudget")
    (tmp_path / "tabs.yaml").write_text(text)
    assert main(["fit", "--config", str(tmp_path / "tabs.yaml"), "--print_config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not valid YAML (line 17: found character" in err
    assert err.endswith("; YAML indents with spaces, not tabs)\n"), err


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            ["--config", "-x.yaml"],
            "--config -x.yaml: file not found; '-x.yaml' reads as an "
            "option: write --config=./-x.yaml",
        ),
        (
            ["-c", "-x.yaml"],
            "--config -x.yaml: file not found; '-x.yaml' reads as an option: write -c=./-x.yaml",
        ),
        (["--config", "./-x.yaml"], "--config ./-x.yaml: file not found"),  # was -x.yaml
    ],
)
def test_a_missing_config_starting_with_a_dash_gets_the_hint(
    tmp_path: Path, typed: list[str], said: str
) -> None:
    """``ffade fit --config -x.yaml`` for a missing file said only "file not found", where
    every other option's '-x' value is told how to write it; ``./-x.yaml`` lost its ``./``."""
    result = ffade_in_process("fit", *typed, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"ffade: error: {said}"
