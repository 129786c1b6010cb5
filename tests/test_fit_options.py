"""``ffade fit``'s command line as typed: an option given twice, a value read as an option."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, ffade_in_process

SYNTHETIC = str(REPO / "configs" / "synthetic.yaml")


def one_error_line(result) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ffade: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            ["--model.init_args.budget", "20", "--model.init_args.budget", "30"],
            "--model.init_args.budget given 2 times",
        ),
        (
            ["--trainer.max_epochs=1", "--trainer.max_epochs", "2"],
            "--trainer.max_epochs given 2 times",
        ),
        (  # one key, two spellings: jsonargparse kept the last just the same
            ["--model.task.mode=microscopic", "--model.init_args.task.mode", "macroscopic"],
            "--model.init_args.task.mode given 2 times (as --model.task.mode and "
            "--model.init_args.task.mode)",
        ),
    ],
)
def test_an_option_given_twice_is_refused(tmp_path: Path, options: list[str], said: str) -> None:
    """jsonargparse kept the last value without a word: a budget of 30 ran where the user
    believed the 20 counted, while ffade's own commands refuse a repeated option."""
    result = ffade_in_process("fit", "--config", SYNTHETIC, *options, cwd=tmp_path)
    assert one_error_line(result) == f"ffade: error: {said}; give it once (see ffade fit --help)"
    assert not (tmp_path / "runs").exists()  # refused before anything ran


def test_options_that_layer_or_append_stay_repeatable(tmp_path: Path) -> None:
    """A second --config merges into the first (README's Configs), ``+=`` appends, and
    Lightning's callbacks list takes each appended class's arguments after it."""
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump({"model": {"init_args": {"budget": 77}}}))
    stop = "lightning.pytorch.callbacks.EarlyStopping"
    result = ffade_in_process(
        "fit",
        "--config",
        SYNTHETIC,
        "-c",
        str(second),
        "--model.init_args.task.concepts+={name: axis, args: {index: 0, label: a}}",
        "--model.init_args.task.concepts+={name: axis, args: {index: 0, label: b}}",
        f"--trainer.callbacks+={stop}",
        "--trainer.callbacks.monitor=a",
        f"--trainer.callbacks+={stop}",
        "--trainer.callbacks.monitor=b",
        "--print_config",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    config = yaml.safe_load(result.stdout)
    assert config["model"]["init_args"]["budget"] == 77
    labels = [
        c.get("args", {}).get("label") for c in config["model"]["init_args"]["task"]["concepts"]
    ]
    assert labels[-2:] == ["a", "b"]
    monitored = [c["init_args"]["monitor"] for c in config["trainer"]["callbacks"]]
    assert monitored[-2:] == ["a", "b"]


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        # a number, a switch, one of a few words: no spelling makes '-x' one
        (
            "--trainer.max_epochs",
            "--trainer.max_epochs takes a whole number or null, e.g. --trainer.max_epochs 1",
        ),
        (  # null (no clipping) is allowed too, as docs/discovery.md's table says
            "--model.init_args.reward_clip",
            "--model.init_args.reward_clip takes a number or null, "
            "e.g. --model.init_args.reward_clip 1.0",
        ),
        (
            "--model.init_args.budget",
            "--model.init_args.budget takes a whole number, e.g. --model.init_args.budget 1000",
        ),
        (
            "--model.init_args.learning_rate",
            "--model.init_args.learning_rate takes a number, "
            "e.g. --model.init_args.learning_rate 0.003",  # the default: a step size that learns
        ),
        (
            "--model.init_args.task.only_passing_inputs",
            "--model.init_args.task."
            "only_passing_inputs takes true or false, e.g. --model.init_args.task."
            "only_passing_inputs true",
        ),
        (
            "--seed_everything",
            "--seed_everything takes a whole number, or true or false, e.g. --seed_everything 1",
        ),
        (
            "--model.init_args.task.mode",
            "--model.init_args.task.mode takes one of macroscopic, microscopic",
        ),
    ],
)
def test_a_dashed_value_for_a_number_says_what_the_option_takes(key: str, hint: str) -> None:
    """``--trainer.max_epochs -x`` was told to write ``--trainer.max_epochs=./-x``, a path,
    which Lightning then refused as no int."""
    result = ffade_in_process("fit", "--config", SYNTHETIC, key, "-x")
    assert one_error_line(result) == (
        f"ffade: error: argument {key}: expected one argument; '-x' reads as an option; {hint}"
    )


@pytest.mark.parametrize(
    ("key", "form"),
    [
        ("--trainer.default_root_dir", "=./-x"),  # a folder
        ("--ckpt_path", "=./-x"),  # a file
        ("--model.init_args.task.target.name", "=-x"),  # a word: no type to go on
        ("--trainer.accelerator", "=-x"),
    ],
)
def test_a_dashed_value_for_a_path_or_a_word_gets_how_to_write_it(key: str, form: str) -> None:
    result = ffade_in_process("fit", "--config", SYNTHETIC, key, "-x")
    assert one_error_line(result) == (
        f"ffade: error: argument {key}: expected one argument; '-x' reads as an option: "
        f"write {key}{form}"
    )


@pytest.mark.parametrize(
    "options",
    [["--model.help"], ["--model.help="], ["--config", SYNTHETIC, "--model.help"]],
)
def test_model_help_without_a_class_names_the_classes(options: list[str]) -> None:
    """``ffade fit --model.help`` printed LightningModule's help, a bare usage line, exit 0."""
    line = one_error_line(ffade_in_process("fit", *options))
    assert line.startswith("ffade: error: --model.help takes a model class, e.g. ffade fit ")
    assert "model classes: ffade.explore.DQNExplorer, " in line


def test_model_help_with_a_class_shows_its_options() -> None:
    done = ffade_in_process("fit", "--model.help", "RandomExplorer")
    assert done.returncode == 0, done.stderr
    assert "--model.budget BUDGET" in done.stdout and "learning_rate" not in done.stdout


@pytest.mark.parametrize("flags", ["nope", "skip_unset,nope"])
def test_print_config_given_an_unknown_flag_names_the_ones_it_takes(flags: str) -> None:
    """jsonargparse said 'Invalid option "nope" for --print_config' and no word it takes."""
    done = ffade_in_process("fit", "--config", SYNTHETIC, f"--print_config={flags}")
    assert one_error_line(done) == (
        "ffade: error: --print_config takes no value, or skip_default and/or skip_unset "
        "(--print_config=skip_default,skip_unset), got 'nope'"
    )
