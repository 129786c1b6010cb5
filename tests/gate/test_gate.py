"""``ffade export`` and ``ffade check`` on the synthetic task: the suite, the verdicts, the XML."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
import torch
import yaml
from ffade_synthetic.data import SyntheticDataset
from ffade_synthetic.target import SyntheticTarget

from ffade.cli import main
from ffade.env import Evaluator
from ffade.environment import package_versions
from ffade.errors import FfadeError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.feedback.priorities import load_regions
from ffade.gate.check import resolve_target, run_check
from ffade.gate.evaluate import CaseResult, split_tasks, target_setup_errors
from ffade.gate.export import export_suite
from ffade.gate.junit import junit_xml
from ffade.gate.options import export_parser
from ffade.gate.suite import Case, read_suite
from ffade.passing import passing_ids
from ffade.records import read_summary
from ffade.registry import register, unregister
from ffade.summarize.landscape import wilson_interval
from tests.helpers import digits_suite, ffade_reader_gone, synthetic_spec
from tests.test_cli import TRAINING_LIBRARIES, python_m_ffade

NO_FAILURES = "{name: synthetic, args: {regions: []}}"
REGIONS_REACHING_NEUTRAL = [{0: [-1.0, -0.06]}, {0: [0.8, 1.0], 1: [0.8, 1.0]}]
"""The first box stops short of the unchanged position, which fragile inputs' boxes reach."""
"""A synthetic target with no planted box: the perfect fix."""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random search of the synthetic task: its planted boxes show up as regions."""
    tmp = tmp_path_factory.mktemp("gate")
    explorer = RandomExplorer(task=synthetic_spec(), budget=1500, num_envs=100)
    return Path(discover(explorer, tmp, seed=0).recorder.run_dir)


@pytest.fixture(scope="module")
def suite_path(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "suite.yaml"
    assert main(["export", str(run_dir), "--to", str(path), "--pairs", "16"]) == 0
    return path


def test_export_writes_one_case_per_region_with_pairs_from_both_splits(
    suite_path: Path, run_dir: Path
) -> None:
    suite = read_suite(suite_path)
    assert suite.task["target"]["name"] == "synthetic" and suite.source["run"] == str(run_dir)
    assert suite.cases
    for case in suite.cases:
        assert set(case.pairs) == {"discovery", "heldout"}
        assert len(case.pairs["discovery"]) == min(16, 8 * len(case.states))
        assert all(0 <= i < 4 for i, _ in case.pairs["heldout"])  # 4 held-out inputs of 16
        assert case.goal == "fix"
        # the default threshold: the 95% interval's lower end of the measured rate, rounded down
        low, _ = wilson_interval(case.measured["failures"], case.measured["pairs"])
        assert float(low) - 0.001 < case.max_failure_rate <= float(low)


def test_export_records_the_run_it_read_as_an_absolute_path(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """source.run was written as typed (`runs/toy/version_1`) beside the task's absolute paths."""
    monkeypatch.chdir(run_dir.parent)
    to = tmp_path / "s.yaml"
    assert main(["export", run_dir.name, "--to", str(to), "--pairs", "2"]) == 0
    assert read_suite(to).source["run"] == str(run_dir.resolve())


def test_export_is_seeded(run_dir: Path, suite_path: Path, tmp_path: Path) -> None:
    again = export_suite(run_dir, tmp_path / "again.yaml", pairs_per_split=16)
    assert again.to_dict() == read_suite(suite_path).to_dict()


def test_check_fails_the_original_model_and_writes_junit(suite_path: Path, tmp_path: Path) -> None:
    xml = tmp_path / "out" / "check.xml"
    assert main(["check", "--suite", str(suite_path), "--junit", str(xml)]) == 1
    suite = read_suite(suite_path)
    root = ET.parse(xml).getroot()
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [case.name for case in suite.cases]
    # every case with a failure fails against its own lower bound: the same pairs, the same model
    failing = [case.name for case in suite.cases if case.measured["failures"]]
    assert [c.get("name") for c in cases if c.find("failure") is not None] == failing
    assert root.get("failures") == str(len(failing)) and root.get("tests") == str(len(cases))


def test_a_junit_write_that_fails_after_the_check_still_prints_the_table(
    suite_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A --junit file refused only when written (a folder made at its name while the check ran
    passes the checks made before the evaluations) said one line and exit 2, and the table of
    results was never shown."""

    def refused(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr("ffade.gate.check.write_junit", refused)
    xml = tmp_path / "check.xml"
    assert main(["check", "--suite", str(suite_path), "--junit", str(xml)]) == 2
    captured = capsys.readouterr()
    names = [case.name for case in read_suite(suite_path).cases]
    rows = captured.out.splitlines()
    assert rows[0].split()[:2] == ["case", "goal"] and [r.split()[0] for r in rows[1:-1]] == names
    assert rows[-1].endswith(f"of {len(names)} cases passed")
    assert captured.err.splitlines()[-1] == (
        f"ffade: error: --junit {xml}: cannot write it (No such file or directory); choose "
        "another path"
    )
    assert not xml.exists()


def test_junit_suite_is_named_after_the_suite_and_the_model_under_test(
    suite_path: Path, tmp_path: Path
) -> None:
    """Every report's testsuite was `ffade.suite`: a CI matrix over checkpoints showed one name
    for every job. It is the suite's (its `name`, else the file's stem) and the model swapped in."""

    def names(*args: str, suite: Path = suite_path) -> tuple[str | None, set[str | None]]:
        xml = tmp_path / "check.xml"
        main(["check", "--suite", str(suite), "--junit", str(xml), *args])
        testsuite = ET.parse(xml).getroot().find("testsuite")
        return testsuite.get("name"), {c.get("classname") for c in testsuite.iter("testcase")}

    assert names() == ("ffade.suite", {"ffade.suite"})
    assert names("--target-arg", "seed=1") == ("ffade.suite [seed=1]", {"ffade.suite"})
    assert names("--target", NO_FAILURES)[0] == f"ffade.suite [--target {NO_FAILURES}]"
    data = yaml.safe_load(suite_path.read_text())
    named = tmp_path / "suite.yaml"
    named.write_text(yaml.safe_dump({**data, "name": "digits-gate"}))
    assert read_suite(named).to_dict()["name"] == "digits-gate"
    assert names("--target-arg", "seed=2", suite=named) == (
        "ffade.digits-gate [seed=2]",
        {"ffade.digits-gate"},
    )
    named.write_text(yaml.safe_dump({**data, "name": ["x"]}))
    assert main(["check", "--suite", str(named)]) == 2


def test_check_passes_a_fixed_target(suite_path: Path, tmp_path: Path, capsys) -> None:
    xml = tmp_path / "fixed.xml"
    code = main(["check", "--suite", str(suite_path), "--target", NO_FAILURES, "--junit", str(xml)])
    assert code == 0
    assert ET.parse(xml).getroot().get("failures") == "0"
    out = capsys.readouterr().out
    assert f"{len(read_suite(suite_path).cases)} of {len(read_suite(suite_path).cases)}" in out


def test_check_and_export_count_their_pairs_on_stderr(
    run_dir: Path, suite_path: Path, tmp_path: Path, capsys
) -> None:
    """A large model's suite takes minutes: both commands show a bar over the distinct pairs,
    on stderr, so the table on stdout and the files stay as they were."""
    distinct = {
        (split, i, tuple(case.states[k].values()))
        for case in read_suite(suite_path).cases
        for split, pairs in case.pairs.items()
        for i, k in pairs
    }
    capsys.readouterr()
    assert main(["check", "--suite", str(suite_path)]) == 1
    out, err = capsys.readouterr()
    assert f"{len(distinct)}/{len(distinct)}" in err and "pairs: 100%" in err
    assert "pairs:" not in out
    again = tmp_path / "again.yaml"
    assert main(["export", str(run_dir), "--to", str(again), "--pairs", "16"]) == 0
    assert f"{len(distinct)}/{len(distinct)}" in capsys.readouterr().err
    assert again.read_bytes() == suite_path.read_bytes()  # the bar changes no measured number


def test_a_target_arg_overrides_one_argument(suite_path: Path) -> None:
    # the suite's own target, with no planted boxes left
    code = main(["check", "--suite", str(suite_path), "--target-arg", "regions=[]"])
    assert code == 0


def test_thresholds_are_editable(suite_path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(suite_path.read_text())
    for case in data["cases"]:
        case["max_failure_rate"] = 1.0
    edited = tmp_path / "lenient.yaml"
    edited.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(edited)]) == 0


def test_skipped_regions_become_hold_cases(run_dir: Path, tmp_path: Path) -> None:
    feedback = tmp_path / "feedback.yaml"
    args = ["--from", str(priorities(tmp_path)), "--out", str(feedback), "--no-examples"]
    assert main(["feedback", str(run_dir), *args]) == 0
    suite = export_suite(run_dir, tmp_path / "suite.yaml", pairs_per_split=16, feedback=feedback)
    goals = [case.goal for case in suite.cases]
    assert goals[0] == "fix" and set(goals[1:]) <= {"hold"}
    for case in suite.cases[1:]:
        _, high = wilson_interval(case.measured["failures"], case.measured["pairs"])
        assert float(high) <= case.max_failure_rate < float(high) + 0.001


def priorities(tmp_path: Path) -> Path:
    path = tmp_path / "priorities.yaml"
    path.write_text(
        yaml.safe_dump({"regions": [{"rank": 1, "priority": "high"}], "default": "skip"})
    )
    return path


def test_a_suite_key_written_twice_exits_2(suite_path: Path, tmp_path: Path, capsys) -> None:
    """A threshold edited by adding a line above the old one: YAML kept the last, the old one,
    and the check ran with it without a word."""
    text = suite_path.read_text()
    line = next(x for x in text.splitlines() if x.startswith("  max_failure_rate: "))
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(line, f"  max_failure_rate: 1.0\n{line}", 1))
    number = bad.read_text().splitlines().index(line) + 1
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"line {number}: key 'max_failure_rate' is given twice" in err and "\n" not in err
    assert err.startswith(f"ffade: error: {bad}:")
    assert main(["check", "--suite", str(suite_path)]) == 1  # the suite as exported still reads


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"max_failure_rate": 1.5}, "max_failure_rate must be in [0, 1]"),
        ({"max_failure_rate": "low"}, "max_failure_rate must be a number"),
        ({"pairs": {"discovery": [[0, 999]]}}, "pairs.discovery[0] is [0, 999]; each row is"),
        # a negative input id was blamed on the state index
        ({"pairs": {"discovery": [[0, 0], [-1, 0]]}}, "pairs.discovery[1] is [-1, 0]; each row"),
        ({"pairs": {"finetune": [[0, 0]]}}, "(discovery, heldout) to lists, got split 'finetune'"),
        ({"goal": "fixx"}, "goal must be one of fix, hold, got 'fixx'"),
        # values are said as the file writes them, not as Python's ['fix'], None, True
        ({"goal": ["fix"]}, "goal must be one of fix, hold, got [fix]"),
        ({"gaol": "hold"}, "unknown key 'gaol' (did you mean 'goal'?); allowed: name, conditions"),
        # name: null became a JUnit test named 'None', and a pair [true, 0] input 1
        ({"name": None}, "cases[0]: name must be a non-empty string, got null"),
        ({"pairs": {"discovery": [[True, 0]]}}, "pairs.discovery[0] is [true, 0]; each row is"),
        ({"pairs": {"heldout": {"0": 1}}}, "pairs.heldout must be a list of [input id, state"),
        # conditions and measured passed whatever they held: a list showed as "['a']" in the table
        ({"conditions": ["axis0 >= 1"]}, "conditions must be a string (the slice in words"),
        ({"measured": [1, 2]}, "measured must be a mapping (pairs, failures, failure_rate"),
        (
            {"measured": {"pairz": 3}},
            "measured: unknown key 'pairz' (did you mean 'pairs'?); allowed: pairs, failures",
        ),
        ({"measured": {"failure_rate": 2}}, "measured.failure_rate must be a number in [0, 1]"),
        ({"measured": {"failures": "many"}}, "measured.failures must be a whole number from 0"),
        ({"measured": {"heldout": {"pairs": -1}}}, "measured.heldout.pairs must be a whole number"),
        ({"measured": {"pairs": 128, "failures": 200}}, "measured.failures must be at most its"),
        (
            {"measured": {"heldout": {"pairs": 64, "failures": 65}}},
            "measured.heldout.failures must be at most its pairs (64), got 65",
        ),
    ],
)
def test_a_malformed_suite_exits_2_with_one_line(
    suite_path: Path, tmp_path: Path, capsys, edit: dict, says: str
) -> None:
    data = yaml.safe_load(suite_path.read_text())
    data["cases"][0].update(edit)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and "\n" not in err


@pytest.mark.parametrize("key", ["max_failure_rate", "states", "pairs", "name"])
def test_a_case_missing_a_key_is_named_as_other_errors_name_it(
    suite_path: Path, tmp_path: Path, capsys, key: str
) -> None:
    """A case with a name is named by it ("case 'S-1a2b'"), as every other error of a case is;
    a missing max_failure_rate said "cases[0]". Only a case with no name is said by position."""
    data = yaml.safe_load(suite_path.read_text())
    name = data["cases"][0]["name"]
    del data["cases"][0][key]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    where = "cases[0]" if key == "name" else f"case '{name}'"
    assert capsys.readouterr().err.strip() == f"ffade: error: {bad}: {where} has no '{key}'"


@pytest.mark.parametrize("split", ["discovery", "heldout"])
def test_an_input_id_past_the_split_names_its_case(
    suite_path: Path, tmp_path: Path, capsys, split: str
) -> None:
    """It said "the suite names discovery input 9999, but that split has 8 inputs": no case, and
    not that the discovery inputs are the run's searched ones (task.max_inputs)."""
    data = yaml.safe_load(suite_path.read_text())
    case = data["cases"][-1]
    case["pairs"][split] = [[9999, 0]]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    where = f"ffade: error: {bad}: case '{case['name']}'"  # the file, as every suite error
    assert err.startswith(f"{where}: pairs.{split} names input 9999")
    assert ("task.max_inputs" in err) == (split == "discovery") and "\n" not in err


def test_a_hand_edited_state_off_the_task_names_its_case(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    data = yaml.safe_load(suite_path.read_text())
    case = data["cases"][0]
    case["states"][0] = {"axiz": 0.5}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    where = f"ffade: error: {bad}: case '{case['name']}'"  # the file, as every suite error
    assert err.startswith(f"{where}: states: unknown concept axiz;")
    assert "\n" not in err


def test_a_concept_without_args_is_refused_naming_it(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """A concept left without ``args`` was built with its defaults, another grid and other
    arguments than the run's: a digits suite's rotation lost its ``fill: 1.0`` and check
    counted 36 failures of 128 pairs where the export measured 34, saying nothing (here, axis
    2 became a second axis 0, refused only as a label clash). Now one line names the concept
    and the key; ``args: {}`` still asks for the defaults."""
    data = yaml.safe_load(suite_path.read_text())
    assert data["task"]["concepts"][2] == {"name": "axis", "args": {"index": 2}}
    del data["task"]["concepts"][2]["args"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"ffade: error: {bad}: task.concepts[2] (axis) has no 'args': write the arguments the "
        "run used (its summary.json's task), or 'args: {}' for the concept's defaults; without "
        "them check would build its default grid and arguments, not those the cases were "
        "measured with"
    )
    data["task"]["concepts"][0]["args"] = {}  # axis 0's defaults: what the run used
    data["task"]["concepts"][2]["args"] = {"index": 2}
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 1  # checked: the original model fails


@pytest.mark.parametrize("key", ["target", "dataset", "reward"])
def test_a_target_dataset_or_reward_without_args_is_refused_naming_it(
    suite_path: Path, tmp_path: Path, key: str, capsys
) -> None:
    """As a concept's: a target without ``args`` was built with its defaults (another model's
    weights), a dataset with its own (another split seed), and check measured them, saying
    nothing. Now one line names the key; ``args: {}`` still asks for the defaults."""
    data = yaml.safe_load(suite_path.read_text())
    name = data["task"][key]["name"]
    del data["task"][key]["args"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"ffade: error: {bad}: task.{key} ({name}) has no 'args': write the arguments the run "
        f"used (its summary.json's task), or 'args: {{}}' for the {key}'s defaults; without them "
        "check would build its default arguments, not those the cases were measured with"
    )


def test_export_writes_args_for_a_run_whose_task_left_them_out(
    run_dir: Path, tmp_path: Path
) -> None:
    """A run's task without ``args`` ran with the defaults: its suite says ``args: {}`` for
    each plugin, so that check reads back what export wrote."""
    run = shutil.copytree(run_dir, tmp_path / "run")
    summary = json.loads((run / "summary.json").read_text())
    for key in ("target", "reward"):  # as a task given in Python is recorded: no args
        assert "args" not in summary["task"][key], key
    summary["task"]["concepts"][0]["args"] = None
    (run / "summary.json").write_text(json.dumps(summary))
    suite = tmp_path / "suite.yaml"
    assert main(["export", str(run), "--to", str(suite), "--pairs", "4"]) == 0
    task = yaml.safe_load(suite.read_text())["task"]
    assert task["target"]["args"] == task["reward"]["args"] == task["concepts"][0]["args"] == {}
    assert task["dataset"]["args"] == summary["task"]["dataset"]["args"]
    assert main(["check", "--suite", str(suite)]) == 1  # checked: the original model fails


@pytest.mark.parametrize(
    "args",
    [
        ["--suite", "no/such/suite.yaml"],
        ["--target", "not a spec"],
        ["--target-arg", "weights"],
        ["--target", "{name: no_such_target}"],
        ["--target", "{name: synthetic, args: [1]}"],  # was a TypeError traceback, exit 1
        ["--target", "{name: synthetic, arg: {seed: 1}}"],  # a typo, not a silent default
        ["--target-arg", "seed=[1"],  # no YAML: was a ScannerError traceback, exit 1
    ],
)
def test_bad_input_exits_2(suite_path: Path, args: list[str], capsys) -> None:
    full = ["check", *(["--suite", str(suite_path)] if args[0] != "--suite" else []), *args]
    assert main(full) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_target_arg_that_is_no_yaml_says_what_is_wrong(suite_path: Path, capsys) -> None:
    """It said "(while parsing a flow node)", PyYAML's context, which names no problem."""
    assert main(["check", "--suite", str(suite_path), "--target-arg", "weights=["]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "ffade: error: --target-arg 'weights=[': the value is read as YAML and is not valid "
        "YAML (line 1: expected the node content, but found '<stream end>'); quote it"
    ), err
    assert "\n" not in err


def test_a_target_arg_that_is_no_finite_number_names_the_option(suite_path: Path, capsys) -> None:
    """It was refused as task.target.args.seed, about summary.json, which ffade check never
    writes: the user typed --target-arg."""
    assert main(["check", "--suite", str(suite_path), "--target-arg", "seed=.inf"]) == 2
    assert capsys.readouterr().err.strip() == (
        "ffade: error: --target-arg 'seed=.inf': give a finite number, not inf"
    )


def test_an_empty_target_says_so(suite_path: Path, capsys) -> None:
    """A CI job's --target "$FIX" with FIX unset read the working directory as a run directory."""
    assert main(["check", "--suite", str(suite_path), "--target", ""]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ffade: error: --target is empty;") and "\n" not in err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[1, 2", "is not valid JSON"),
        ("[1, 2]", "it is no fine-tune's mitigation.json"),
        ('{"explorer": "dqn", "status": "finished"}', "has no fixed_target"),
    ],
)
def test_a_target_json_that_is_no_mitigation_json_exits_2(
    suite_path: Path, tmp_path: Path, text: str, says: str, capsys
) -> None:
    given = tmp_path / "given.json"
    given.write_text(text)
    assert main(["check", "--suite", str(suite_path), "--target", str(given)]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and "\n" not in err and err.startswith("ffade: error: --target:")


def test_a_target_json_that_is_not_utf8_exits_2(suite_path: Path, tmp_path: Path, capsys) -> None:
    """A mitigation.json with a byte that is not UTF-8 was a UnicodeDecodeError traceback."""
    given = tmp_path / "mitigation.json"
    given.write_bytes('{"status": "caf\u00e9"}'.encode("latin-1"))
    assert main(["check", "--suite", str(suite_path), "--target", str(given)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"ffade: error: --target: {given}: line 1 is not UTF-8 text (byte 0xe9); " + (
        "save the file as UTF-8"
    )


def test_two_cases_of_one_name_exit_2(suite_path: Path, tmp_path: Path, capsys) -> None:
    """JUnit names a test by its case: two cases of one name would read as one result."""
    data = yaml.safe_load(suite_path.read_text())
    data["cases"] = [data["cases"][0], data["cases"][0]]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"case name '{data['cases'][0]['name']}' appears twice" in err and "\n" not in err


def test_export_never_overwrites_a_file_that_is_no_suite(
    run_dir: Path, suite_path: Path, tmp_path: Path, capsys
) -> None:
    """`--to RUN/summary.json` (a slip of the tab key) must not replace the run's summary."""
    summary = run_dir / "summary.json"
    before = summary.read_bytes()
    assert main(["export", str(run_dir), "--to", str(summary), "--pairs", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert "a file that is no ffade suite is there" in err and "\n" not in err
    assert summary.read_bytes() == before
    again = tmp_path / "again.yaml"  # a suite it wrote is rewritten, as before
    again.write_bytes(suite_path.read_bytes())
    assert main(["export", str(run_dir), "--to", str(again), "--pairs", "4"]) == 0
    assert read_suite(again).source["pairs_per_split"] == 4


@pytest.mark.parametrize("name", ["s.json", "suite", "suite.YAML.txt"])
def test_export_refuses_a_suite_name_that_is_not_yaml(
    run_dir: Path, tmp_path: Path, name: str, capsys
) -> None:
    """The suite is YAML: `--to s.json` wrote YAML under a JSON name. Refused before any work,
    naming the suffixes allowed, leaving no file and no directory behind."""
    to = tmp_path / "out" / name
    assert main(["export", str(run_dir), "--to", str(to), "--pairs", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"ffade: error: --to {to}: a suite is a YAML file (commented, meant to be edited); "
        "name it .yaml or .yml"
    )
    assert not (tmp_path / "out").exists()
    assert main(["export", str(run_dir), "--to", str(tmp_path / "s.YML"), "--pairs", "4"]) == 0
    assert read_suite(tmp_path / "s.YML").cases


def test_export_names_the_file_it_wrote(run_dir: Path, tmp_path: Path, capsys) -> None:
    """`--to out.yaml/` writes out.yaml; the closing line said `-> out.yaml/`, a folder."""
    to = tmp_path / "out.yaml"
    assert main(["export", str(run_dir), "--to", f"{to}/", "--pairs", "4"]) == 0
    assert read_suite(to).cases
    assert capsys.readouterr().out.strip().splitlines()[0].endswith(f"pairs -> {to}")


def test_export_quotes_the_file_it_names(run_dir: Path, tmp_path: Path, capsys) -> None:
    """A suite under a path with a space is said as a shell word, as `run:` lines say theirs:
    `-> my suites/s 1.yaml` pasted into `ffade check --suite` named two files."""
    to = tmp_path / "my suites" / "s 1.yaml"
    assert main(["export", str(run_dir), "--to", str(to), "--pairs", "4"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[0].endswith(f"pairs -> '{to}'")


def test_export_names_the_file_as_typed(run_dir: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """`--to=./-s.yaml` (the way to name a file starting with '-') said `-> -s.yaml`, which
    the shell reads as an option."""
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(run_dir), "--to=./-s.yaml", "--pairs", "4"]) == 0
    assert read_suite(tmp_path / "-s.yaml").cases
    assert capsys.readouterr().out.strip().splitlines()[0].endswith("pairs -> ./-s.yaml")


def test_export_ends_naming_the_check_to_run_and_what_it_checks(
    run_dir: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Export ended with `5 cases, 640 pairs -> suite.yaml` alone, where every other command
    names the next one; `ffade check --suite suite.yaml` typed next exits 1 on the exported run's
    own model (a fix case is made to fail there), which read as a broken suite."""
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(run_dir), "--to", "s.yaml", "--pairs", "4"]) == 0
    cases = read_suite(tmp_path / "s.yaml").cases
    failing = sum(case.measured["failure_rate"] > case.max_failure_rate for case in cases)
    # no feedback.yaml: every case is a fix case, and the run's own model fails each one with a
    # failure in it (docs/gate.md's quickstart line: 'which fails 5 of its 5 cases')
    assert {case.goal for case in cases} == {"fix"}
    assert failing == sum(case.measured["failures"] > 0 for case in cases) > 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].endswith("pairs -> s.yaml")
    assert lines[1] == (
        "next: ffade check --suite s.yaml --target FINE_TUNE_RUN_DIR (the fixed model; without "
        f"--target, the run's own model, which fails {failing} of its {len(cases)} cases, as "
        "export measured it)"
    )
    assert main(lines[1].split()[2:5]) == 1  # as said: the run's own model fails


def test_a_target_dir_that_is_no_fine_tune_exits_2(run_dir: Path, suite_path: Path, capsys) -> None:
    """A discovery run given as --target says what it is and what to give instead."""
    assert main(["check", "--suite", str(suite_path), "--target", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"--target {run_dir}: a discovery run, not a fine-tune" in err
    assert "give a fine-tune's run directory or its mitigation.json" in err
    assert "target spec" in err and "\n" not in err


def test_a_target_dir_with_no_run_in_it_exits_2(suite_path: Path, tmp_path: Path, capsys) -> None:
    """A folder that is no run at all (no summary.json) keeps the general line."""
    assert main(["check", "--suite", str(suite_path), "--target", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no mitigation.json there" in err and "target spec" in err and "\n" not in err


def test_junit_never_overwrites_a_file_that_is_no_xml(suite_path: Path, capsys) -> None:
    """`--junit suite.yaml` (a slip) must not replace the suite it was about to check."""
    before = suite_path.read_bytes()
    assert main(["check", "--suite", str(suite_path), "--junit", str(suite_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "a file that is no XML is there" in err and "\n" not in err
    assert suite_path.read_bytes() == before


@pytest.mark.parametrize(
    "text", ["<project><modelVersion>4.0.0</modelVersion></project>", "<!-- x -->\n<a/>", "<<"]
)
def test_junit_never_overwrites_xml_that_is_no_junit_report(
    suite_path: Path, tmp_path: Path, text: str, capsys
) -> None:
    """`--junit pom.xml` replaced the project's pom.xml: any file starting with '<' was taken
    for an earlier report."""
    other = tmp_path / "pom.xml"
    other.write_text(text)
    assert main(["check", "--suite", str(suite_path), "--junit", str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert "an XML file that is no JUnit report is there" in err and "\n" not in err
    assert other.read_text() == text
    report = tmp_path / "check.xml"  # an earlier report is replaced
    report.write_text('<?xml version="1.0"?>\n<testsuites tests="0"/>\n')
    assert main(["check", "--suite", str(suite_path), "--junit", str(report)]) == 1
    assert ET.parse(report).getroot().get("tests") != "0"


@pytest.mark.parametrize("name", ["check.json", "check", "check.yaml"])
def test_junit_refuses_a_name_that_is_not_xml(
    suite_path: Path, tmp_path: Path, name: str, capsys
) -> None:
    """`--junit out.json` wrote XML under a JSON name, where `export --to suite.json` is refused."""
    out = tmp_path / "reports" / name
    assert main(["check", "--suite", str(suite_path), "--junit", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"ffade: error: --junit {out}: the JUnit report is XML; name it .xml (--junit check.xml)"
    )
    assert not (tmp_path / "reports").exists()  # the folder made for it is gone again


def test_a_weights_file_as_target_says_to_use_target_arg(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    weights = tmp_path / "model.pt"
    torch.save({}, weights)
    assert main(["check", "--suite", str(suite_path), "--target", str(weights)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"--target-arg weights={weights}") and "\n" not in err


def test_a_copied_fine_tune_is_checked_with_the_weights_beside_its_mitigation_json(
    tmp_path: Path,
) -> None:
    """docs/gate.md: a fine-tune copied elsewhere loads the weights beside its mitigation.json,
    not those at the path it saved them to; while the original still lay there, --target COPY
    checked the original's weights, whatever the copy held."""
    fix = tmp_path / "fix"
    fix.mkdir()
    saved = str(fix / "model.pt")
    (fix / "model.pt").write_bytes(b"the fix's weights")
    record = {
        "accepted": True,
        "fixed_target": {"name": "digits_cnn", "args": {"weights": saved, "device": "cpu"}},
        "fixed_weights": saved,
    }
    (fix / "mitigation.json").write_text(json.dumps(record))
    copy = tmp_path / "copy"
    shutil.copytree(fix, copy)
    suites = {"name": "digits_cnn"}
    assert resolve_target(str(copy), [], suites)["args"] == {
        "weights": str(copy / "model.pt"),
        "device": "cpu",
    }
    assert resolve_target(str(fix), [], suites)["args"]["weights"] == saved
    alone = tmp_path / "alone"  # a mitigation.json kept without its weights: the saved path
    alone.mkdir()
    shutil.copy(fix / "mitigation.json", alone)
    assert resolve_target(str(alone), [], suites)["args"]["weights"] == saved


def test_a_fine_tune_without_its_weights_names_the_file_missing_beside_it(tmp_path: Path) -> None:
    """A fine-tune copied without its model.pt, the original gone, said only that the saved path
    (one the user never typed) did not exist; the line now names the file missing beside it."""
    record = {
        "accepted": True,
        "fixed_target": {"name": "digits_cnn", "args": {"weights": str(tmp_path / "gone.pt")}},
        "fixed_weights": str(tmp_path / "gone.pt"),
    }
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "mitigation.json").write_text(json.dumps(record))
    with pytest.raises(FfadeError) as caught:
        resolve_target(str(copy), [], {"name": "digits_cnn"})
    assert f"no {copy / 'gone.pt'} beside its mitigation.json" in str(caught.value)


def test_export_help_gives_both_default_thresholds() -> None:
    """--help said every case's default was the interval's lower end; a hold case's is the upper."""
    text = " ".join(export_parser().format_help().split())
    assert "lower end for a fix case" in text and "upper end for a hold case" in text


def test_a_loop_directory_as_target_names_its_fine_tune(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """`--target runs/loop_digits/version_0` (the loop, not its mitigate/) said only that no
    mitigation.json was there."""
    loop = tmp_path / "version_0"
    (loop / "mitigate").mkdir(parents=True)
    (loop / "mitigate" / "mitigation.json").write_text("{}")
    assert main(["check", "--suite", str(suite_path), "--target", str(loop)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"--target {loop / 'mitigate'}") and "\n" not in err


def test_export_of_a_run_without_regions_exits_2(run_dir: Path, tmp_path: Path, capsys) -> None:
    # no state of a 1,500-evaluation run over 8,000 pairs has 50 evaluations
    to = tmp_path / "new" / "gate" / "s.yaml"
    args = ["export", str(run_dir), "--to", str(to), "--min-evaluations", "50"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "nothing to guard" in err
    assert "--min-evaluations 50" in err  # the option that left nothing, not only --threshold
    assert not (tmp_path / "new").exists()  # the folders made for --to are gone again


def test_export_of_a_run_with_regions_but_no_rule_says_slices_regions(
    run_dir: Path, tmp_path: Path, capsys
) -> None:
    """At --threshold 1 no rule can be named, but failure regions exist: export said only
    "no failure rule ... nothing to guard", where `ffade feedback` names --slices regions."""
    to = tmp_path / "s.yaml"
    assert main(["export", str(run_dir), "--to", str(to), "--threshold", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "give --slices regions to export its" in err and "\n" not in err
    args = ["export", str(run_dir), "--to", str(to), "--threshold", "1", "--slices", "regions"]
    assert main(args) == 0 and read_suite(to).cases


def test_a_refused_check_leaves_no_junit_folder(tmp_path: Path, capsys) -> None:
    junit = tmp_path / "reports" / "check.xml"
    assert main(["check", "--suite", str(tmp_path / "none.yaml"), "--junit", str(junit)]) == 2
    assert "none.yaml" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_export_warns_of_a_last_log_line_cut_short(run_dir: Path, tmp_path: Path, capsys) -> None:
    """As report and feedback do: a killed run's log is exported from what it holds."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    with open(run / "evaluations.jsonl", "ab") as log:
        log.write(b'{"input_id": 3, "sta')
    to = tmp_path / "s.yaml"
    assert main(["export", str(run), "--to", str(to), "--pairs", "4"]) == 0
    err = capsys.readouterr().err
    lines = len((run / "evaluations.jsonl").read_bytes().splitlines())
    assert f"ffade: warning: {run / 'evaluations.jsonl'} line {lines}: cut short" in err
    assert to.is_file()


def test_export_of_a_run_that_did_not_finish_says_so(run_dir: Path, tmp_path: Path, capsys) -> None:
    """An interrupted run's slices are still exported, with a note that they are partial."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "interrupted"}))
    to = tmp_path / "s.yaml"
    assert main(["export", str(run), "--to", str(to), "--pairs", "4"]) == 0
    assert (
        f"ffade: note: {run} did not finish: its summary.json status is 'interrupted'; its "
        "figures cover the evaluations made so far"
    ) in capsys.readouterr().err.splitlines()
    assert to.is_file()


def test_an_interrupted_run_is_read_alike_by_report_export_and_feedback(
    run_dir: Path, tmp_path: Path, capsys
) -> None:
    """An interrupted run (Ctrl-C, SIGTERM) writes its final summary.json counting its log
    (seen by hand: 2,256 and 15,040 evaluations both ways), so the three commands note that it
    did not finish and warn of nothing; where its counts do differ (the log cut or edited
    since), each warns, and says which it counts, as only the report's warning did."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    summary = json.loads((run / "summary.json").read_text())
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions: []\n")
    answers = tmp_path / "answers.yaml"
    commands = {
        "the report": ["report", str(run), "--no-tensorboard", "--out", str(tmp_path / "r")],
        "the suite": ["export", str(run), "--to", str(tmp_path / "s.yaml"), "--pairs", "4"],
        "feedback": ["feedback", str(run), "--from", str(priorities), "--out", str(answers)],
    }
    note = (
        f"ffade: note: {run} did not finish: its summary.json status is 'interrupted'; its "
        "figures cover the evaluations made so far"
    )
    for claimed in (summary["evaluations"], summary["evaluations"] + 5):
        said = {**summary, "status": "interrupted", "evaluations": claimed}
        (run / "summary.json").write_text(json.dumps(said))
        for who, argv in commands.items():
            capsys.readouterr()
            code = main([*argv, *(["--redo"] if who == "feedback" else [])])
            assert code == 0, capsys.readouterr().err
            err = [line for line in capsys.readouterr().err.splitlines() if "ffade: " in line]
            warning = (
                f"ffade: warning: {run / 'summary.json'} says {claimed} evaluations but "
                f"{run / 'evaluations.jsonl'} holds {summary['evaluations']}; {who} counts the "
                "log's"
            )
            expected = [note] if claimed == summary["evaluations"] else [note, warning]
            assert err == expected, who


def test_check_never_imports_lightning(suite_path: Path) -> None:
    result, imported = python_m_ffade("check", "--suite", str(suite_path))
    assert result.returncode == 1, result.stderr[-2000:]
    assert not [m for m in imported if m.split(".")[0] in TRAINING_LIBRARIES]
    # a suite's cases are states, not regions to find: scipy.ndimage (about a second) waits
    assert "ffade.summarize.regions" in imported  # imported all the same (Region, options)
    assert not [m for m in imported if m.startswith("scipy.ndimage")]


def test_check_notes_a_package_whose_version_changed_since_export(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """A suite measured with another plugin or torch says so: a rate can move without the model.

    A new concept plugin that renders a state otherwise flipped a case with no word of why.
    The suite is named as one shell word, as errors name it (`my suites/x.yaml` was not).
    """
    data = yaml.safe_load(suite_path.read_text())
    assert data["source"]["packages"] == package_versions()  # export records what measured
    main(["check", "--suite", str(suite_path)])
    assert "note" not in capsys.readouterr().err  # nothing changed, nothing said
    data["source"]["packages"]["ffade"] = "0.0.1"
    data["source"]["packages"]["ffade-gone"] = "1.0"
    older = tmp_path / "my suites" / "older.yaml"
    older.parent.mkdir()
    older.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(older)]) == 1  # a note, not a verdict
    notes = [line for line in capsys.readouterr().err.splitlines() if "note" in line]
    now = package_versions()["ffade"]
    assert len(notes) == 1 and notes[0].startswith(f"ffade: note: '{older}' was measured")
    assert f"ffade 0.0.1 -> {now}, ffade-gone 1.0 -> not installed" in notes[0]


def test_a_target_under_a_folder_with_a_space_is_named_quoted(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """`--target '/tmp/my runs/...'` was named back unquoted (`--target /tmp/my runs/...`), as
    two words, and a word neither a file nor a spec in Python's repr; ffade's other errors and
    `next:` lines quote a path as a shell takes it."""
    folder = tmp_path / "my runs"
    folder.mkdir()
    (folder / "broken.json").write_text("{")
    for given, said in [
        (
            folder / "loop" / "mitigate",
            f"--target {shlex.quote(str(folder / 'loop' / 'mitigate'))}:",
        ),
        (folder / "broken.json", f"--target: {shlex.quote(str(folder / 'broken.json'))}"),
        ("42", "--target 42:"),  # neither a file nor a spec: as typed, not in Python's repr
    ]:
        assert main(["check", "--suite", str(suite_path), "--target", str(given)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"ffade: error: {said}"), err
        assert "\n" not in err


def test_a_target_path_that_is_not_there_says_so(suite_path: Path, tmp_path: Path, capsys) -> None:
    """A deleted fine-tune's folder was told to give a fine-tuner's run directory: it had."""
    gone = tmp_path / "loop" / "mitigate"
    assert main(["check", "--suite", str(suite_path), "--target", str(gone)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ffade: error: --target {gone}: no such file or directory; give")
    assert "\n" not in err


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("{name: synthetc}", "--target: unknown target 'synthetc' (did you mean 'synthetic'?)"),
        ("{name: synthetic, args: {bogus: 1}}", "--target: target 'synthetic' has no argument"),
    ],
)
def test_a_target_spec_that_cannot_be_built_names_target_not_the_suite(
    suite_path: Path, spec: str, says: str, capsys
) -> None:
    """The suite holds no such target: its path sent the user to look for the typo there."""
    assert main(["check", "--suite", str(suite_path), "--target", spec]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ffade: error: {says}") and "\n" not in err


def test_a_target_spec_at_odds_with_the_suite_names_target_not_the_suite(
    tmp_path: Path, capsys
) -> None:
    """`--target '{name: synthetic}'` on a digits suite: the reward's refusal of the target given
    started with the suite's path, which holds no such target."""
    suite = digits_suite(tmp_path)
    assert main(["check", "--suite", str(suite), "--target", "{name: synthetic}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "ffade: error: --target: reward 'misclassification' needs a classifier's class scores, "
        "but target 'synthetic' returns"
    )
    # the reward's advice ("choose a reward that ...") is no choice a check user has
    assert err.endswith(
        "; the suite's reward is fixed: give --target a model that returns a classifier's class "
        "scores, or check this one with a suite exported from a run of it"
    )
    assert "\n" not in err


def test_a_target_spec_without_args_is_its_defaults_and_says_so_beside_the_suites_own(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """A suite's task.target must say its args, but ``--target '{name: synthetic}'`` (the spec
    docs/gate.md tells a bare name to write) may leave them out: it is a model the user chose,
    built from its defaults as ``ffade fit`` builds it. Beside a suite whose target is that same
    plugin with a seed of its own, it silently checked seed 0, not the suite's seed 3; now a
    note says so and what to give instead."""
    suite = yaml.safe_load(suite_path.read_text())
    suite["task"]["target"] = {"name": "synthetic", "args": {"seed": 3}}
    seeded = tmp_path / "seeded.yaml"
    seeded.write_text(yaml.safe_dump(suite, sort_keys=False))
    main(["check", "--suite", str(seeded), "--target", "{name: synthetic}"])
    out, err = capsys.readouterr()
    assert (
        "ffade: note: --target '{name: synthetic}' gives no args, so target 'synthetic' is built "
        "from its defaults, not with the suite's task.target args {seed: 3}; to check the "
        "suite's target with an argument changed, leave --target out and give --target-arg "
        "KEY=VALUE\n"
    ) in err
    # the defaults, as typed with args: {} (no note: the defaults were asked for)
    main(["check", "--suite", str(seeded), "--target", "{name: synthetic, args: {}}"])
    explicit_out, explicit_err = capsys.readouterr()
    assert explicit_out == out and "note: --target" not in explicit_err
    # the suite's own target (seed 3) measures other pairs as failed than the defaults
    main(["check", "--suite", str(seeded)])
    assert capsys.readouterr().out != out


def test_a_threshold_of_minus_zero_is_zero(
    run_dir: Path, suite_path: Path, tmp_path: Path, capsys
) -> None:
    """`--max-failure-rate -0` wrote `-0.0` into the suite, and check showed `max -0.0%`."""
    to = tmp_path / "zero.yaml"
    assert (
        main(["export", str(run_dir), "--to", str(to), "--pairs", "2", "--max-failure-rate", "-0"])
        == 0
    )
    assert "max_failure_rate: 0.0" in to.read_text() and "-0.0" not in to.read_text()
    data = yaml.safe_load(suite_path.read_text())
    for case in data["cases"]:
        case["max_failure_rate"] = -0.0  # as a hand edit, or an older export, wrote it
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data))
    capsys.readouterr()
    main(["check", "--suite", str(edited)])
    out = capsys.readouterr().out
    assert "-0.0%" not in out and "  0.0%  " in out


def test_an_unknown_suite_key_exits_2(suite_path: Path, tmp_path: Path, capsys) -> None:
    data = yaml.safe_load(suite_path.read_text())
    data["sead"] = 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        "unknown key 'sead' (did you mean 'seed'?); allowed: format, task, source, seed, cases"
        in err
    )
    assert "\n" not in err


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"seed": "abc"}, "'seed' must be a whole number from 0, got 'abc'"),
        ({"seed": 1.5}, "'seed' must be a whole number from 0, got 1.5"),
        ({"seed": -1}, "'seed' must be a whole number from 0, got -1"),  # export takes none
        ({"source": "runs/x"}, ": source must be a mapping (run, explorer, seed, threshold"),
        # source passed whatever it held
        (
            {"source": {"rn": "runs/x"}},
            "source: unknown key 'rn' (did you mean 'run'?); allowed: run, explorer, seed",
        ),
        ({"source": {"slices": "rule"}}, "source.slices must be one of rules, regions, got 'rule'"),
        ({"source": {"threshold": "half"}}, "source.threshold must be null or a number in [0, 1]"),
        ({"source": {"seed": 1.5}}, "source.seed must be null or a whole number from 0, got 1.5"),
        ({"source": {"seed": -1}}, "source.seed must be null or a whole number from 0, got -1"),
        ({"source": {"run": 3}}, "source.run must be a string or null, got 3"),
        ({"source": {"packages": ["torch"]}}, "a mapping of distribution: version, got [torch]"),
        ({"seed": True}, "'seed' must be a whole number from 0, got true"),
        ({"source": {"packages": {"torch": 2.1}}}, "source.packages must be null or a mapping of"),
    ],
)
def test_a_malformed_suite_top_level_exits_2_with_one_line(
    suite_path: Path, tmp_path: Path, capsys, edit: dict, says: str
) -> None:
    """A malformed suite is bad input (exit 2), never a traceback that CI reads as exit 1."""
    data = yaml.safe_load(suite_path.read_text())
    data.update(edit)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ffade: error: {bad}: ") and says in err and "\n" not in err


def test_a_suite_without_seed_goal_or_conditions_takes_the_documented_defaults(
    suite_path: Path, tmp_path: Path
) -> None:
    """docs/gate.md: no `seed` is 0, a case without `goal` is `fix`, without `conditions` ''."""
    data = yaml.safe_load(suite_path.read_text())
    data.pop("seed")
    for case in data["cases"]:
        case.pop("goal")
        case.pop("conditions")
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(data))
    suite = read_suite(bare)
    assert suite.seed == 0
    assert {(case.goal, case.conditions) for case in suite.cases} == {("fix", "")}


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"target": None}, "task has no 'target'; it needs target, dataset, reward, concepts"),
        ({"dataset": "digits"}, "task.dataset must be a mapping {name: PLUGIN, args: {...}}"),
        (
            {"concpets": []},
            "task: unknown key 'concpets' (did you mean 'concepts'?); allowed: target, dataset",
        ),
        ({"mode": "sideways"}, "task.mode must be one of macroscopic, microscopic, got 'sideways'"),
        ({"reward": {"name": "margin", "args": [1]}}, "task.reward.args must be a mapping"),
        ({"concepts": ["axis"]}, "task.concepts[0] must be a mapping {name: PLUGIN"),
        ({"max_inputs": "all"}, "task.max_inputs must be null or a whole number, got 'all'"),
        (
            {"input_ids": [1, "two"]},
            "task.input_ids must be null or a list of input ids, got [1, two]",
        ),
        (
            {"dataset": ["digits"]},
            "task.dataset must be a mapping {name: PLUGIN, args: {...}}, got [digits]",
        ),
        ({"split": "heldout"}, "task.split must be discovery, got 'heldout': a suite's discovery"),
        ({"only_passing_inputs": "yes"}, "task.only_passing_inputs must be true or false"),
        # the discovery ids then indexed every input, not the ones the run searched: no error
        (
            {"only_passing_inputs": True, "input_ids": None},
            "task.only_passing_inputs is true but input_ids is null",
        ),
    ],
)
def test_a_malformed_suite_task_exits_2_with_one_line(
    suite_path: Path, tmp_path: Path, capsys, edit: dict, says: str
) -> None:
    """A hand-edited task (the one check rebuilds) is bad input: a missing or misspelled key was
    a KeyError or TypeError traceback, exit 1, which CI reads as a failing model."""
    data = yaml.safe_load(suite_path.read_text())
    data["task"].update(edit)
    data["task"] = {k: v for k, v in data["task"].items() if v is not None}  # None: key left out
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and "\n" not in err


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"reward": {"name": "marginn", "args": {}}}, "unknown reward 'marginn'"),
        ({"dataset": {"name": "synthetic", "args": {"bogus": 1}}}, "has no argument 'bogus'"),
        ({"concepts": [{"name": "axis", "args": {"index": 7}}]}, "index 7 is beyond"),
    ],
)
def test_a_task_that_cannot_be_built_names_the_suite_file(
    suite_path: Path, tmp_path: Path, capsys, edit: dict, says: str
) -> None:
    """A plugin the task names that cannot be built said only the plugin's complaint, not that
    it came from the suite (a CI job checks several); it starts with the file, as key errors do."""
    data = yaml.safe_load(suite_path.read_text())
    data["task"].update(edit)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["check", "--suite", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ffade: error: {bad}: ") and says in err and "\n" not in err


def test_export_refuses_a_feedback_file_made_for_another_run(
    run_dir: Path, tmp_path: Path, capsys
) -> None:
    """Another grid's feedback was a ValueError traceback; another run's on the same grid was
    exported as this run's slices. Both are one line, exit 2, as ``ffade fit`` refuses them."""
    for name, concepts, seed in (("two_axes", 2, 0), ("same_grid", 3, 1)):
        explorer = RandomExplorer(task=synthetic_spec(concepts), budget=600, num_envs=100)
        other = Path(discover(explorer, tmp_path / name, seed=seed).recorder.run_dir)
        feedback = tmp_path / f"{name}.yaml"
        made = ["--from", str(priorities(tmp_path)), "--out", str(feedback), "--no-examples"]
        assert main(["feedback", str(other), *made]) == 0
        capsys.readouterr()
        to = tmp_path / "s.yaml"
        assert main(["export", str(run_dir), "--to", str(to), "--feedback", str(feedback)]) == 2
        err = capsys.readouterr().err.strip()
        says = (
            f"its concepts are not the grid of run {run_dir} (axis2 only in the run)"
            if name == "two_axes"
            else f"--feedback {feedback} ranks the failures of run {other}, not of {run_dir}"
        )
        assert says in err and "\n" not in err and not to.exists()


def test_export_refuses_a_feedback_file_whose_concepts_were_reordered(
    run_dir: Path, tmp_path: Path, capsys
) -> None:
    """A feedback.yaml rewritten by a tool that sorts keys (``yaml.safe_dump``, ``yq``) keeps
    its states but lists the concepts in another order: the grids compared equal as dicts, so
    on a grid of equal sizes the states were exported as if they indexed the new order."""
    feedback = tmp_path / "feedback.yaml"
    made = ["--from", str(priorities(tmp_path)), "--out", str(feedback), "--no-examples"]
    assert main(["feedback", str(run_dir), *made]) == 0
    data = yaml.safe_load(feedback.read_text())
    order = list(data["concepts"])
    data["concepts"] = dict(reversed(list(data["concepts"].items())))
    feedback.write_text(yaml.safe_dump(data, sort_keys=False))
    capsys.readouterr()
    to = tmp_path / "s.yaml"
    assert main(["export", str(run_dir), "--to", str(to), "--feedback", str(feedback)]) == 2
    err = capsys.readouterr().err.strip()
    says = f"its concepts are in another order ({', '.join(reversed(order))}) than the grid"
    assert says in err and f"({', '.join(order)}), the order its states index" in err, err
    assert "\n" not in err and not to.exists()
    # ffade feedback, continuing the answers saved in a run's own feedback.yaml, reads it alike
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    data["run"] = str(copy)
    (copy / "feedback.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["feedback", str(copy), "--from", str(priorities(tmp_path)), "--no-examples"]) == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize("slices", ["rules", "regions"])
def test_export_cases_are_the_slices_report_finds(
    run_dir: Path, tmp_path: Path, slices: str
) -> None:
    args = ["--slices", slices] if slices == "regions" else []  # rules is the default
    assert main(["export", str(run_dir), "--to", str(tmp_path / "s.yaml"), *args]) == 0
    suite = read_suite(tmp_path / "s.yaml")
    _, found = load_regions(run_dir, slices=slices)
    assert [case.name for case in suite.cases] == [r.id for r in found]
    assert {case.name[:2] for case in suite.cases} == {"S-" if slices == "rules" else "R-"}
    assert suite.source["slices"] == slices


@pytest.mark.parametrize("slices", ["rules", "regions"])
def test_export_takes_a_feedback_file_of_the_slices_asked_for(
    run_dir: Path, tmp_path: Path, slices: str, capsys
) -> None:
    feedback = tmp_path / "feedback.yaml"
    args = ["--from", str(priorities(tmp_path)), "--out", str(feedback), "--no-examples"]
    assert main(["feedback", str(run_dir), *args, "--slices", slices]) == 0
    _, found = load_regions(run_dir, slices=slices)
    export = ["export", str(run_dir), "--feedback", str(feedback), "--pairs", "4"]
    assert main([*export, "--to", str(tmp_path / "s.yaml"), "--slices", slices]) == 0
    suite = read_suite(tmp_path / "s.yaml")
    assert [case.name for case in suite.cases] == [r.id for r in found]
    assert [case.goal for case in suite.cases] == ["fix"] + ["hold"] * (len(found) - 1)

    other = "regions" if slices == "rules" else "rules"
    capsys.readouterr()
    assert main([*export, "--to", str(tmp_path / "no.yaml"), "--slices", other]) == 2
    err = capsys.readouterr().err.strip()
    assert f"holds priorities for {slices}, not {other}: pass --slices {slices}" in err
    assert "\n" not in err and not (tmp_path / "no.yaml").exists()


def test_export_refusals_quote_the_commands_they_suggest(
    run_dir: Path, tmp_path: Path, capsys
) -> None:
    """A run under `my runs/` was named bare in the suggested `ffade feedback RUN ...`, and a
    priorities file bare after `--from`: pasted into bash, each became two arguments. The
    feedback file the refusal is about was bare too (`my runs/résumé é/feedback.yaml holds
    priorities for rules, not regions`)."""
    run = tmp_path / "my runs" / "résumé é"
    shutil.copytree(run_dir, run)
    given = tmp_path / "my priorities é.yaml"
    shutil.copy(priorities(tmp_path), given)
    assert main(["feedback", f"{run}/", "--from", str(given), "--no-examples"]) == 0
    capsys.readouterr()
    export = ["export", str(run), "--to", str(tmp_path / "s.yaml"), "--slices", "regions"]
    assert main(export) == 2
    err = capsys.readouterr().err.strip()
    saved = shlex.quote(str(run / "feedback.yaml"))
    assert err.startswith(f"ffade: error: {saved} holds priorities for rules, not regions"), err
    command = err.split("`")[1]
    expected = ["ffade", "feedback", str(run), "--slices", "regions", "--out", "FILE"]
    assert shlex.split(command) == expected, err
    assert main([*export[:4], "--feedback", str(given)]) == 2
    err = capsys.readouterr().err.strip()
    assert shlex.split(err.split("`")[1])[-2:] == ["--from", str(given)], err
    other, theirs = tmp_path / "my runs" / "autre é", tmp_path / "their feedback.yaml"
    shutil.copytree(run_dir, other)
    made = ["--from", str(given), "--out", str(theirs), "--no-examples"]
    assert main(["feedback", str(other), *made]) == 0
    capsys.readouterr()
    assert main([*export[:4], "--feedback", str(theirs)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"(ffade feedback {shlex.quote(str(run))})" in err, err
    assert main([*export[:4], "--feedback", str(run / "summary.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert f"which `ffade feedback {shlex.quote(str(run))}` writes" in err, err


def test_export_of_a_feedback_file_keeps_the_criterion_its_slices_were_found_at(
    run_dir: Path, tmp_path: Path, capsys
) -> None:
    feedback = tmp_path / "feedback.yaml"
    made = ["--from", str(priorities(tmp_path)), "--out", str(feedback), "--no-examples"]
    assert main(["feedback", str(run_dir), *made, "--threshold", "0.4"]) == 0
    export = ["export", str(run_dir), "--feedback", str(feedback), "--pairs", "4"]
    assert main([*export, "--to", str(tmp_path / "s.yaml")]) == 0
    assert read_suite(tmp_path / "s.yaml").source["threshold"] == 0.4  # the file's, not 0.5

    capsys.readouterr()
    for option, value in (("--threshold", "0.6"), ("--min-evaluations", "3")):
        assert main([*export, "--to", str(tmp_path / "no.yaml"), option, value]) == 2
        err = capsys.readouterr().err.strip()
        assert f"{option} {value}: {feedback} holds slices found at {option} " in err
        assert "\n" not in err and not (tmp_path / "no.yaml").exists()


def test_export_with_a_missing_feedback_file_exits_2(run_dir: Path, tmp_path: Path, capsys) -> None:
    to = tmp_path / "s.yaml"
    assert main(["export", str(run_dir), "--to", str(to), "--feedback", "nope.yaml"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--feedback: feedback file nope.yaml not found" in err and "\n" not in err
    assert not to.exists()


def test_export_with_a_feedback_directory_says_so(run_dir: Path, tmp_path: Path, capsys) -> None:
    """A directory given as --feedback was "not found", though it is there."""
    to, given = tmp_path / "s.yaml", tmp_path / "fb.yaml"
    given.mkdir()
    assert main(["export", str(run_dir), "--to", str(to), "--feedback", str(given)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"ffade: error: --feedback: feedback file {given} is a directory; give a " + (
        "YAML file"
    )
    assert not to.exists()


def test_export_of_a_summary_without_task_exits_2(run_dir: Path, tmp_path: Path, capsys) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    del summary["task"]
    broken = tmp_path / "run"
    broken.mkdir()
    (broken / "summary.json").write_text(json.dumps(summary))
    assert main(["export", str(broken), "--to", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{broken / 'summary.json'}: key 'task' is missing" in err and "\n" not in err


def test_export_refuses_a_run_that_searched_another_split(tmp_path: Path, capsys) -> None:
    """Its pairs were exported as the discovery split's inputs of the same ids (other inputs), and
    held-out pairs drawn from the very inputs a search of the heldout split saw."""
    task = dict(synthetic_spec(), split="heldout")
    explorer = RandomExplorer(task=task, budget=200, num_envs=100)
    run = Path(discover(explorer, tmp_path, seed=0).recorder.run_dir)
    to = tmp_path / "s.yaml"
    assert main(["export", str(run), "--to", str(to)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{run / 'summary.json'}: task.split must be discovery, got 'heldout'" in err
    assert "\n" not in err and not to.exists()


def test_export_of_a_fine_tune_says_what_it_is(run_dir: Path, tmp_path: Path, capsys) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    tune = tmp_path / "tune"  # what a fine-tune's summary.json holds: its name, its run, its task
    tune.mkdir()
    task = dict(summary["task"], split="finetune")
    (tune / "summary.json").write_text(
        json.dumps({"finetuner": "classifier", "run": str(run_dir), "task": task})
    )
    assert main(["export", str(tune), "--to", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{tune} is a fine-tune's run directory (mitigation.json), not a discovery run" in err
    assert f"give the run it fixed ({run_dir})" in err and "\n" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_target_that_cannot_run_here_exits_2_not_1(suite_path: Path, capsys) -> None:
    assert main(["check", "--suite", str(suite_path), "--target-arg", "device=cuda"]) == 2
    err = capsys.readouterr().err.strip()
    # the fix as a check's user types it (it said "set device: cpu", a key check has none of)
    # named as typed: it started with the suite's path, a file the user never touched
    assert err.startswith("ffade: error: --target-arg 'device=cuda': target '"), err
    assert "device 'cuda': this machine has 0 cuda device(s) torch can use; give " in err
    assert "give --target-arg device=cpu (or install a torch build for it)" in err
    assert "set device" not in err and "\n" not in err


@pytest.mark.gpu
def test_a_working_gpu_is_no_setup_error(suite_path: Path) -> None:
    # the guard must not fire where CUDA works: the same verdict as on the CPU
    assert main(["check", "--suite", str(suite_path), "--target-arg", "device=cuda"]) == 1


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("Found no NVIDIA driver on your system. Please check ...\nmore"),
        AssertionError("Torch not compiled with CUDA enabled"),
        RuntimeError("Error(s) in loading state_dict for DigitsCNN:\n\tsize mismatch ..."),
    ],
)
def test_setup_errors_become_one_line_with_their_first_line(error: Exception) -> None:
    with pytest.raises(FfadeError) as raised, target_setup_errors():
        raise error
    assert str(error).splitlines()[0] in str(raised.value) and "\n" not in str(raised.value)
    assert raised.value.__cause__ is error


@pytest.mark.parametrize(
    "error", [RuntimeError("mat1 and mat2 shapes cannot be multiplied"), AssertionError("x")]
)
def test_other_errors_stay_tracebacks(error: Exception) -> None:
    with pytest.raises(type(error)) as raised, target_setup_errors():
        raise error
    assert raised.value is error


class LeakySynthetic(SyntheticDataset):
    """A dataset plugin's mistake: held-out points that repeat discovery and fine-tuning ones."""

    def split(self, name: str) -> list:
        pairs = super().split(name)
        if name != "heldout":
            return pairs
        return super().split("discovery")[:2] + super().split("finetune")[:1] + pairs[3:]


def test_held_out_pairs_skip_inputs_the_search_or_a_fine_tune_saw(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaky = tmp_path / "run"
    shutil.copytree(run_dir, leaky)
    summary = json.loads((leaky / "summary.json").read_text())
    summary["task"]["dataset"]["name"] = "leaky_synthetic"
    (leaky / "summary.json").write_text(json.dumps(summary))
    size = len(LeakySynthetic(**summary["task"]["dataset"]["args"]).split("heldout"))
    register("dataset", "leaky_synthetic", LeakySynthetic)
    try:
        suite = export_suite(leaky, tmp_path / "suite.yaml", pairs_per_split=64)
    finally:
        unregister("dataset", "leaky_synthetic")
    heldout_ids = {row[0] for case in suite.cases for row in case.pairs["heldout"]}
    assert heldout_ids == set(range(3, size))
    assert (
        f"ffade: note: dataset 'leaky_synthetic': 3 of {size} held-out inputs are identical to "
        "discovery or fine-tuning inputs and are left out" in capsys.readouterr().err
    )


def test_held_out_pairs_of_an_only_passing_run_skip_inputs_failing_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # fragile inputs' boxes grow up to the unchanged position: some fail with nothing changed
    spec = synthetic_spec(num_concepts=2, num_inputs=16)
    spec["target"] = {"name": "synthetic", "args": {"regions": REGIONS_REACHING_NEUTRAL}}
    explorer = RandomExplorer(task={**spec, "only_passing_inputs": True}, budget=400, num_envs=50)
    run = Path(discover(explorer, tmp_path, seed=0).recorder.run_dir)
    tasks = split_tasks(read_summary(run)["task"])
    heldout = tasks["heldout"]
    failing = set(range(len(heldout.inputs))) - set(passing_ids(heldout, 64).tolist())
    assert 0 < len(failing) < len(heldout.inputs)

    suite = export_suite(run, tmp_path / "suite.yaml", pairs_per_split=256)
    drawn = {row[0] for case in suite.cases for row in case.pairs["heldout"]}
    assert drawn == set(range(len(heldout.inputs))) - failing
    kept = len(heldout.inputs) - len(failing)
    assert (
        f"ffade: note: task.only_passing_inputs: held-out pairs come from the {kept} of "
        f"{len(heldout.inputs)} held-out inputs" in capsys.readouterr().err
    )


class LazySplit(Sequence):
    """A split read one pair at a time, as a folder of photos is; it notes each position read."""

    def __init__(self, pairs: list, read: list[int]) -> None:
        self.pairs, self.read = pairs, read

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple:  # type: ignore[override]
        self.read.append(index)
        return self.pairs[index]


class LazySynthetic(SyntheticDataset):
    """The synthetic dataset with a held-out split read lazily."""

    read: ClassVar[list[int]] = []

    def split(self, name: str) -> Sequence:
        pairs = super().split(name)
        return LazySplit(pairs, LazySynthetic.read) if name == "heldout" else pairs


def test_check_reads_only_the_held_out_inputs_its_pairs_name(
    suite_path: Path, tmp_path: Path
) -> None:
    data = yaml.safe_load(suite_path.read_text())
    data["task"]["dataset"]["name"] = "lazy_synthetic"
    for case in data["cases"]:  # held-out inputs 1 and 3 of 4, each at a state of its own
        case["pairs"]["heldout"] = [[1, 0], [3, len(case["states"]) - 1]]
    edited = tmp_path / "suite.yaml"
    edited.write_text(yaml.safe_dump(data))
    LazySynthetic.read.clear()
    register("dataset", "lazy_synthetic", LazySynthetic)
    try:
        results = run_check(edited)
        assert sorted(set(LazySynthetic.read)) == [1, 3]  # not the whole split
        whole = split_tasks(read_suite(edited).task)["heldout"]  # read whole, as export does
    finally:
        unregister("dataset", "lazy_synthetic")
    space = whole.space
    for result in results:  # the verdicts of these pairs evaluated on the whole split
        ids, states = result.case.split_pairs("heldout", space)
        failed = Evaluator(whole, batch_size=64).evaluate(ids, states).failed
        assert result.per_split["heldout"] == (int(failed.sum()), 2)


class NanSynthetic(SyntheticTarget):
    """The synthetic target with no planted box (it would pass every case) but a NaN margin:
    the model a checkpoint whose training diverged gives."""

    def predict(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return super().predict(inputs) * float("nan")


NAN_TARGET = "{name: nan_synthetic, args: {regions: []}}"


def test_a_model_that_answers_nan_fails_every_case_not_passes(suite_path: Path, capsys) -> None:
    """A search leaves a NaN answer out as invalid; ffade check counted it as a pass, so a
    diverged checkpoint failed nowhere and passed the gate with exit 0."""
    register("target", "nan_synthetic", NanSynthetic)
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            code = main(["check", "--suite", str(suite_path), "--target", NAN_TARGET])
    finally:
        unregister("target", "nan_synthetic")
    cases = len(read_suite(suite_path).cases)
    assert code == 1 and f"0 of {cases} cases passed" in capsys.readouterr().out
    # the search's warning ("not as passes or failures") is untrue here, where NaN fails
    assert not [w for w in warned if "not as passes or failures" in str(w.message)]


def test_a_rejected_fix_given_as_target_says_the_original_is_checked(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """A rejected fine-tune's fixed_target is the original model: checking it is allowed, but
    the user who meant to check the fix hears that it is not there."""
    original = read_suite(suite_path).task["target"]
    verdict = {
        "accepted": False,
        "reason": "clean accuracy fell 60 points",
        "fixed_target": original,
    }
    (tmp_path / "mitigation.json").write_text(json.dumps(verdict))
    code = main(["check", "--suite", str(suite_path), "--target", str(tmp_path)])
    assert code in (0, 1)
    err = capsys.readouterr().err
    assert (
        f"ffade: note: --target {tmp_path}: that fix was rejected (clean accuracy fell 60 "
        "points), so this checks the original model" in err
    )
    verdict["accepted"] = True
    (tmp_path / "mitigation.json").write_text(json.dumps(verdict))
    assert main(["check", "--suite", str(suite_path), "--target", str(tmp_path)]) == code
    assert "rejected" not in capsys.readouterr().err


def test_a_folder_inside_a_fine_tune_points_to_its_run_directory(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """`--target RUN/lora` (the LoRA weights' folder) names the run directory to give instead."""
    (tmp_path / "mitigation.json").write_text("{}")
    (tmp_path / "lora").mkdir()
    assert main(["check", "--suite", str(suite_path), "--target", str(tmp_path / "lora")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"ffade: error: --target {tmp_path / 'lora'}: the fine-tune's verdict is one folder up; "
        f"give its run directory: --target {tmp_path}"
    )


class TerminatedSynthetic(SyntheticTarget):
    """The synthetic target, whose first forward pass gets a scheduler's SIGTERM (a CI timeout)."""

    def predict(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        os.kill(os.getpid(), signal.SIGTERM)
        return super().predict(inputs)


def test_check_stopped_by_sigterm_says_so_and_keeps_the_last_junit(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    """SIGTERM ended ffade check on the spot: no line, and a status a shell reads as 143; it now
    ends as Ctrl-C does (``ffade: interrupted``, exit 130), and the JUnit file is the last one."""
    xml = tmp_path / "check.xml"
    xml.write_text("<testsuites/>")

    def unhandled(signum: int, frame: object) -> None:  # not Python's default: it ends pytest
        raise AssertionError("SIGTERM reached the handler ffade check started with")

    register("target", "terminated_synthetic", TerminatedSynthetic)
    before = signal.signal(signal.SIGTERM, unhandled)
    try:
        target = "{name: terminated_synthetic, args: {}}"
        code = main(["check", "--suite", str(suite_path), "--target", target, "--junit", str(xml)])
        assert signal.getsignal(signal.SIGTERM) is unhandled  # the command's own is gone
    finally:
        signal.signal(signal.SIGTERM, before)
        unregister("target", "terminated_synthetic")
    assert code == 130 and capsys.readouterr().err.splitlines()[-1] == "ffade: interrupted"
    assert xml.read_text() == "<testsuites/>" and sorted(tmp_path.iterdir()) == [xml]


def test_check_quotes_the_target_it_suggests(suite_path: Path, tmp_path: Path, capsys) -> None:
    """`--target` at a loop's folder, a fine-tune's `lora/` or a weights file under `my runs/`
    suggested `--target my runs/.../mitigate`: pasted into bash, two arguments."""
    loop = tmp_path / "my runs" / "loop é" / "version_0"
    (loop / "mitigate" / "lora").mkdir(parents=True)
    (loop / "mitigate" / "mitigation.json").write_text("{}")
    weights = tmp_path / "my runs" / "model é.pt"
    weights.write_bytes(b"")
    for given, suggested in (
        (loop, ["--target", str(loop / "mitigate")]),
        (loop / "mitigate" / "lora", ["--target", str(loop / "mitigate")]),
        (weights, ["--target-arg", f"weights={weights}"]),
    ):
        assert main(["check", "--suite", str(suite_path), "--target", str(given)]) == 2
        err = capsys.readouterr().err.strip()
        assert shlex.split(err.rsplit(": ", 1)[1]) == suggested, err


def test_a_target_arg_given_twice_is_refused(suite_path: Path, capsys) -> None:
    """`--target-arg weights=a.pt --target-arg weights=b.pt` checked b.pt alone, silently, under
    a JUnit suite named for both."""
    args = ["--target-arg", "weights=a.pt", "--target-arg", "weights=b.pt"]
    assert main(["check", "--suite", str(suite_path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "--target-arg weights is given twice" in err and "\n" not in err


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["check", "--suite", ""], "--suite"),
        (["check", "--suite", "{suite}", "--junit", ""], "--junit"),
        (["export", "", "--to", "{tmp}/s.yaml"], "RUN_DIR"),
        (["export", "{run}", "--to", ""], "--to"),
    ],
)
def test_an_empty_path_is_said_as_empty(
    args: list[str], option: str, suite_path: Path, run_dir: Path, tmp_path: Path, capsys
) -> None:
    """`--junit "$REPORT"` with the variable unset read as the working directory: "--junit .: a
    directory is there", "summary.json not found: is '.' an ffade run directory?"."""
    paths = {"suite": suite_path, "run": run_dir, "tmp": tmp_path}
    with pytest.raises(SystemExit) as exit_:  # argparse's refusal; the console script's status
        main([arg.format(**paths) for arg in args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ffade: error: argument {option}: an empty path") and "\n" not in err


def test_a_failing_case_without_conditions_has_a_plain_failure_text() -> None:
    """A hand-written case with no `conditions` failed with ": failure rate ..." as its text."""
    case = Case("by-hand", "", [{}], {"heldout": [[0, 0], [1, 0]]}, 0.0)
    result = CaseResult(case, pairs=2, failures=1, per_split={"heldout": (1, 2)})
    failure = junit_xml([result], "ffade.suite", 1.0).getroot().find("./testsuite/testcase/failure")
    assert failure.text == "failure rate 50.0% > max 0.0% (1 of 2 pairs)"


def test_a_rate_just_over_its_maximum_is_shown_with_the_decimals_that_tell_them_apart() -> None:
    """461 of 1,200 (38.42%) against a maximum of 38.36% read "38.4% > max 38.4%"."""
    case = Case("close", "x >= 1", [{}], {"heldout": [[0, 0]]}, 0.3836)
    result = CaseResult(case, pairs=1200, failures=461, per_split={"heldout": (461, 1200)})
    assert not result.passed
    failure = junit_xml([result], "ffade.suite", 1.0).getroot().find("./testsuite/testcase/failure")
    assert failure.text == "x >= 1: failure rate 38.42% > max 38.36% (461 of 1200 pairs)"
    assert result.shown_rates() == ("38.42%", "38.36%")
    level = CaseResult(case, pairs=10000, failures=3836, per_split={"heldout": (3836, 10000)})
    assert level.passed and level.shown_rates() == ("38.4%", "38.4%")  # equal: one decimal


def test_junit_holds_odd_names_as_typed_and_stays_valid_xml(tmp_path: Path) -> None:
    """Names with XML's special characters are escaped; a control character (which XML 1.0
    cannot hold even escaped) made a report no CI parser read: it is written as \\x1b."""
    import xml.etree.ElementTree as ET

    from ffade.gate.junit import write_junit

    where = "rot|a *b* <b>x</b> & `y` >= -5 and blur \u4e2d\u6587 = 1e-09 and \x1b[1mc\x1b[0m = 0"
    case = Case("S-1 <&> \x0c", where, [{}], {"heldout": [[0, 0], [1, 0]]}, 0.0)
    result = CaseResult(case, pairs=2, failures=1, per_split={"heldout": (1, 2)})
    path = write_junit([result], tmp_path / "j.xml", "ffade.-suite \u00e9", 1.0)
    testcase = ET.parse(path).getroot().find("./testsuite/testcase")
    assert testcase.get("name") == "S-1 <&> \\x0c"
    assert testcase.get("classname") == "ffade.-suite \u00e9"
    shown = where.replace("\x1b", "\\x1b")
    assert testcase.find("./properties/property[@name='conditions']").get("value") == shown
    assert testcase.find("failure").text.startswith(f"{shown}: failure rate 50.0%")


def test_a_check_whose_reader_is_gone_still_fails_and_writes_its_junit(
    suite_path: Path, tmp_path: Path
) -> None:
    """``ffade check ... --junit r.xml | head -0`` (the reader gone before the table): the
    table's BrokenPipeError reached ffade's answer to ``ffade plugins | head -1``, exit 0, though
    cases failed, and the JUnit file was never written. The verdict is the exit status."""
    xml = tmp_path / "check.xml"
    result = ffade_reader_gone("check", "--suite", str(suite_path), "--junit", str(xml))
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
    assert ET.parse(xml).getroot().get("failures") not in (None, "0")


@pytest.mark.parametrize("typed", ["synthetic", "ffade_synthetic.target:SyntheticTarget"])
def test_a_bare_plugin_name_as_target_says_how_to_write_the_spec(
    suite_path: Path, typed: str, capsys
) -> None:
    """``--target digits_cnn`` was told to give "a target spec such as '{name: digits_cnn...}'",
    and ``--target module:Class`` that no such file exists: neither said what to type."""
    assert main(["check", "--suite", str(suite_path), "--target", typed]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ffade: error: --target {typed}: no file or directory of that name")
    assert f"write --target '{{name: {typed}}}'" in err
    assert "\n" not in err
