"""A path typed with Windows' backslashes by mistake, quoted so the shell keeps them: the one-line
error names the ``/`` path that exists: a run directory, a ``--config``, a ``--ckpt_path``."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from ffade.shell_words import backslash_hint, model_overrides
from tests.helpers import ffade_in_process, write_config


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working directory holding ``my runs/x/version_0`` (a folder with a run's summary.json)
    and ``configs/c.yaml``."""
    run = tmp_path / "my runs" / "x" / "version_0"
    run.mkdir(parents=True)
    (run / "summary.json").write_text("{}")
    (tmp_path / "configs").mkdir()
    write_config(tmp_path / "configs" / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=8)
    return tmp_path


def test_a_backslashed_run_directory_names_the_one_meant(work: Path) -> None:
    result = ffade_in_process("report", "my runs\\x\\version_0", cwd=work)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ffade: error: run directory 'my runs\\x\\version_0' does not exist (paths here are "
        "written with /, not \\: 'my runs/x/version_0' exists)"
    )


def test_a_backslashed_config_and_ckpt_path_name_the_ones_meant(work: Path) -> None:
    result = ffade_in_process("fit", "--config", "configs\\c.yaml", cwd=work)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ffade: error: --config configs\\c.yaml: file not found (paths here are written with /, "
        "not \\: configs/c.yaml exists)"
    )
    result = ffade_in_process(
        "fit", "--config", "configs/c.yaml", "--ckpt_path", "my runs\\x\\version_0", cwd=work
    )
    assert result.returncode == 2
    assert "not found (paths here are written with /, not \\: 'my runs/x/version_0' exists);" in (
        result.stderr
    )


def test_no_hint_where_the_slashed_path_names_nothing_either(work: Path) -> None:
    assert backslash_hint(work / "nothing\\here") == ""
    assert backslash_hint(work / "my runs") == ""  # no backslash: nothing to say


def test_model_overrides_give_a_string_as_typed_and_other_values_as_json() -> None:
    """The words ``ffade loop`` runs a stage with, and that its printed ``next:`` repeats."""
    assert model_overrides({"budget": 16, "start_e": 0.5, "name": "my x", "on": True}) == [
        *("--model.init_args.budget", "16", "--model.init_args.start_e", "0.5"),
        *("--model.init_args.name", "my x", "--model.init_args.on", "true"),
    ]


def test_paths_in_error_lines_copy_as_one_shell_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some lines put a path in hand-written quotes ("run directory 'it's runs/nope'", which a
    shell reads as an open quote) or none (ffade loop's "--config my loops/x.yaml: file not
    found", two words): each now quotes it as the shell does, so it copies back as one word."""
    from ffade.cli import main

    loops, runs = tmp_path / "my loops", tmp_path / "it's runs"
    loops.mkdir()
    runs.mkdir()
    (loops / "empty.yaml").write_text("")
    (loops / "bad.yaml").write_text("a: [\n")
    typed = {
        "loop_missing": (["loop", "--config", str(loops / "x.yaml")], loops / "x.yaml"),
        "loop_folder": (["loop", "--config", str(loops)], loops),
        "loop_empty": (["loop", "--config", str(loops / "empty.yaml")], loops / "empty.yaml"),
        "loop_yaml": (["loop", "--config", str(loops / "bad.yaml")], loops / "bad.yaml"),
        "report_missing": (["report", str(runs / "nope")], runs / "nope"),
        "feedback_missing": (["feedback", str(runs / "nope")], runs / "nope"),
        "report_no_run": (["report", str(runs)], runs),
    }
    for case, (argv, path) in typed.items():
        assert main(argv) == 2, case
        line = capsys.readouterr().err.strip()
        assert "\n" not in line, (case, line)
        words = shlex.split(line.replace("?", "").replace(":", " :"))  # ':' ends a path word
        assert str(path) in words, (case, line)
