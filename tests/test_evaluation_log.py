"""A large evaluations.jsonl is read on a progress bar, and once per report, feedback or export."""

import io
import re
import sys
from pathlib import Path

import pytest

from ffade import evaluation_log
from ffade.evaluation_log import logged_records, one_read_per_log
from ffade.records import EVALUATIONS_FILE, read_numbered_evaluations
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
    records = list(logged_records(finished))  # outside a command: streamed, kept nowhere
    assert "\r" in terminal.getvalue() and "reading evaluations.jsonl" in terminal.getvalue()
    assert records == list(read_numbered_evaluations(finished))


def test_one_read_per_log_until_the_log_changes(tmp_path: Path, finished: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    lines = (finished / EVALUATIONS_FILE).read_bytes().splitlines(keepends=True)
    (run / EVALUATIONS_FILE).write_bytes(b"".join(lines[:-1]) + b"{not a record\n")
    assert logged_records(run) is not logged_records(run)  # outside: each read reads
    with one_read_per_log():
        first_damage: list[str] = []
        first = logged_records(run, first_damage)
        again_damage: list[str] = []
        assert logged_records(run, again_damage) is first
        assert again_damage == first_damage and len(first_damage) == 1  # said to each reader
        with open(run / EVALUATIONS_FILE, "ab") as log:
            log.write(lines[-1])
        grown = logged_records(run)
        assert grown is not first and len(grown) == len(first) + 1
