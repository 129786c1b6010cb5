"""``ffade fit --help``'s preamble says each explorer's arguments as docs/discovery.md does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ffade.fit_help import fit_help


def _row(text: str, name: str) -> str:
    """The line of ``text`` that lists argument ``name``."""
    return next(line for line in text.splitlines() if line.split()[:1] == [name])


@pytest.mark.parametrize("explorer", ["GridExplorer", "EpsilonGreedyExplorer"])
def test_a_macroscopic_only_explorer_says_the_microscopic_arguments_are_not_used(
    explorer: str,
) -> None:
    """Its --help listed max_steps, step_penalty and start_state as its own, with their meaning,
    though it stops with one line on a microscopic task (README's Explorers)."""
    text = fit_help(["--model", f"ffade.explore.{explorer}", "--help"])
    for name in ("max_steps", "step_penalty", "start_state"):
        assert _row(text, name).endswith(
            f"not used: microscopic only, and {explorer} searches macroscopic tasks"
        )
    assert "microscopic episode step limit" not in text


def test_random_search_keeps_its_microscopic_arguments() -> None:
    text = fit_help(["--model", "ffade.explore.RandomExplorer", "--help"])
    assert _row(text, "max_steps").endswith("(default 10) microscopic episode step limit")


def test_arguments_worked_out_at_the_start_say_their_default_not_none() -> None:
    """The DQN's num_envs and learning_starts said "(default None)", where the docs give the
    budget over 32 and 64 (or half the budget)."""
    text = fit_help()
    assert _row(text, "num_envs").startswith(
        "  num_envs               (default the budget over 32, between 16 and 256) episodes"
    )
    assert _row(text, "learning_starts") == (
        "  learning_starts        (default 64, or half the budget when that is fewer) "
        "transitions collected before the first update; must be below the budget"
    )
    grid = text[text.index("  GridExplorer") : text.index("  RandomExplorer")]
    assert "    max_steps              (default 10) not used: microscopic only" in grid


def test_argument_meanings_speak_yaml_not_python() -> None:
    """Docstrings say "None: spend the budget"; in a config that is ``null`` (``None`` is the
    string "None"), so the explorers' rows say null, as their defaults do."""
    text = fit_help()
    preamble = text[: text.index("--trainer")] if "--trainer" in text else text
    assert _row(preamble, "stop_when").endswith("; null: spend the budget")
    assert "None" not in "\n".join(line for line in preamble.splitlines() if line.startswith("  "))


def test_a_plugin_fine_tuner_by_its_short_name_is_told_to_give_its_full_path(tmp_path) -> None:
    """``class_path: Seq2SeqFineTuner`` (ffade-text's, installed) was answered with ffade's own
    model classes only, as if the plugin were missing: a plugin's class has no short name.
    A process of its own: once a test has imported the plugin's fine-tuner, jsonargparse finds
    the class by its short name, as a fresh ``ffade fit`` does not."""
    from tests.helpers import ffade

    config = "model:\n  class_path: Seq2SeqFineTuner\n  init_args:\n    run: runs/x\n"
    (tmp_path / "short.yaml").write_text(config)
    done = ffade("fit", "--config", "short.yaml", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "Seq2SeqFineTuner" in done.stderr and "model classes: ffade.explore." in done.stderr
    assert done.stderr.rstrip().endswith(
        "or a plugin's fine-tuner by its full class path, as its README gives it"
    )


@pytest.mark.parametrize("how", ["config", "command line"])
def test_a_misspelt_plugin_fine_tuner_gets_the_closest_class_of_its_module(
    how: str, tmp_path
) -> None:
    """``class_path: ffade_text.mitigate.Seq2SeqFineTunerTypo`` got the list of model classes
    but no "did you mean", as a misspelt core class (``ffade.explore.DQNExplorr``) gets it."""
    from tests.helpers import REPO, ffade_in_process

    shipped = REPO / "configs" / "text_mitigate.yaml"
    typo = "ffade_text.mitigate.Seq2SeqFineTunerTypo"
    if how == "config":
        text = shipped.read_text()
        assert "class_path: ffade_text.mitigate.Seq2SeqFineTuner\n" in text
        (tmp_path / "typo.yaml").write_text(
            text.replace("ffade_text.mitigate.Seq2SeqFineTuner", typo)
        )
        args = ["--config", str(tmp_path / "typo.yaml")]
    else:
        args = ["--config", str(shipped), "--model", typo]
    done = ffade_in_process("fit", *args, "--print_config")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "Seq2SeqFineTunerTypo' (did you mean 'ffade_text.mitigate.Seq2SeqFineTuner'?); " in (
        done.stderr
    )
    assert "; model classes: ffade.explore.DQNExplorer" in done.stderr


def test_a_class_path_that_names_no_model_class_lists_the_classes(tmp_path) -> None:
    """``class_path: ffade.discover`` (a function) or ``collections.OrderedDict`` was told only
    "does not correspond to a subclass of LightningModule", with nothing about what to name."""
    from tests.helpers import ffade_in_process

    for path in ("ffade.discover", "collections.OrderedDict"):
        (tmp_path / "c.yaml").write_text(f"model:\n  class_path: {path}\n")
        done = ffade_in_process("fit", "--config", "c.yaml", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert path in done.stderr and "; model classes: ffade.explore.DQNExplorer" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "--help"],
        ["fit", "--config", "configs/mitigate_digits.yaml", "--help"],
        ["fit", "--model", "ffade_diffusion.mitigate.DiffusionLoRAFineTuner", "--help"],
    ],
    ids=["explorers", "classifier-fine-tuner", "lora-fine-tuner"],
)
def test_argument_meanings_show_no_docstring_markup(args: list[str]) -> None:
    """The meanings come from docstrings, whose Sphinx roles and literals (``:mod:`ffade.x```,
    ````checkpoints/last.ckpt````) read as noise in a terminal: help shows the names alone."""
    from tests.helpers import ffade_in_process

    done = ffade_in_process(*args)
    assert done.returncode == 0, done.stderr
    rows = [
        line for line in done.stdout.splitlines() if line.startswith("  ") and "(default" in line
    ]
    assert rows, done.stdout[:500]
    assert not [row for row in rows if "``" in row or re.search(r":\w+:`", row)], rows
    if args == ["fit", "--help"]:  # the text stays, without its markup
        row = re.split(r"\n  \S", done.stdout[done.stdout.index("  exploration_bonus ") :])[0]
        assert "see ffade.explore.optimism); 0 turns it off" in " ".join(row.split())


def test_each_model_class_row_says_what_it_does_not_where_to_read() -> None:
    """The fine-tuner's row read "Cross-entropy fine-tuning of a classifier target; see the
    module docstring": a terminal has no module docstring to see."""
    text = fit_help()
    assert "docstring" not in text
    row = _row(text, "ClassifierFineTuner")
    assert row.split(None, 1)[1].startswith("Cross-entropy fine-tuning of a classifier target")


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--model", "GridExplorr", "--help"], "GridExplorr"),
        (["--config", "c.yaml", "--help"], "ffade.explore.RandomExplorr"),
    ],
    ids=["model-option", "config"],
)
def test_a_misspelt_class_with_help_gets_its_one_line_alone(
    tmp_path, args: list[str], name: str
) -> None:
    """``ffade fit --model GridExplorr --help`` printed the DQN's whole help first, then
    "unknown model class": the help of a class that was not asked for, above the line."""
    from tests.helpers import ffade_in_process

    (tmp_path / "c.yaml").write_text("model:\n  class_path: ffade.explore.RandomExplorr\n")
    done = ffade_in_process("fit", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    meant = name.replace("Explorr", "Explorer").replace("Grid", "ffade.explore.Grid")
    assert done.stderr.startswith(
        f"ffade: error: model: unknown model class '{name}' (did you mean '{meant}'?); "
        "model classes: ffade.explore.DQNExplorer"
    ), done.stderr


@pytest.mark.parametrize(
    "args",
    [["--model", "--help"], ["--model=", "--help"], ["--model"], ["--model="]],
    ids=["help", "equals-help", "bare", "equals"],
)
def test_model_given_no_class_gets_one_line_with_the_classes(tmp_path, args: list[str]) -> None:
    """``ffade fit --model --help`` printed the DQN's whole help, then argparse's "argument
    --model: expected one argument", which did not say what --model takes."""
    from tests.helpers import ffade_in_process

    done = ffade_in_process("fit", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "ffade: error: argument --model: expected one argument; "
        "model classes: ffade.explore.DQNExplorer"
    ), done.stderr


@pytest.mark.parametrize("how", ["--model", "--config"])
def test_a_named_class_help_says_how_to_see_the_other_classes(tmp_path, how: str) -> None:
    """``ffade fit --model ClassifierFineTuner --help`` ended with 'Other model classes: ffade fit
    --help (without --config)', naming an option the user had not typed and leaving out the one
    they had: the line names both ways of choosing a class."""
    config = tmp_path / "c.yaml"
    config.write_text("model: {class_path: ffade.explore.RandomExplorer}\n")
    given = str(config) if how == "--config" else "RandomExplorer"
    text = " ".join(fit_help([how, given, "--help"]).split())
    assert "Other model classes: ffade fit --help (with no --config or --model)." in text, text


@pytest.mark.parametrize(
    ("config", "line"),
    [
        ("loop_digits.yaml", "this is a loop config: run it with ffade loop --config FILE"),
        ("feedback_digits.yaml", "this is a priorities file: apply it with ffade feedback"),
    ],
)
def test_another_commands_config_with_help_gets_its_one_line(
    config: str, line: str, capsys
) -> None:
    """``ffade fit --config configs/loop_digits.yaml --help`` printed the DQN's help, exit 0, as
    if the loop config configured it, where ``ffade fit --config configs/loop_digits.yaml`` is
    refused: now the help is refused first, in the run's words, exit 2."""
    from ffade.cli import main

    path = f"{Path(__file__).parents[1]}/configs/{config}"
    assert main(["fit", "--config", path, "--help"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith(f"ffade: error: --config {path}: unknown key ") and line in err, err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--config", "nosuch.yaml", "--help"], "--config nosuch.yaml: file not found"),
        (["-c", "nosuch.yaml", "-h"], "--config nosuch.yaml: file not found"),
        (["--config", "empty.yaml", "--help"], "--config empty.yaml: the file is empty; "),
    ],
    ids=["missing", "short-options", "empty"],
)
def test_a_missing_or_broken_config_with_help_gets_its_one_line_alone(
    tmp_path, monkeypatch, args: list[str], line: str, capsys
) -> None:
    """``ffade fit --config nosuch.yaml --help`` printed the DQN's whole help (the class a
    missing file cannot name), then "file not found": the line alone now, exit 2."""
    from ffade.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.yaml").write_text("\n")
    assert main(["fit", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith(f"ffade: error: {line}"), err
