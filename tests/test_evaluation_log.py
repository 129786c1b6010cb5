"""A large evaluations.jsonl is read on a progress bar, and once per report, feedback or export."""

import io
import json
import os
import re
import shutil
import sys
import tracemalloc
from pathlib import Path

import pytest

from ffade import evaluation_log
from ffade.evaluation_log import logged_table, one_read_per_log
from ffade.records import EVALUATIONS_FILE, SUMMARY_FILE, read_numbered_evaluations
from ffade.summarize.landscape import load_landscape
from tests.helpers import ffade_in_process


def test_a_large_logs_read_is_one_bar_line_at_its_end_in_a_file(
    finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stderr captured (no terminal): the bar draws nothing while it runs, one line when done;
    the log is read once for the landscape and the log's counts, so one bar, not two."""
    monkeypatch.setattr(evaluation_log, "LARGE_LOG_BYTES", 1)
    done = ffade_in_process("report", str(finished), "--out", str(tmp_path), "--no-tensorboard")
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    bars = [line for line in done.stderr.splitlines() if line.startswith("reading evaluations")]
    size = (finished / EVALUATIONS_FILE).stat().st_size  # about 7 KiB, counted in bytes
    assert len(bars) == 1 and bars[0].startswith("reading evaluations.jsonl: 100%|"), done.stderr
    counted = re.search(r" ([0-9.]+)k/([0-9.]+)k \[", bars[0])
    assert counted and counted[1] == counted[2], bars
    assert float(counted[2]) == pytest.approx(size / 1024, abs=0.01), (bars, size)


def test_a_feedback_from_a_file_reads_a_large_log_once(
    finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its slices, the log's counts and the pictures' worst failures: one read, one bar line."""
    monkeypatch.setattr(evaluation_log, "LARGE_LOG_BYTES", 1)
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions: []\ndefault: skip\n")
    out = tmp_path / "feedback.yaml"
    done = ffade_in_process(
        "feedback", str(finished), "--from", str(priorities), "--out", str(out), "--slices",
        "regions",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("reading evaluations.jsonl: 100%") == 1, done.stderr


def test_a_small_logs_read_prints_no_bar(finished: Path, tmp_path: Path) -> None:
    done = ffade_in_process("report", str(finished), "--out", str(tmp_path), "--no-tensorboard")
    assert done.returncode == 0 and "reading" not in done.stderr, done.stderr


def test_on_a_terminal_the_bar_redraws(finished: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(evaluation_log, "LARGE_LOG_BYTES", 1)
    monkeypatch.setattr(sys, "stderr", terminal)
    table = logged_table(finished)  # outside a command: read, kept nowhere
    assert "\r" in terminal.getvalue() and "reading evaluations.jsonl" in terminal.getvalue()
    records = list(read_numbered_evaluations(finished))
    assert table.lines.tolist() == [line for line, _ in records]
    assert [table.state(row) for row in range(len(table))] == [r.state for _, r in records]


def test_a_commands_read_of_a_log_keeps_under_100_bytes_an_evaluation(
    tmp_path: Path, finished: Path
) -> None:
    """A report holds its logs for the whole command: kept as records (about 700 bytes each) a
    10^6-evaluation run's report peaked at 0.97 GB, and one compared with a 400,000 at 1.4 GB.
    Here 20,000 evaluations of three concepts stay under 2 MB while the command holds them."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(finished / SUMMARY_FILE, run / SUMMARY_FILE)
    lines = (finished / EVALUATIONS_FILE).read_bytes().splitlines(keepends=True)
    (run / EVALUATIONS_FILE).write_bytes(b"".join(lines * (20_000 // len(lines))))
    with one_read_per_log():
        tracemalloc.start()
        try:
            landscape = load_landscape(run)
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert landscape.visited_evaluations.sum() == 20_000 // len(lines) * len(lines)
        assert held < 100 * 20_000, held


def test_one_read_per_log_even_as_a_live_log_grows(tmp_path: Path, finished: Path) -> None:
    """A live run's log grows while a command reads it: the first read serves every reader, so
    a report's landscape and its log counts are of the same evaluations; a log replaced is
    read again."""
    run = tmp_path / "run"
    run.mkdir()
    lines = (finished / EVALUATIONS_FILE).read_bytes().splitlines(keepends=True)
    (run / EVALUATIONS_FILE).write_bytes(b"".join(lines[:-1]) + b"{not a record\n")
    assert logged_table(run) is not logged_table(run)  # outside: each read reads
    with one_read_per_log():
        first_damage: list[str] = []
        first = logged_table(run, first_damage)
        again_damage: list[str] = []
        assert logged_table(run, again_damage) is first
        assert again_damage == first_damage and len(first_damage) == 1  # said to each reader
        with open(run / EVALUATIONS_FILE, "ab") as log:
            log.write(lines[-1])
        assert logged_table(run) is first  # grown: the command's snapshot stands
        replaced = tmp_path / "replaced.jsonl"
        replaced.write_bytes(b"".join(lines))
        os.replace(replaced, run / EVALUATIONS_FILE)
        again = logged_table(run)
        assert again is not first and len(again) == len(first) + 1
    assert len(logged_table(run)) == len(first) + 1  # outside: the file as it is now


def test_a_report_on_a_live_run_counts_the_evaluations_its_landscape_holds(
    tmp_path: Path, finished: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evaluations logged after the report read the landscape (a live run's next step) do not
    enter its counts: the Run table said 1632 evaluations beside 781 states evaluated, read from
    1603 lines."""
    from ffade.summarize import report as report_module

    run = tmp_path / "live"
    shutil.copytree(finished, run, ignore=shutil.ignore_patterns("checkpoints"))
    summary = json.loads((run / SUMMARY_FILE).read_text())
    (run / SUMMARY_FILE).write_text(json.dumps({**summary, "status": "running"}))
    log = run / EVALUATIONS_FILE
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:24]))
    read_landscape = report_module.load_landscape

    def then_the_run_logs_more(run_dir: Path):  # the live run's next step, right after
        landscape = read_landscape(run_dir)
        with open(log, "ab") as more:
            more.write(b"".join(lines[24:]))
        return landscape

    monkeypatch.setattr(report_module, "load_landscape", then_the_run_logs_more)
    done = ffade_in_process("report", str(run), "--out", str(tmp_path / "r"), "--no-tensorboard")
    assert done.returncode == 0, done.stderr
    figures = json.loads((tmp_path / "r" / "report.json").read_text())["run_figures"]
    assert len(lines) > 24 and figures["evaluations"] == 24, figures
    states = {tuple(json.loads(line)["state"]) for line in lines[:24]}
    assert figures["states_evaluated"] == len(states), figures
