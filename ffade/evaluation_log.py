"""A run's evaluations.jsonl read on a progress bar, read once per command, and checked
against its summary (the counts a live summary trails, the problems a report lists).

A large log takes seconds to read (100,000 evaluations: about a second), and ``ffade report``,
``ffade feedback`` and ``ffade export`` each need it more than once: for the landscape, for the
log's counts beside the summary's and (feedback) for the worst failures pictured. Inside
:func:`one_read_per_log` (those commands' work, ``ffade loop``'s report, and in the Python API
``ffade.report`` and the priorities ``ffade.mitigate`` applies), a log read once is handed to
every later reader of the same file, even one that grew meanwhile (a live run's), so the parts
of a report count the same evaluations; outside it every read reads the file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ffade.log_bars import bar_for
from ffade.log_table import LogTable, log_table
from ffade.record_lines import EvaluationRecord
from ffade.records import (
    EVALUATIONS_FILE,
    LIVE_STATUSES,
    SUMMARY_FILE,
    read_numbered_evaluations,
    read_summary,
)
from ffade.shell_words import shell_path
from ffade.summary_reads import one_summary_read

LARGE_LOG_BYTES = 8 * 2**20
"""A log from this size (about 39,000 of the quickstart's evaluations, 215 bytes a line; 47,000
of the synthetic task's, 175 to 180) is read on a progress bar on stderr; a smaller one reads in
a fraction of a second, where a bar would be clutter."""

_shared: dict[tuple, tuple[LogTable, list[str]]] | None = None


@contextmanager
def one_read_per_log() -> Iterator[None]:
    """While it lasts, :func:`logged_table` reads each log once: a log that grows meanwhile (a
    live run's) is not read again, so every reader counts the same evaluations; one replaced or
    cut shorter is."""
    global _shared
    outer = _shared
    _shared = {} if outer is None else outer
    try:
        with one_summary_read():  # and its summary, read before it: said as of the same moment
            yield
    finally:
        _shared = outer


def logged_table(run_dir: str | Path, damaged: list[str] | None = None) -> LogTable:
    """A run's records as a :class:`ffade.log_table.LogTable`, read as
    :func:`ffade.records.read_numbered_evaluations` reads them (the same errors, the same
    ``damaged`` sentences), on a bar when the log is large (:data:`LARGE_LOG_BYTES`): tqdm's own
    on a terminal, one line at the end elsewhere. Outside :func:`one_read_per_log` each call
    reads the file; inside it the first read's table is handed to every later call."""
    path = Path(run_dir) / EVALUATIONS_FILE
    key = _file_key(path)
    if _shared is None or key is None:
        return log_table(_read(run_dir, 0 if key is None else key[-2], damaged))
    # a live run's log grows while a command reads it: the first read stands for the whole
    # command, so the landscape and the log's counts are of the same evaluations
    same = [k for k in _shared if k[:3] == key[:3] and k[3] <= key[3]]
    key = same[0] if same else key
    if key not in _shared:
        found: list[str] = []
        _shared[key] = (log_table(_read(run_dir, key[-2], found)), found)
    table, found = _shared[key]
    if damaged is not None:
        damaged.extend(found)
    return table


def is_large_log(run_dir: str | Path) -> bool:
    """Whether a run's log is read on a bar (:data:`LARGE_LOG_BYTES`): then so is what a
    command does with it after, which takes seconds too."""
    key = _file_key(Path(run_dir) / EVALUATIONS_FILE)
    return key is not None and key[-2] >= LARGE_LOG_BYTES


def _file_key(path: Path) -> tuple | None:
    """What tells a log apart from itself rewritten or grown; None when it is no file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (os.path.realpath(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _read(
    run_dir: str | Path, size: int, damaged: list[str] | None
) -> Iterator[tuple[int, EvaluationRecord]]:
    if size < LARGE_LOG_BYTES:
        yield from read_numbered_evaluations(run_dir, damaged)
        return
    with bar_for(
        sys.stderr,
        total=size,
        desc=f"reading {EVALUATIONS_FILE}",
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        dynamic_ncols=True,
    ) as bar:
        yield from read_numbered_evaluations(run_dir, damaged, bar.update)


def log_counts(
    run_dir: str | Path, damaged: list[str] | None = None, distinct: bool = True
) -> dict[str, int]:
    """The counts summary.json keeps, recounted from the log (which a live summary trails);
    ``distinct`` adds the failing pairs and states, which cost a set of each."""
    table = logged_table(run_dir, damaged)
    counts = {
        "evaluations": len(table),
        "failures": int(table.failed.sum()),
        "invalid": int(table.invalid.sum()),
    }
    if distinct:
        counts["distinct_failure_states"] = _distinct(table, with_input=True)
        counts["failing_concept_states"] = _distinct(table, with_input=False)
    return counts


def _distinct(table: LogTable, with_input: bool) -> int:
    """Distinct failing (input, state) pairs, or failing states, of a log's table."""
    failing = table.failed.copy()
    odd = [row for row in table.odd if failing[row]]
    failing[list(table.odd)] = False
    rows = table.states[failing]
    if with_input:
        rows = np.column_stack([table.input_ids[failing], rows])
    if not odd:  # the usual log: counted in arrays, whatever its size
        return int(np.unique(rows, axis=0).shape[0]) if rows.shape[0] else 0
    key = (lambda row: (table.input_id(row), *table.state(row))) if with_input else None
    seen = set(map(tuple, np.unique(rows, axis=0).tolist())) if rows.shape[0] else set()
    return len(seen | {key(row) if key else tuple(table.state(row)) for row in odd})


def report_summary(run_dir: str | Path) -> tuple[dict[str, Any], list[str]]:
    """A run's summary.json with the counts its log holds wherever the two differ, and the
    log's problems (:func:`log_problems`), as ``ffade report`` shows them.

    A live summary trails its log (a report on a killed run must not say 0 evaluations where
    its log holds 1,488); a final one whose counts are not the log's (a log cut short) would
    have put summary.json's 186 evaluations beside a failure rate and grid coverage counted
    over the 46 the log holds. The report counts what it reads; the warning names the claim.
    """
    summary = read_summary(run_dir)
    damaged, differ = _log_checks(run_dir, summary)
    if differ or summary.get("status") in LIVE_STATUSES:
        summary.update(log_counts(run_dir))
    return summary, damaged + [f"{said}; the report counts the log's" for said in differ]


def log_problems(run_dir: str | Path, summary: dict[str, Any], counts: str) -> list[str]:
    """What is wrong between a run's log and its summary: damaged lines, counts that differ,
    each of the latter ending with ``counts``, which of the two the command goes by (``ffade
    report``'s "the report counts the log's": export and feedback said only that they
    differ)."""
    damaged, differ = _log_checks(run_dir, summary)
    return damaged + [f"{said}; {counts}" for said in differ]


def _log_checks(run_dir: str | Path, summary: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The log's damaged lines, and each count summary.json says that the log does not hold.

    The counts are compared only where the summary says it is final (status not ``running``):
    a live run's summary trails its log by up to a few steps.
    """
    damaged: list[str] = []
    counted = log_counts(run_dir, damaged, distinct=False)
    if summary.get("status") in LIVE_STATUSES:
        return damaged, []
    differ = []
    for key in ("evaluations", "failures", "invalid"):
        claimed = summary.get(key)
        if isinstance(claimed, int) and claimed != counted[key]:
            differ.append(
                f"{shell_path(Path(run_dir) / SUMMARY_FILE)} says {claimed} {key} but "
                f"{shell_path(Path(run_dir) / EVALUATIONS_FILE)} holds {counted[key]}"
            )
    return damaged, differ


def unfinished_note(run_dir: str | Path, status: Any) -> str | None:
    """What a reader of a run that did not finish must know (None for a finished run): its
    figures are those of the evaluations logged so far. A partial run is still read, not refused."""
    if status in (None, "finished"):
        return None
    how = " (still running, or killed)" if status in LIVE_STATUSES else ""
    return (
        f"{shell_path(run_dir)} did not finish: its summary.json status is '{status}'{how}; its "
        "figures cover the evaluations made so far"
    )


def say_run_state(run_dir: str | Path, summary: dict[str, Any], problems: list[str]) -> None:
    """Print, on stderr, that the run did not finish (``summary``: its summary.json, or a
    report's run figures) and what is wrong with its log, as ``ffade report``, ``ffade
    feedback`` and ``ffade export`` each say them: ``ffade: note:`` and ``ffade: warning:``
    lines, the prefix every command's notes and warnings have."""
    note = unfinished_note(run_dir, summary.get("status"))
    if note:
        print(f"ffade: note: {note}", file=sys.stderr)
    for problem in problems:
        print(f"ffade: warning: {problem}", file=sys.stderr)
