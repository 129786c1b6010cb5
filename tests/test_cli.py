"""The CLI, driven exactly as a user types it.

Mistakes ffade refuses before a run starts, and small runs whose files a test reads, go through
``ffade.cli.main`` in this process (:func:`tests.helpers.ffade_in_process`, which shows what a
process would print); a whole run, runs stopped or killed (not their resumes), and one refusal
(a constructor's error), start ``ffade`` itself."""

from __future__ import annotations

import json
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightning.pytorch import LightningModule

from tests.helpers import (
    REPO,
    TRAINING_LIBRARIES,
    ffade,
    ffade_in_process,
    ffade_reader_gone,
    hangup_as_a_terminal_gives_it,
    python_m_ffade,
    write_config,
)
from tests.summarize.conftest import write_run


def run_dir(root: Path) -> Path:
    dirs = sorted((root / "test").glob("version_*"))
    assert dirs, f"no run directory under {root}"
    return dirs[-1]


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()  # nothing else: no "Seed set to 0" before it
    assert len(errors) == 1 and errors[0].startswith("ffade: error:"), result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


@pytest.mark.slow
def test_fit_leaves_a_complete_run_directory(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=120)
    result = ffade("fit", "--config", str(config))
    assert result.returncode == 0, result.stderr[-2000:]
    run = run_dir(tmp_path / "runs")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 120
    assert summary["gradient_updates"] > 0
    environment = summary["environment"]  # where it ran: what the same figures need
    assert environment["packages"]["torch"] and environment["device"].startswith("cpu (")
    assert (run / "config.yaml").is_file() and list(run.glob("events.out.tfevents.*"))
    assert len((run / "evaluations.jsonl").read_text().splitlines()) == 120
    assert "evaluations: 100%" in result.stderr  # the progress bar counts the budget
    # on stderr, as the report's and the gate's bars: `ffade fit ... > out.txt` keeps the
    # closing lines alone (Lightning's bar went to stdout)
    assert result.stdout.startswith("run: ") and "evaluations: 100%" not in result.stdout


def test_baselines_run_through_the_same_cli(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=60)
    result = ffade_in_process(
        "fit",
        "--config",
        str(config),
        "--model",
        "ffade.explore.EpsilonGreedyExplorer",
        "--model.init_args.epsilon",
        "0.3",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((run_dir(tmp_path / "runs") / "summary.json").read_text())
    assert summary["explorer"] == "epsilon_greedy" and summary["evaluations"] == 60


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["report", "--help"],
        ["feedback", "--help"],
        ["check", "--help"],
        ["export", "--help"],
        ["loop", "--help"],  # it trains, but its help need not wait for Lightning
        # names from entry-point metadata: they imported torch through ffade.plugin_api, 5-8 s
        ["plugins", "--help"],
        ["plugins", "--names"],
    ],
    ids=" ".join,
)
def test_commands_that_do_not_train_never_import_lightning(args: list[str]) -> None:
    result, imported = python_m_ffade(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ffade.cli" in imported  # importtime reports what it should
    training = sorted(m for m in imported if m.split(".")[0] in TRAINING_LIBRARIES)
    assert training == [], training[:5]
    # check and export load a model, but their help (and a typo) need not wait for torch
    assert "torch" not in imported


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_names_ffade_first_and_imports_no_torch(flag: str) -> None:
    result, imported = python_m_ffade(flag)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ffade ") and lines[0].split()[1][0].isdigit()
    assert any(line.split()[0] == "torch" for line in lines[1:])
    assert any(line.split()[0] == "ffade-vision" for line in lines[1:])  # plugins' packages
    assert not [m for m in imported if m.split(".")[0] == "torch"]


def test_report_on_a_run_imports_neither_lightning_nor_torch(tmp_path: Path) -> None:
    """torch alone took seconds of a report's start: POT's torch backend and torch's
    TensorBoard writer imported it, and neither is needed to draw and log pictures."""
    run = write_run(tmp_path / "run", {"blur": [0.0, 1.0, 2.0]}, {(2,): (4, 3), (1,): (4, 0)})
    result, imported = python_m_ffade("report", str(run))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run / "report.md").is_file() and list(run.glob("events.out.tfevents.*.ffade-report"))
    # the Wasserstein distances' libraries (POT: seconds; scipy.spatial: a third of a second)
    # wait for a comparison
    assert "ot" not in imported and "scipy.spatial" not in imported
    assert not [m for m in imported if m.split(".")[0] in (*TRAINING_LIBRARIES, "torch")]
    result, imported = python_m_ffade("report", str(run), "--compare", str(run))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ot" in imported  # loaded for the distances, without torch all the same
    assert "scipy.spatial" in imported
    assert not [m for m in imported if m.split(".")[0] in (*TRAINING_LIBRARIES, "torch")]


def test_top_level_help_lists_every_command_and_python_m_is_the_same_command() -> None:
    result = ffade("--help")
    assert result.returncode == 0
    commands = (
        "fit",
        "report",
        "feedback",
        "export",
        "check",
        "loop",
        "plugins",
    )
    for command in commands:
        assert f"\n  {command} " in result.stdout, command
    # as the README says: feedback and export take a run's failure rules unless told regions
    assert "feedback  give each failure rule (or region) of a run a priority" in result.stdout
    assert "export    turn a run's failure rules (or regions) into a regression" in result.stdout
    assert python_m_ffade("--help")[0].stdout == result.stdout
    bare = ffade()
    assert bare.returncode == 2 and "ffade: error: name a command" in bare.stderr
    bare_fit = ffade("fit")
    assert bare_fit.returncode == 2 and bare_fit.stderr.strip() == (
        "ffade: error: ffade fit needs a config: ffade fit --config configs/quickstart.yaml "
        "(ffade fit --help lists the options)"
    )
    assert "report" in bare.stderr
    typo = ffade("reprot", "runs")
    assert typo.returncode == 2
    assert typo.stderr.strip() == (
        "ffade: error: unknown command 'reprot' (did you mean 'report'?); "
        "commands: fit, report, feedback, export, check, loop, plugins"
    )
    for loop in ("validate", "test", "predict"):  # LightningCLI's, but no ffade model has them
        refused = ffade(loop, "--config", "configs/quickstart.yaml")
        assert refused.returncode == 2
        assert refused.stderr.strip() == (
            f"ffade: error: ffade has no '{loop}' command: explorers and fine-tuners only fit (a "
            "fine-tuner checks its fix on held-out data within fit); commands: fit, report, "
            "feedback, export, check, loop, plugins"
        )


COMMAND_LIST = "commands: fit, report, feedback, export, check, loop, plugins"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--versoin"],
            "unknown option '--versoin' (did you mean '--version'?); before a command ffade "
            f"takes only --help and --version; {COMMAND_LIST}",
        ),
        (
            ["-v"],
            "unknown option '-v' (did you mean '-V'?); before a command ffade takes only --help "
            f"and --version; {COMMAND_LIST}",
        ),
        (
            ["--config", "configs/quickstart.yaml"],
            "name a command before the options, e.g. ffade fit --config configs/quickstart.yaml; "
            f"{COMMAND_LIST}",
        ),
        (
            ["--config", "configs/quickstart.yaml", "fit"],  # LightningCLI wanted a fit: section
            "name a command before the options, e.g. ffade fit --config configs/quickstart.yaml; "
            f"{COMMAND_LIST}",
        ),
        (
            ["--threshold", "0.3", "report"],
            f"name a command before the options, e.g. ffade report --threshold 0.3; {COMMAND_LIST}",
        ),
        (["--version", "x"], "ffade --version takes nothing after it; got x"),  # said 0
        (["-V", "--bogus"], "ffade -V takes nothing after it; got --bogus"),
        (
            ["--help", "report"],
            "ffade --help takes nothing after it; for a command's help: ffade report --help",
        ),
    ],
    ids=[
        "versoin",
        "v",
        "no_command",
        "command_last",
        "report_last",
        "version_then_word",
        "V_then_option",
        "help_then_command",
    ],
)
def test_options_before_any_command_say_to_name_one(args: list[str], expected: str) -> None:
    """LightningCLI read them: ``--versoin`` was "unknown key 'versoin'; allowed top-level keys:
    seed_everything, trainer, ...", a forgotten ``fit`` asked for one of fit, validate, test,
    predict (three commands ffade refuses), and a config before ``fit`` was read as one with a
    ``fit:`` section ("Option 'model.init_args...' is not accepted before subcommand 'fit'")."""
    result = ffade_in_process(*args)
    assert result.returncode == 2 and result.stderr == f"ffade: error: {expected}\n"


def test_help_and_print_config(tmp_path: Path) -> None:
    assert "--ckpt_path" in ffade_in_process("fit", "--help").stdout
    config = write_config(tmp_path / "c.yaml")
    printed = ffade_in_process("fit", "--config", str(config), "--print_config")
    assert printed.returncode == 0
    resolved = yaml.safe_load(printed.stdout)
    assert resolved["model"]["init_args"]["learning_starts"] is None  # 64, or half the budget
    assert resolved["model"]["init_args"]["task"]["reward"]["name"] == "margin"


@pytest.mark.parametrize(
    ("config", "short"),
    [("quickstart.yaml", "RandomExplorer"), ("mitigate_digits.yaml", "ClassifierFineTuner")],
)
def test_short_class_names_resolve(tmp_path: Path, config: str, short: str) -> None:
    data = yaml.safe_load((REPO / "configs" / config).read_text())
    data["model"]["class_path"] = short
    (tmp_path / config).write_text(yaml.safe_dump(data))
    printed = ffade_in_process("fit", "--config", str(tmp_path / config), "--print_config")
    assert printed.returncode == 0, printed.stderr[-2000:]
    class_path = yaml.safe_load(printed.stdout)["model"]["class_path"]
    assert class_path.startswith("ffade.") and class_path.endswith(f".{short}")


def test_plugins_lists_kind_and_distribution_and_never_imports_lightning() -> None:
    """One ``ffade plugins`` for both: it imports every plugin, which takes seconds."""
    result, imported = python_m_ffade("plugins")
    assert result.returncode == 0, result.stderr[-2000:]
    training = sorted(m for m in imported if m.split(".")[0] in TRAINING_LIBRARIES)
    assert training == [], training[:5]
    assert (
        "rewards:" in result.stdout
        and "margin" in result.stdout
        and "ffade-synthetic" in result.stdout
    )


def edit(config: Path, change) -> Path:
    data = yaml.safe_load(config.read_text())
    change(data["model"]["init_args"])
    config.write_text(yaml.safe_dump(data))
    return config


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda a: a["task"]["reward"].update(name="margn"),
            ["unknown reward 'margn'", "known rewards:", "margin"],
        ),
        (
            lambda a: a["task"]["concepts"][0]["args"].update(values=[0.0, 1.5]),
            [
                "concept 'axis0': model.init_args.task.concepts[0].args.values[1] 1.5 is not "
                "allowed",
                "[0, 1]",
            ],
        ),
        (
            lambda a: a.update(budgett=a.pop("budget")),
            ["unknown key 'model.init_args.budgett'", "did you mean 'model.init_args.budget'"],
        ),
        (
            lambda a: a["task"]["concepts"][0]["args"].update(valuess=[0.0]),
            ["concepts[0].args.valuess'", "keys of concept 'axis': index, values, label"],
        ),
        (lambda a: a["task"].update(mode="macro"), ["task.mode", "macroscopic", "macro"]),
    ],
)
def test_bad_config_gets_one_clear_line(tmp_path: Path, change, fragments: list[str]) -> None:
    config = edit(write_config(tmp_path / "c.yaml"), change)
    assert_one_line_error(ffade_in_process("fit", "--config", str(config)), *fragments)


@pytest.mark.parametrize(
    ("section", "command_line", "fragments"),
    [
        (  # init_arg: jsonargparse named only the whole dotted path it gave up on
            lambda m: m.update(init_arg=m.pop("init_args")),
            [],
            ["unknown key 'model.init_arg' (did you mean 'model.init_args'?)", "class_path and"],
        ),
        (  # clas_path: it said "Not a valid subclass of LightningModule"
            lambda m: m.update(clas_path=m.pop("class_path")),
            [],
            ["unknown key 'model.clas_path' (did you mean 'model.class_path'?)"],
        ),
        (  # arguments beside class_path: "Option 'task.target.name' is not accepted"
            lambda m: m.update(m.pop("init_args")),
            [],
            ["goes under model.init_args", "(model: {class_path: ..., init_args:"],
        ),
        (  # one beside init_args: "Not a valid subclass of LightningModule"
            lambda m: m.update(budget=m["init_args"].pop("budget")),
            [],
            ["model.budget goes under model.init_args"],
        ),
        (
            lambda m: None,
            ["--model.init_arg.budget", "5"],
            ["unknown key 'model.init_arg' (did you mean 'model.init_args'?)"],
        ),
        (  # --model.class_pth: read as an init argument, whose list lacks class_path
            lambda m: None,
            ["--model.class_pth", "ffade.explore.RandomExplorer"],
            ["unknown key 'model.class_pth' (did you mean 'model.class_path'?)"],
        ),
        (  # a close guess is not enough: what is allowed comes too
            lambda m: None,
            ["--model", "FooExplorer"],
            ["unknown model class 'FooExplorer'", "model classes: ffade.explore.DQNExplorer"],
        ),
    ],
)
def test_a_bad_model_section_gets_one_clear_line(
    tmp_path: Path, section, command_line: list[str], fragments: list[str]
) -> None:
    config = write_config(tmp_path / "c.yaml")
    data = yaml.safe_load(config.read_text())
    section(data["model"])
    config.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(config), *command_line, cwd=tmp_path)
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "runs").exists()


def _on_a_terminal(output: str) -> list[str]:
    """The lines a terminal shows for ``output``: each carriage return writes over its line."""
    shown = []
    for line in output.split("\n"):
        screen: list[str] = []
        for part in line.split("\r"):
            screen[: len(part)] = part
        shown.append("".join(screen).rstrip())
    return [line for line in shown if line]


def test_an_axis_beyond_the_dataset_is_one_line_before_the_search(tmp_path: Path) -> None:
    """An axis beyond the dataset's was found when the first inputs were changed; the concept's
    check_inputs now refuses it when the task is built, so a terminal shows the error alone."""
    config = edit(
        write_config(tmp_path / "c.yaml"),
        lambda a: a["task"]["concepts"][2]["args"].update(index=9),
    )
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert _on_a_terminal(result.stderr) == [
        "ffade: error: concept 'axis9': index 9 is beyond the dataset's 3 axes (0 to 2); lower "
        "index or raise the dataset's num_axes"
    ]
    assert not (tmp_path / "runs").exists()


def test_an_invalid_evaluation_is_one_ffade_warning_line(tmp_path: Path) -> None:
    """README: the run warns once, at the first invalid evaluation; in ffade's words, not as
    Python's "evaluator.py:263: UserWarning:" followed by a line of ffade's source."""
    predict = {"name": "callable", "args": {"predict": "tests.api.callables:nan_far_out"}}
    config = edit(write_config(tmp_path / "c.yaml"), lambda a: a["task"].update(target=predict))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    warned = [line for line in result.stderr.splitlines() if "invalid" in line]
    assert len(warned) == 1, result.stderr
    assert warned[0].startswith(
        "ffade: warning: reward 'margin' scored the outputs of target 'callable' as "
        "metric nan (not a finite"
    )
    assert "UserWarning" not in result.stderr and "warnings.warn" not in result.stderr
    summary = json.loads(next(tmp_path.glob("runs/*/version_0/summary.json")).read_text())
    assert summary["invalid"] > 0
    # the closing lines count them too: N evaluations less F failures are not N - F passes
    counts = f"evaluations: {summary['evaluations']}, failures: {summary['failures']}"
    # the failing states' count follows the failures it is about, not the invalid count
    states = summary["failing_concept_states"]
    assert f"{counts} (in {states} concept states), invalid: {summary['invalid']}\n" in (
        result.stdout
    )
    run = next(tmp_path.glob("runs/*/version_0"))
    report = ffade_in_process("report", str(run), "--no-tensorboard", cwd=tmp_path)
    assert f"\n{counts}, invalid: {summary['invalid']}\n" in report.stdout, report.stderr[-2000:]


@pytest.mark.parametrize(
    "option", ["error::UserWarning", pytest.param("error", marks=pytest.mark.slow)]
)
def test_a_warning_made_an_error_is_one_ffade_error_line(option: str, tmp_path: Path) -> None:
    """README: ``python -W error`` makes the invalid evaluation's warning an error that ends the
    run (summary.json: failed). It ended in a Python traceback above "ffade: the run failed",
    and the batch it was about was lost (summary.json: evaluations 0): now one ``ffade: error:``
    line naming the warning, exit 1, and that batch kept in the log and the counts."""
    predict = {"name": "callable", "args": {"predict": "tests.api.callables:nan_far_out"}}
    config = edit(write_config(tmp_path / "c.yaml"), lambda a: a["task"].update(target=predict))
    command = [sys.executable, "-W", option, "-m", "ffade", "fit", "--config", str(config)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    error, ending = result.stderr.strip().splitlines()
    assert error.startswith("ffade: error: reward 'margin' scored the outputs of target 'callable'")
    assert error.endswith(
        "not as passes or failures (FfadeWarning, made an error by python -W or PYTHONWARNINGS)"
    )
    run = next(tmp_path.glob("runs/*/version_0"))
    assert ending.startswith(f"ffade: the run failed; the run so far is in {run} ")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["error"].startswith("FfadeWarning: reward")
    logged = (run / "evaluations.jsonl").read_text().splitlines()
    assert summary["invalid"] > 0 and summary["evaluations"] == len(logged) > 0


def test_a_run_needs_a_logger_but_not_tensorboard(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("mine\n")  # a user's file where the run would land
    config = write_config(tmp_path / "c.yaml", budget=120)
    refused = ffade_in_process(
        "fit", "--config", str(config), "--trainer.logger", "false", cwd=tmp_path
    )
    assert_one_line_error(refused, "trainer.logger false", "CSVLogger")
    assert (tmp_path / "config.yaml").read_text() == "mine\n"
    assert not (tmp_path / "summary.json").exists()
    csv = ["--trainer.logger", "lightning.pytorch.loggers.CSVLogger"]
    result = ffade_in_process(
        "fit",
        "--config",
        str(config),
        *csv,
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "csv"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "csv" / "test" / "version_0"
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"
    assert (run / "metrics.csv").is_file() and (run / "evaluations.jsonl").is_file()
    assert (run / "hparams.yaml").is_file()  # the README said only TensorBoard's logger wrote it


def test_logger_true_is_lightnings_default_logger_in_the_current_directory(
    tmp_path: Path,
) -> None:
    """The README said only where ``false`` and a logger class put a run; ``true`` (Lightning's
    own default logger) put it under ./lightning_logs, not the config's runs/, and it says so.
    Its closing lines named it by an absolute path (Lightning's root is ``os.getcwd()``), where
    every other run is named relative to the working folder."""
    config = write_config(tmp_path / "c.yaml", budget=32)
    result = ffade_in_process(
        "fit", "--config", str(config), "--trainer.logger", "true", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "run: lightning_logs/version_0", result.stdout
    assert lines[-1] == "next: ffade report lightning_logs/version_0", result.stdout
    run = tmp_path / "lightning_logs" / "version_0"
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"
    assert not (tmp_path / "runs").exists()
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert (
        "`--trainer.logger true` is Lightning's own default logger, whose runs go under" in readme
    )
    assert "(`lightning_logs/version_0`), not under `runs`" in readme


def test_state_off_the_grid_names_the_allowed_values(tmp_path: Path) -> None:
    def micro(args):
        args["task"]["mode"] = "microscopic"
        args["start_state"] = {"axis0": 0.5}

    config = edit(write_config(tmp_path / "c.yaml"), micro)
    assert_one_line_error(
        ffade_in_process("fit", "--config", str(config)), "value 0.5 is not on its grid", "allowed:"
    )


def test_a_boolean_start_state_value_is_not_the_grids_one(tmp_path: Path) -> None:
    """--model.init_args.start_state '{axis0: true}' ran from axis0 = 1.0 (True == 1)."""
    config = edit(write_config(tmp_path / "c.yaml"), lambda a: a["task"].update(mode="microscopic"))
    result = ffade_in_process(
        "fit", "--config", str(config), "--model.init_args.start_state", "{axis0: true}"
    )
    assert_one_line_error(result, "start_state: concept 'axis0': value true is not on its grid")


@pytest.mark.parametrize(
    ("given", "said"),
    [("{axis0: null}", "value null is not"), ("{axis0: false}", "value false is not")],
)
def test_an_off_grid_start_state_value_is_said_as_yaml_writes_it(
    tmp_path: Path, given: str, said: str
) -> None:
    """The user typed null or false: the line said Python's None and False."""
    config = edit(write_config(tmp_path / "c.yaml"), lambda a: a["task"].update(mode="microscopic"))
    result = ffade_in_process(
        "fit", "--config", str(config), "--model.init_args.start_state", given
    )
    assert_one_line_error(result, f"start_state: concept 'axis0': {said} on its grid")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("[0, 3, 9]", "[0, 3, 9]"),
        ("[{name: axis0}]", "[{name: axis0}]"),  # was [{'name': 'axis0'}], Python's quotes
    ],
)
def test_a_start_state_given_as_a_list_names_the_form_to_use(
    tmp_path: Path, given: str, said: str
) -> None:
    """Grid indices (as summary.json records start_state) were told only "expected dict"; the
    value is said as the YAML typed it."""
    config = edit(write_config(tmp_path / "c.yaml"), lambda a: a["task"].update(mode="microscopic"))
    result = ffade_in_process(
        "fit", "--config", str(config), "--model.init_args.start_state", given
    )
    assert_one_line_error(
        result,
        f"model.init_args.start_state: expected dict, got {said}; "
        "give {concept label: grid value} (concepts not named start at their neutral value)",
    )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            ["{axis0:0.333}"],
            "expected dict, got {axis0:0.333} (YAML reads a colon with no space after it as "
            "part of a word: give {axis0: 0.333})",
        ),
        (  # '{axis0: 0.333}' typed without quotes: the shell passes '{axis0:' and '0.333}'
            ["{axis0:", "0.333}"],
            "expected dict, got {axis0: (the shell cut the mapping at its spaces: quote it "
            "whole, '{axis0: ...}')",
        ),
    ],
)
def test_a_start_state_mapping_mistyped_on_the_command_line_says_how_to_type_it(
    tmp_path: Path, typed: list[str], said: str
) -> None:
    """``{axis0:0.333}`` was told the space it lacks and, in the same parentheses, the
    key's own form again (``give {axis0: 0.333}; give {concept label: grid value} (...)``): the
    hint read the form added to the line as part of the value. An unquoted mapping was told to
    give ``{axis0: ; give {concept label: ...``, a space after a colon already followed by one."""
    config = edit(write_config(tmp_path / "c.yaml"), lambda a: a["task"].update(mode="microscopic"))
    result = ffade_in_process(
        "fit", "--config", str(config), "--model.init_args.start_state", *typed
    )
    assert_one_line_error(result, f"model.init_args.start_state: {said}")
    assert "give {concept label" not in result.stderr


def test_missing_files_get_one_clear_line(tmp_path: Path) -> None:
    assert_one_line_error(
        ffade_in_process("fit", "--config", str(tmp_path / "nope.yaml")), "nope.yaml"
    )
    config = write_config(tmp_path / "c.yaml")
    assert_one_line_error(
        ffade_in_process(
            "fit", "--config", str(config), "--ckpt_path", str(tmp_path / "gone.ckpt")
        ),
        "gone.ckpt",
    )


def test_a_model_argument_before_the_config_says_to_give_the_config_first(
    tmp_path: Path,
) -> None:
    """jsonargparse reads in order: before ``--config`` there is no class to take ``budget``."""
    config = write_config(tmp_path / "c.yaml")
    assert_one_line_error(
        ffade_in_process("fit", "--model.init_args.budget=20", "--config", str(config)),
        "--model.init_args.budget comes before --config",
        "give --config first",
    )


def test_malformed_yaml_gets_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    assert_one_line_error(ffade_in_process("fit", "--config", str(bad)), "config")


def start_fit_and_wait(
    config: Path, run: Path, lines: int, checkpoint: bool, stderr: Any = subprocess.DEVNULL
) -> subprocess.Popen:
    """Start ``ffade fit`` in the background; return once its log (and checkpoint) exist."""
    exe = Path(sys.executable).parent / "ffade"
    process = subprocess.Popen(
        [str(exe), "fit", "--config", str(config)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        preexec_fn=hangup_as_a_terminal_gives_it,  # the SIGHUP case: not this process's state
    )
    log, deadline = run / "evaluations.jsonl", time.monotonic() + 240
    while time.monotonic() < deadline:
        ready = log.is_file() and len(log.read_bytes().splitlines()) > lines
        if ready and (not checkpoint or (run / "checkpoints" / "last.ckpt").is_file()):
            break
        time.sleep(0.05)  # a fast run must still be caught mid-run
    return process


@pytest.mark.slow
def test_a_killed_run_keeps_its_log_and_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    budget = 3000  # enough left after 300 logged lines that the kill lands mid-run under load
    config = write_config(tmp_path / "c.yaml", budget=budget)
    first = tmp_path / "runs" / "test" / "version_0"
    process = start_fit_and_wait(config, first, lines=300, checkpoint=True)
    assert process.poll() is None, "the run ended before it could be killed mid-run"
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert json.loads((first / "summary.json").read_text())["status"] == "running"
    logged = [
        json.loads(line)
        for line in (first / "evaluations.jsonl").read_text().splitlines()
        if line.endswith("}")
    ]
    assert len(logged) > 300  # everything flushed before the kill is still there
    # as a kill mid-save leaves it (it did here, now and then): the resume clears it
    (first / "checkpoints" / "last.ckpt.tmp").write_bytes(b"half a checkpoint")
    result = ffade_in_process(  # the kill needs a process; the resume is any run's
        "fit", "--config", str(config), "--ckpt_path", str(first / "checkpoints" / "last.ckpt")
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "test" / "version_1" / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == budget
    resumed = (
        (tmp_path / "runs" / "test" / "version_1" / "evaluations.jsonl").read_text().splitlines()
    )
    assert len(resumed) == budget
    records = [json.loads(line) for line in resumed]
    keys = {(r["input_id"], tuple(r["state"])) for r in records}
    assert len(keys) == budget  # nothing evaluated twice across the kill
    steps = [r["step"] for r in records]
    assert steps == sorted(steps)  # the step goes on after the resume, never back to 1
    # the resume clears the half-saved checkpoint; the kill may also have cut a summary.json.tmp
    # (README: left in the killed run's directory), which no later write of that run replaces
    assert not (first / "checkpoints" / "last.ckpt.tmp").exists()
    assert not list((first.parent / "version_1").rglob("*.tmp"))
    # its config.yaml records the run, to rerun it: with the checkpoint in it, `--config` on it
    # resumed the first run's checkpoint again instead of running the run anew
    record = yaml.safe_load((first.parent / "version_1" / "config.yaml").read_text())
    assert record["ckpt_path"] is None
    assert record == yaml.safe_load((first / "config.yaml").read_text())


@pytest.mark.parametrize(
    "stop",  # each a process of its own; the default step stops a run by SIGTERM in tests/api
    [
        signal.SIGINT,
        pytest.param(signal.SIGTERM, marks=pytest.mark.slow),
        pytest.param(signal.SIGHUP, marks=pytest.mark.slow),
    ],
    ids=["ctrl-c", "sigterm", "sighup"],
)
def test_ctrl_c_marks_the_run_interrupted_and_keeps_every_evaluation(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """SIGTERM (``kill``, a scheduler) stops a run as Ctrl-C does: it once exited 0, silently,
    with status ``failed``. SIGHUP (a terminal closed) as SIGTERM does: it once ended the run on
    the spot, its summary.json left ``running``."""
    config = write_config(tmp_path / "c.yaml", budget=100_000)
    run = tmp_path / "runs" / "test" / "version_0"
    with open(tmp_path / "stderr.txt", "w") as stderr:
        process = start_fit_and_wait(config, run, lines=100, checkpoint=False, stderr=stderr)
        log = run / "evaluations.jsonl"
        process.send_signal(stop)
        assert process.wait(timeout=120) == 1
    summary = json.loads((log.parent / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert summary["evaluations"] == len(log.read_text().splitlines()) > 100
    # Lightning exits without the closing lines: the run says where it is and how to go on
    said = (tmp_path / "stderr.txt").read_text()
    assert f"ffade: interrupted; the run so far is in {run}" in said
    assert f"ffade fit --config {run / 'config.yaml'} --ckpt_path {run}" in said


def test_a_save_dir_with_a_space_is_named_quoted(tmp_path: Path) -> None:
    """``save_dir: my runs``, a file there, said "run directory my runs/test/version_0: my runs
    is a file", where the path's words read as the sentence's; each path is one shell word now."""
    config = write_config(tmp_path / "c.yaml", budget=120)
    (tmp_path / "my runs").write_text("notes")
    typed = ["--trainer.logger.init_args.save_dir", "my runs"]
    assert_one_line_error(
        ffade_in_process("fit", "--config", str(config), *typed, cwd=tmp_path),
        "run directory 'my runs/test/version_0': 'my runs' is a file, not a directory; choose",
    )
    assert (tmp_path / "my runs").read_text() == "notes"


def test_a_run_directory_that_holds_a_run_is_never_written_over(tmp_path: Path) -> None:
    """A logger given a version names an existing directory: the new run once appended to the
    old run's log and replaced its summary.json and config.yaml."""
    config = write_config(tmp_path / "c.yaml", budget=120)
    pinned = ["--trainer.logger.init_args.version", "mine"]
    assert ffade_in_process("fit", "--config", str(config), *pinned).returncode == 0
    run = tmp_path / "runs" / "test" / "mine"
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    again = ["--model.init_args.budget", "160", *pinned]
    assert_one_line_error(
        ffade_in_process("fit", "--config", str(config), *again), f"{run}", "already holds"
    )
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before
    a_file = ["--trainer.logger.init_args.save_dir", str(run / "summary.json")]
    assert_one_line_error(
        ffade_in_process("fit", "--config", str(config), *a_file),
        "summary.json is a file, not a directory",
    )
    # a run killed before its first checkpoint, resumed with its own config (whose version is
    # pinned, as a loop stage's is) goes on in its own directory, its log never doubled
    log = run / "evaluations.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:50]))
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
    for path in (run / "checkpoints").iterdir():
        path.unlink()
    resumed = ffade_in_process("fit", "--config", str(run / "config.yaml"), "--ckpt_path", str(run))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len({(r["input_id"], tuple(r["state"])) for r in records}) == len(records) == 120
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"


@pytest.mark.slow
def test_constructor_errors_are_one_line_too(tmp_path: Path) -> None:
    """Also the one refusal from a process of its own: nothing before the line, not even
    Lightning's "Seed set to 0"."""
    config = write_config(tmp_path / "c.yaml", budget=50, learning_starts=100)
    assert_one_line_error(
        ffade("fit", "--config", str(config)), "learning_starts (100) must be below the budget (50)"
    )


class ModuleWithABug(LightningModule):
    """A constructor with a bug in its code, as any plugin's may have."""

    def __init__(self, rate: float = 1.0) -> None:
        super().__init__()
        self.rate = {"rates": rate}["rate"]  # a typo: KeyError


def test_a_bug_in_a_constructor_keeps_its_traceback(tmp_path: Path) -> None:
    """Condensed into one 'ffade: error:' line with exit 2, a bug read as the user's mistake
    (a fine-tuner's NameError said "ffade: error: name 'SUMMARY_FILE' is not defined")."""
    from ffade.cli import main

    logger = {
        "class_path": "lightning.pytorch.loggers.CSVLogger",
        "init_args": {"save_dir": str(tmp_path / "r")},
    }
    config = tmp_path / "c.yaml"
    model = {"class_path": f"{__name__}.ModuleWithABug"}
    config.write_text(yaml.safe_dump({"model": model, "trainer": {"logger": logger}}))
    with pytest.raises(KeyError, match="'rate'"):
        main(["fit", "--config", str(config)])
    assert not (tmp_path / "r").exists()


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    """``ffade plugins | head -1``: the pipe closes under the listing, which is not an error."""
    with subprocess.Popen(
        [sys.executable, "-m", "ffade", "plugins"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as listing:
        assert listing.stdout.readline()
        listing.stdout.close()
        _, err = listing.communicate(timeout=300)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err[-2000:]
    assert listing.returncode == 0


def test_a_reader_gone_before_the_last_lines_leaves_the_commands_status() -> None:
    """``ffade --version | head -0``, ``ffade fit ... | head -0``: piped, stdout held the last
    lines until Python's flush at exit, where the reader's absence said "Exception ignored ...
    BrokenPipeError" and ended the command with status 120, a finished run's too."""
    result = ffade_reader_gone("--version")  # buffered, as typed
    assert "Exception ignored" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr


def test_default_root_dir_places_the_run_as_lightning_users_expect(tmp_path: Path) -> None:
    """``--trainer.default_root_dir X`` was ignored: the run still went to the config's logger
    save_dir (runs/). Given on the command line it places the run (and the config.yaml to rerun
    it, as --print_config shows); in a config without a logger of its own, too; beside a
    config's own logger save_dir it places nothing, as in Lightning, and a note says so."""
    config = write_config(tmp_path / "c.yaml", budget=40)
    root = tmp_path / "X"
    given = ("fit", "--config", str(config), "--trainer.default_root_dir", str(root))
    printed = ffade_in_process(*given, "--print_config")  # what will run: it showed runs/
    assert printed.returncode == 0, printed.stderr[-2000:]
    shown = yaml.safe_load(printed.stdout)["trainer"]["logger"]["init_args"]["save_dir"]
    result = ffade_in_process(*given)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / "runs").exists()
    saved = yaml.safe_load((run_dir(root) / "config.yaml").read_text())
    assert saved["trainer"]["logger"]["init_args"]["save_dir"] == str(root) == shown

    data = yaml.safe_load(config.read_text())
    del data["trainer"]["logger"]  # ffade's default logger: runs/ffade/version_N
    data["trainer"]["default_root_dir"] = str(tmp_path / "Y")
    no_logger = tmp_path / "no_logger.yaml"
    no_logger.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(no_logger), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "Y" / "ffade" / "version_0" / "summary.json").is_file()
    assert not (tmp_path / "runs").exists()

    data = yaml.safe_load(config.read_text())
    data["trainer"]["default_root_dir"] = str(tmp_path / "Z")
    both = tmp_path / "both.yaml"
    both.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(both))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run_dir(tmp_path / "runs") / "summary.json").is_file() and not (tmp_path / "Z").exists()
    notes = [line for line in result.stderr.splitlines() if "default_root_dir" in line]
    assert notes == [
        f"ffade: note: trainer.default_root_dir {tmp_path / 'Z'} does not place this run: the "
        f"config's trainer.logger save_dir {tmp_path / 'runs'} does, as in Lightning; set that "
        f"save_dir to {tmp_path / 'Z'} to put the run there"
    ]


def test_print_config_says_a_default_root_dir_places_nothing_as_the_run_does(
    tmp_path: Path,
) -> None:
    """``--print_config`` of a config whose default_root_dir sits beside its logger's own
    save_dir showed the folder with no word, while the run says it places nothing: a user
    checking where a run goes was told nothing. The run's note now comes on stderr, once, and
    stdout stays the config alone (valid YAML); with the save_dir set there too, or the root
    given on the command line (it places the run), no note."""
    data = yaml.safe_load(write_config(tmp_path / "c.yaml", budget=40).read_text())
    data["trainer"]["default_root_dir"] = str(tmp_path / "Z")
    both = tmp_path / "both.yaml"
    both.write_text(yaml.safe_dump(data))
    printed = ffade_in_process("fit", "--config", str(both), "--print_config")
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert yaml.safe_load(printed.stdout)["trainer"]["default_root_dir"] == str(tmp_path / "Z")
    assert printed.stderr.splitlines() == [
        f"ffade: note: trainer.default_root_dir {tmp_path / 'Z'} does not place this run: the "
        f"config's trainer.logger save_dir {tmp_path / 'runs'} does, as in Lightning; set that "
        f"save_dir to {tmp_path / 'Z'} to put the run there"
    ]
    there = tmp_path / "there.yaml"  # a later config puts the logger there: nothing to say
    there.write_text(
        yaml.safe_dump({"trainer": {"logger": {"init_args": {"save_dir": str(tmp_path / "Z")}}}})
    )
    for given in (
        ["--print_config", "--config", str(both), "--config", str(there)],
        [
            "--config",
            str(both),
            "--trainer.default_root_dir",
            str(tmp_path / "W"),
            "--print_config",
        ],
    ):
        printed = ffade_in_process("fit", *given)
        assert (printed.returncode, printed.stderr) == (0, ""), printed.stderr[-2000:]


@pytest.mark.parametrize("typed", [["-c", "-x.yaml"], ["--config", "-x.yaml"]])
def test_a_config_named_with_a_leading_dash_gets_how_to_write_it(
    tmp_path: Path, typed: list[str]
) -> None:
    """argparse read '-x.yaml' as an option and said only 'expected one argument'."""
    (tmp_path / "-x.yaml").write_text((REPO / "configs" / "synthetic.yaml").read_text())
    result = ffade_in_process("fit", *typed, cwd=tmp_path)
    assert_one_line_error(result)
    assert result.stderr.strip() == (
        "ffade: error: argument -c/--config: expected one argument; '-x.yaml' reads as an "
        "option: write --config=./-x.yaml"
    )


@pytest.mark.parametrize(
    ("command_line", "expected"),
    [
        (
            ["report", "--thresold", "0.3", "runs/x"],  # 0.3 named, not runs/x: its value
            "ffade: error: unrecognized arguments: --thresold 0.3 (did you mean "
            "'--threshold'?) (see ffade report --help)",
        ),
        (  # no run folder either: both said, the value with its option
            ["report", "--thresold", "0.5"],
            "ffade: error: unrecognized arguments: --thresold 0.5 (did you mean '--threshold'?); "
            "the following arguments are required: RUN_DIR (see ffade report --help)",
        ),
        (
            ["check", "--suite", "s.yaml", "--junti=check.xml"],
            "ffade: error: unrecognized arguments: --junti=check.xml (did you mean '--junit'?) "
            "(see ffade check --help)",
        ),
        (
            ["loop", "--confg", "configs/loop_digits.yaml"],
            "ffade: error: the following arguments are required: --config; unknown option "
            "'--confg' (did you mean '--config'?) (see ffade loop --help)",
        ),
        (
            ["fit", "--confg", "configs/quickstart.yaml"],
            "ffade: error: unknown option '--confg' (did you mean '--config'?); see ffade fit "
            "--help",
        ),
        (  # a file or folder named with a leading '-' reads as an option
            ["check", "--suite", "s.yaml", "--junit", "-j.xml"],
            "ffade: error: argument --junit: expected one argument; '-j.xml' reads as an option: "
            "write --junit=./-j.xml (see ffade check --help)",
        ),
        (  # a number's option: no spelling makes '-x' a number, so none is suggested
            ["report", "runs/x", "--threshold", "-x"],
            "ffade: error: argument --threshold: expected one argument; '-x' reads as an option; "
            "--threshold takes a failure rate in (0, 1], e.g. --threshold 0.5 (see ffade report "
            "--help)",
        ),
        (
            ["export", "runs/x", "--to", "s.yaml", "--seed", "-x"],
            "ffade: error: argument --seed: expected one argument; '-x' reads as an option; "
            "--seed takes a whole number from 0, e.g. --seed 0 (see ffade export --help)",
        ),
        (
            ["report", "-runs"],
            "ffade: error: the following arguments are required: RUN_DIR; '-runs' reads as an "
            "option: give the path as ./-runs (see ffade report --help)",
        ),
        (  # a misspelt choice: Python 3.11's argparse listed the choices and meant none
            ["report", "runs/x", "--slices", "region"],
            "ffade: error: argument --slices: invalid choice: 'region' (did you mean "
            "'regions'?); choose from rules, regions (see ffade report --help)",
        ),
        (
            ["plugins", "rewrd"],
            "ffade: error: argument KIND: invalid choice: 'rewrd' (did you mean 'reward'?); "
            "choose from target, concept, reward, dataset, targets, concepts, rewards, datasets "
            "(see ffade plugins --help)",
        ),
        (  # an abbreviation: argparse read --name as --names, --comp as --compare, unsaid
            ["plugins", "--name"],
            "ffade: error: unrecognized arguments: --name (did you mean '--names'?) (see ffade "
            "plugins --help)",
        ),
        (
            ["report", "runs/x", "--comp", "runs/y"],
            "ffade: error: unrecognized arguments: --comp runs/y (did you mean '--compare'?) "
            "(see ffade report --help)",
        ),
        (
            ["loop", "--conf", "configs/loop_digits.yaml"],
            "ffade: error: the following arguments are required: --config; unknown option "
            "'--conf' (did you mean '--config'?) (see ffade loop --help)",
        ),
        (
            ["fit", "--config", "configs/quickstart.yaml", "--print_confg"],
            "ffade: error: unknown option '--print_confg' (did you mean '--print_config'?); see "
            "ffade fit --help",
        ),
    ],
)
def test_a_mistyped_option_gets_a_one_line_suggestion(
    tmp_path: Path, command_line: list[str], expected: str
) -> None:
    """Python 3.11's argparse refused a misspelled option without naming the one meant, and
    ``ffade fit`` listed the config's top-level keys for ``--confg``."""
    result = ffade_in_process(*command_line)
    assert_one_line_error(result)
    assert result.stderr.strip() == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (["-c", "{dir}/empty.yaml"], "--config {dir}/empty.yaml: the file is empty"),
        (["-c{dir}/bad.yaml"], "--config {dir}/bad.yaml: not valid YAML"),
        (["-c={dir}/empty.yaml"], "--config {dir}/empty.yaml: the file is empty"),
        (["-c", "{dir}/nope.yaml"], "--config {dir}/nope.yaml: file not found"),
        (["--config={dir}/nope.yaml"], "--config {dir}/nope.yaml: file not found"),
        (
            ["-c", "{dir}/link.yaml"],  # a configs folder linked to a disk not mounted, say
            "--config {dir}/link.yaml: {dir}/link.yaml is a symbolic link to {dir}/gone.yaml, "
            "which does not exist",
        ),
        (["--config", "{dir}"], "--config {dir}: a directory; give a config file (a .yaml) in it"),
        (["--config", ""], "--config: an empty path; give a file or folder (was a variable"),
        (["--config="], "--config: an empty path; give a file or folder (was a variable"),
    ],
)
def test_a_config_file_that_cannot_be_read_is_named(
    tmp_path: Path, typed: list[str], expected: str
) -> None:
    """``-c`` (README: "-c is --config") skipped the checks --config gets: an empty file said
    "Unexpected config:" and bad YAML "Problems parsing config", naming no file; a missing file
    or a directory said 'Parser key "config": File does not exist' (or "Path is not a file")."""
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "bad.yaml").write_text("model:\n  class_path: [\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "gone.yaml")
    args = [arg.format(dir=tmp_path) for arg in typed]
    result = ffade_in_process("fit", *args)
    assert_one_line_error(result, f"ffade: error: {expected.format(dir=tmp_path)}")
    assert not (tmp_path / "runs").exists()


def test_a_config_given_inline_still_runs(tmp_path: Path) -> None:
    """jsonargparse takes ``--config`` as YAML text too: a missing file is refused, not that."""
    config = write_config(tmp_path / "c.yaml", budget=40)
    inline = "{model: {init_args: {budget: 21}}}"
    printed = ffade_in_process("fit", "--config", str(config), "--config", inline, "--print_config")
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert yaml.safe_load(printed.stdout)["model"]["init_args"]["budget"] == 21
    ran = ffade_in_process("fit", "--config", str(config), "--config", inline, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr[-2000:]  # it said "file not found: None"
    assert (
        json.loads(next(tmp_path.glob("runs/*/version_0/summary.json")).read_text())["evaluations"]
        == 21
    )


def test_python_m_ffade_names_itself_ffade_in_a_classs_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m ffade fit --model.help CLASS`` printed ``usage: __main__.py ...``, where
    ``ffade fit --model.help CLASS`` (docs/mitigation.md) prints ``usage: ffade ...``."""
    config = write_config(tmp_path / "c.yaml", budget=40)
    args = ["fit", "--config", str(config), "--model.help", "RandomExplorer"]
    # ffade/__main__.py run as ``python -m`` runs it (runpy sets sys.argv[0] to its path), in
    # this process: a process of its own spent seconds importing Lightning for a help text
    monkeypatch.setattr(sys, "argv", ["-m", *args])
    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("ffade", run_name="__main__", alter_sys=True)
    assert exited.value.code in (0, None)
    stdout = capsys.readouterr().out
    assert stdout.startswith("usage: ffade --model.task.target.name NAME"), stdout


def test_fit_help_with_a_config_leads_with_the_class_it_runs(tmp_path: Path) -> None:
    """``ffade fit --config configs/mitigate_digits.yaml --help`` listed the DQN's arguments
    first, none of the fine-tuner the config runs; ``--model`` after the config wins, as it
    does for the run."""
    finetune = ffade_in_process("fit", "--config", "configs/mitigate_digits.yaml", "--help")
    assert finetune.returncode == 0, finetune.stderr[-2000:]
    lines = finetune.stdout.splitlines()
    # wrapped to the terminal's width (80 columns here): compared with its spaces normalized
    preamble = " ".join(finetune.stdout.split("usage: ffade")[0].split())
    assert (
        "ffade.mitigate.ClassifierFineTuner arguments, the model this command runs "
        "(--model.init_args.NAME): "
    ) in preamble
    assert lines[2].startswith("ffade.mitigate.ClassifierFineTuner arguments, the model")
    assert "  momentum               (default 0.9) SGD momentum" in lines
    # defaults as a config spells them: `feedback: None` there is a file named "None"
    assert "  feedback               (default null) its feedback.yaml" in finetune.stdout
    assert "  train                  (default full) " in finetune.stdout
    assert "DQNExplorer arguments" not in finetune.stdout.split("usage: ffade")[0]
    assert "--trainer.max_epochs" in finetune.stdout  # Lightning's options follow
    config = write_config(tmp_path / "c.yaml", budget=40)
    random = ffade_in_process("fit", "-c", str(config), "--model=RandomExplorer", "-h")
    preamble = random.stdout.split("usage: ffade")[0]  # then Lightning's help
    # the command line as typed, wrapped to 80 columns, then the class it runs
    assert random.stdout.split("\n\n")[1].startswith("ffade.explore.RandomExplorer arguments")
    assert "task keys (--model.init_args.task.KEY):" in preamble
    assert "    epsilon " not in preamble and "GridExplorer" not in preamble
    dqn = ffade_in_process("fit", "--config", str(config), "--help")  # the DQN: the full preamble
    assert dqn.stdout.startswith("ffade fit --config CONFIG.yaml [--model.init_args.NAME VALUE")


@pytest.mark.parametrize(
    "command_line",
    [
        ["report", "runs/x", "--threshold"],
        ["report", "runs/x", "--min-evaluations"],
        ["feedback", "runs/x", "--max-regions"],
        ["export", "runs/x", "--to", "s.yaml", "--pairs"],
        ["export", "runs/x", "--to", "s.yaml", "--seed"],
        ["export", "runs/x", "--to", "s.yaml", "--max-failure-rate"],
    ],
)
def test_a_dashed_number_gets_an_example_its_option_takes(command_line: list[str]) -> None:
    """``--threshold -x`` said what the option takes but showed no value to type; the example
    shown is inside the option's range: typed as shown, the option is no longer what is refused
    (the run that does not exist is)."""
    result = ffade_in_process(*command_line, "-x")
    option = command_line[-1]
    hint = result.stderr.strip().splitlines()[-1]
    assert f"'-x' reads as an option; {option} takes " in hint, hint
    value = hint.split(f", e.g. {option} ", 1)[1].split(" (see ")[0]
    typed = ffade_in_process(*command_line, value)
    assert typed.returncode != 0 and option not in typed.stderr, typed.stderr


@pytest.mark.parametrize("command", ["report", "feedback", "export", "check", "loop", "plugins"])
def test_each_commands_help_fits_80_columns_and_names_its_defaults(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ffade plugins --help``'s usage line listed its eight kinds in 88 columns (docs/plugins.md
    calls the argument KIND); ``--batch-size`` (default 256, as docs/gate.md says) and
    ``--seed`` (default 0) were the only options with a default whose help did not say it; and
    ``feedback --max-regions MAX_REGIONS`` spoke of regions only, though it bounds the rules
    asked about too (docs/mitigation.md: ``--max-regions N``, ``--examples N``), as report's
    ``--compare`` said "which regions were fixed" of its rule shift."""
    monkeypatch.setenv("COLUMNS", "80")
    result = ffade_in_process(command, "--help")
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert len(line) <= 80, line
    help_text = " ".join(result.stdout.split())
    if command in ("export", "check"):
        assert "--batch-size BATCH_SIZE inputs per forward pass (default 256)" in help_text
    if command == "export":
        assert "--seed SEED seed of the pair sample (default 0)" in help_text
    if command == "report":  # the shift follows rules unless --slices regions
        assert "whether this run's rules (or regions) are fixed, still failing or " in help_text
    if command == "feedback":  # they bound and draw rules too, the default --slices
        assert "--max-regions N ask about the N most severe failure slices, rules or " in help_text
        assert (
            "--examples N inputs shown per slice, drawn or as text (default 8; 0 shows none, "
            "as --no-examples does)"
        ) in help_text
    if command == "plugins":
        assert result.stdout.startswith("usage: ffade plugins [-h] [--names] [KIND]\n")
