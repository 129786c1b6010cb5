"""A suite of many cases, as a run of many small regions gives: every region a case, and a check
table that lists the failures and counts the passes, as the report caps its tables.

Seen on a 20-concept synthetic run: ``ffade feedback --from`` (one region high, ``default:
skip``) answered 831 regions, export made 831 cases and ``ffade check`` printed 833 lines, its
one failure somewhere among them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.gate.suite import read_suite
from ffade.shown_rows import MAX_TABLE_ROWS

AXES = 12
"""Binary axes: 2,048 failing states (axis 0 at 1), few of them sampled, so few touch."""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random search whose failing states are mostly isolated: dozens of one-state regions."""
    task = {
        "target": {"name": "synthetic", "args": {"regions": [{0: [0.5, 1.0]}]}},
        "dataset": {"name": "synthetic", "args": {"num_inputs": 16, "num_axes": AXES}},
        "reward": {"name": "margin"},
        "concepts": [{"name": "axis", "args": {"index": i, "values": [0, 1]}} for i in range(AXES)],
        "mode": "macroscopic",
    }
    explorer = RandomExplorer(task=task, budget=150, num_envs=50)
    return Path(discover(explorer, tmp_path_factory.mktemp("many"), seed=0).recorder.run_dir)


@pytest.fixture(scope="module")
def suite_path(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite as typed after ``ffade feedback --from`` ranked one region and skipped the rest."""
    tmp = tmp_path_factory.mktemp("suite")
    priorities = tmp / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\ndefault: skip\n")
    args = ["--slices", "regions", "--from", str(priorities), "--no-examples"]
    assert main(["feedback", str(run_dir), *args]) == 0
    path = tmp / "suite.yaml"
    assert (
        main(["export", str(run_dir), "--slices", "regions", "--to", str(path), "--pairs", "4"])
        == 0
    )
    return path


def test_every_answered_region_becomes_a_case_skipped_ones_as_hold(
    run_dir: Path, suite_path: Path
) -> None:
    """docs/gate.md: a feedback file's slices and priorities are used, a skipped one as ``hold``,
    regions too few to judge included (report.json lists every region)."""
    answered = yaml.safe_load((run_dir / "feedback.yaml").read_text())["regions"]
    suite = read_suite(suite_path)
    assert len(answered) > 2 * MAX_TABLE_ROWS  # the case this file is about
    assert [case.name for case in suite.cases] == [entry["id"] for entry in answered]
    assert [case.goal for case in suite.cases] == ["fix"] + ["hold"] * (len(answered) - 1)


def test_check_lists_the_failure_and_counts_the_passes(suite_path: Path, capsys) -> None:
    cases = len(read_suite(suite_path).cases)
    assert main(["check", "--suite", str(suite_path)]) == 1  # the original fails its fix case
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["case", "goal", "pairs", "failed", "rate", "max", "result", "where"]
    rows = lines[1:-2]
    assert len(rows) == MAX_TABLE_ROWS
    assert rows[0].split()[1:2] == ["fix"] and " FAIL " in rows[0]
    assert all(" pass " in row for row in rows[1:])
    left_out = cases - MAX_TABLE_ROWS
    assert lines[-2] == f"... {left_out} more passing cases: --junit FILE.xml lists every case"
    assert lines[-1] == f"{cases - 1} of {cases} cases passed"


def test_the_junit_file_named_in_the_table_holds_every_case(
    suite_path: Path, tmp_path: Path, capsys
) -> None:
    junit = tmp_path / "check.xml"
    assert main(["check", "--suite", str(suite_path), "--junit", str(junit)]) == 1
    cases = len(read_suite(suite_path).cases)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == f"... {cases - MAX_TABLE_ROWS} more passing cases: {junit} lists every case"
    assert len(ET.parse(junit).getroot().findall(".//testcase")) == cases


def test_every_failing_case_is_listed_however_many(run_dir: Path, tmp_path: Path, capsys) -> None:
    """Failures are what a user acts on: none is hidden behind the cap, in the suite's order."""
    suite_path = tmp_path / "strict.yaml"
    args = ["--slices", "regions", "--to", str(suite_path), "--pairs", "4"]
    assert main(["export", str(run_dir), *args, "--max-failure-rate", "0"]) == 0
    capsys.readouterr()
    names = [case.name for case in read_suite(suite_path).cases]
    assert main(["check", "--suite", str(suite_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == names  # each fails: each listed
    assert all(" FAIL " in line for line in lines[1:-1])
    assert lines[-1] == f"0 of {len(names)} cases passed"


def test_a_suite_of_up_to_the_cap_is_listed_whole(suite_path: Path, tmp_path: Path, capsys) -> None:
    suite = yaml.safe_load(suite_path.read_text())
    suite["cases"] = suite["cases"][:MAX_TABLE_ROWS]
    short = tmp_path / "short.yaml"
    short.write_text(yaml.safe_dump(suite, sort_keys=False))
    assert main(["check", "--suite", str(short)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == [c["name"] for c in suite["cases"]]
    assert lines[-1] == f"{MAX_TABLE_ROWS - 1} of {MAX_TABLE_ROWS} cases passed"


@pytest.mark.parametrize("command", ["export", "check"])
def test_help_says_which_slices_become_cases_and_what_the_table_shows(command: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    if command == "export":
        assert "every slice found, or each slice its feedback file answers" in text
        assert "skipped ones as hold cases" in text
    else:
        assert f"a suite of more than {MAX_TABLE_ROWS} shows every failing case" in text
        assert f"up to {MAX_TABLE_ROWS} rows, and counts the rest" in text
        assert "(--junit lists every case)" in text
