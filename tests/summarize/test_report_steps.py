"""``ffade report``'s steps after a large log's read: on a bar, and the same files."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from ffade import evaluation_log
from ffade.summarize.report_steps import ReportSteps
from tests.helpers import ffade_in_process


def test_a_large_logs_report_names_its_steps_and_writes_the_same_files(
    finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # on a 100,000-state grid the command was silent for 5-10 s after the log's bar
    quiet = ffade_in_process("report", str(finished), "--out", str(tmp_path / "a"))
    assert quiet.returncode == 0 and "writing the report" not in quiet.stderr, quiet.stderr
    monkeypatch.setattr(evaluation_log, "LARGE_LOG_BYTES", 1)
    shown = ffade_in_process("report", str(finished), "--out", str(tmp_path / "b"))
    assert shown.returncode == 0, shown.stderr
    assert "\r" not in shown.stderr  # captured, no terminal: one line when it ends
    lines = [line for line in shown.stderr.splitlines() if line.startswith("writing the report")]
    assert len(lines) == 1 and lines[0].startswith("writing the report: 5/5 steps ["), lines
    assert lines[0].endswith(", done"), lines
    assert shown.stdout == quiet.stdout.replace(str(tmp_path / "a"), str(tmp_path / "b"))
    for name in ("report.json", "report.md", "figures/failure_rate.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_comparison_is_a_step_of_its_own(
    finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Wasserstein distances (seconds on a 10^6-state grid, POT's import included) ran
    under the "rules and regions" step; they are a step of their own."""
    monkeypatch.setattr(evaluation_log, "LARGE_LOG_BYTES", 1)
    out = str(tmp_path / "c")
    shown = ffade_in_process("report", str(finished), "--out", out, "--compare", str(finished))
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stderr.splitlines() if line.startswith("writing the report")]
    assert len(lines) == 1 and lines[0].startswith("writing the report: 6/6 steps ["), lines


def test_a_refused_report_leaves_no_half_bar_above_its_error(
    finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluation_log, "LARGE_LOG_BYTES", 1)
    missing = tmp_path / "missing"
    done = ffade_in_process(
        "report", str(finished), "--out", str(tmp_path / "r"), "--compare", str(missing)
    )
    assert done.returncode == 2
    assert "writing the report" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("ffade: error: "), done.stderr


def test_on_a_terminal_the_bar_names_each_step(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with ReportSteps(2, shown=True) as steps:
        steps.step("pictures")
        steps.step("report.json")
    drawn = terminal.getvalue()
    assert "\r" in drawn and "pictures" in drawn and "report.json" in drawn
    assert "2/2 steps" in drawn
    with ReportSteps(2, shown=False) as steps:  # a small log's report
        steps.step("pictures")
    assert terminal.getvalue() == drawn
