"""The run directory: an append-only evaluations log and summary.json beside TensorBoard's files.

Every evaluation is written and flushed as soon as its batch is scored, so a crash, Ctrl-C or kill
loses nothing already computed. ``summary.json`` exists from the first step (``status: running``)
and is rewritten as the run goes, so tools can read a run that is still going or that died.

Layout of a run directory::

    config.yaml          the resolved config (LightningCLI writes it)
    evaluations.jsonl    one JSON object per target evaluation (see EvaluationRecord)
    summary.json         counts and settings, machine-readable
    policy.npy           the explorer's action probabilities over the flat grid (macroscopic)
    checkpoints/         Lightning checkpoints (last.ckpt resumes a killed run)
    events.out.tfevents.*  TensorBoard scalars and images
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError, does_not_exist
from ffade.log_guard import check_log
from ffade.record_lines import (
    EvaluationRecord,
    LineReader,
    RecordShapeError,
    finite_json,
    jsonable,
    record_line,
)
from ffade.run_folder_hints import not_a_run_hint, run_folders_hint
from ffade.shell_words import shell_path
from ffade.summary_reads import summary_as_first_read
from ffade.writable import partial_write as partial_write  # its home before writable.py's
from ffade.writable import writable_dir
from ffade.write_lock import writing_alone

EVALUATIONS_FILE = "evaluations.jsonl"
SUMMARY_FILE = "summary.json"
POLICY_FILE = "policy.npy"
MITIGATION_FILE = "mitigation.json"  # a fine-tune's verdict (ffade.mitigate.base)

SYNC_SECONDS = 1.0
"""How often the evaluation log is synced to disk: at most this much is lost to a machine crash."""


class RunRecorder:
    """Appends evaluation records and keeps summary.json current in one run directory."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = writable_dir(run_dir, "RunRecorder")  # a file there: one line, no OSError
        # unbuffered bytes: a write that fails (a full disk) leaves nothing queued to flush later
        self._log = open(self.run_dir / EVALUATIONS_FILE, "ab", buffering=0)  # noqa: SIM115
        self._synced = time.monotonic()
        self._start = self._end = self._log.tell()  # bytes: 0 for a log this recorder began
        self._size = self._start  # the log's whole lines
        self.lines_written = 0

    def append(self, records: Iterable[EvaluationRecord]) -> None:
        """Write records and flush them to the OS, so a killed process keeps them."""
        self.append_lines(map(record_line, records))

    def append_lines(self, lines: Iterable[str]) -> None:
        """Write already encoded records (see :class:`EvaluationEncoder`), then flush them.

        One write call for the batch: a Ctrl-C between lines would leave part of a batch in the
        buffer, flushed at close, that the summary does not count. Flushed records survive a
        killed process; a crash of the machine itself loses at most :data:`SYNC_SECONDS` of
        them, because the log is synced to disk that often, and at close, rather than after
        every batch (an fsync, 2 ms here, was 4% of a quickstart DQN step).
        """
        lines = list(lines)
        self.check()
        self._write_whole("".join(line + "\n" for line in lines).encode("utf-8"))
        self.lines_written += len(lines)
        if time.monotonic() - self._synced >= SYNC_SECONDS:
            self._sync()

    def _write_whole(self, data: bytes) -> None:
        """Append ``data`` whole or not at all: a write cut short (no space left on the disk)
        is cut back off, so the log keeps whole lines and a resume appends after them."""
        view = memoryview(data)
        try:
            while view:
                view = view[self._log.write(view) :]
        except OSError as exc:
            os.ftruncate(self._log.fileno(), self._size)
            if exc.filename is None:  # a write's error names no file: say which one
                exc.filename = str(self.run_dir / EVALUATIONS_FILE)
            raise
        self._size += len(data)

    def check(self) -> None:
        """Stop the run (:class:`ffade.log_guard.RunDirDamaged`) if its log was removed or cut."""
        if not self._log.closed:
            check_log(self._log.fileno(), self.run_dir / EVALUATIONS_FILE, self._size)

    def _sync(self) -> None:
        os.fsync(self._log.fileno())
        self._synced = time.monotonic()

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Replace summary.json atomically (write then rename): never a half-written file."""
        write_json_atomic(self.run_dir / SUMMARY_FILE, summary)

    def close(self) -> None:
        """Sync the log to disk and close it; a recorder used in a ``with`` block closes itself."""
        if not self._log.closed:
            self._sync()
            self._end = self._log.tell()
            self._log.close()

    def wrote_whole_log(self) -> bool:
        """Whether every line of the closed log is one this recorder wrote: it began the log
        and the file is still the size it left (no resumed run's lines, nothing appended)."""
        try:
            size = (self.run_dir / EVALUATIONS_FILE).stat().st_size
        except OSError:
            return False
        return self._log.closed and self._start == 0 and size == self._end

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; renamed over ``path`` when the block ends.

    Readers see the old file or the new one, never half of one. The temporary file sits in the
    same directory (a rename across file systems is a copy), and is removed if the write fails;
    a process killed mid-write leaves it there, where the next write of that file replaces it
    (and a resume from that checkpoint removes it: :func:`partial_write`); writers take turns.
    """
    path = Path(path)
    tmp = partial_write(path)
    with writing_alone(tmp):  # another process writing this file waits: one NAME.tmp at a time
        try:
            yield tmp
            os.replace(tmp, path)
        except OSError as exc:  # a write's error (no space left) names no file: this is the one
            exc.filename = exc.filename or str(path)
            raise
        finally:
            tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_policy(run_dir: Path, probabilities: Any | None) -> None:
    """policy.npy: an explorer's probability of choosing each flat state; None writes nothing."""
    if probabilities is not None:
        import numpy as np

        with atomic_path(run_dir / POLICY_FILE) as tmp, open(tmp, "wb") as f:
            np.save(f, np.asarray(probabilities, dtype=np.float32))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(finite_json(data), indent=2, default=jsonable) + "\n")


def read_evaluations(
    run_dir: str | Path, damaged: list[str] | None = None
) -> Iterator[EvaluationRecord]:
    """Yield a run's evaluation records, skipping lines that are not whole records.

    A final line cut short by a kill is expected; any other damage is not. Each skipped line is
    added to ``damaged`` (when given) as a sentence naming the file and the line number.
    """
    for _, record in read_numbered_evaluations(run_dir, damaged):
        yield record


def read_numbered_evaluations(
    run_dir: str | Path,
    damaged: list[str] | None = None,
    progress: Callable[[int], Any] | None = None,
) -> Iterator[tuple[int, EvaluationRecord]]:
    """:func:`read_evaluations` with each record's line number in the file (from 1), which a
    skipped line does not shift: an error about a record names the line a reader opens.
    ``progress`` (a bar's ``update``) is given the bytes read, a megabyte or so at a time."""
    path = Path(run_dir) / EVALUATIONS_FILE
    if not path.is_file() and (Path(run_dir) / MITIGATION_FILE).is_file():  # not "restore it"
        raise FfadeError(
            f"{shell_path(run_dir)} is a fine-tune's run directory (mitigation.json): it evaluates "
            "no concept states, so it has no evaluations.jsonl; its discovery run has them"
        )
    if not path.is_file():
        raise FfadeError(f"{shell_path(path)} not found{_remedy(run_dir)}")
    read, reader = 0, LineReader()
    log = shell_path(path)  # a warning names it as a command would take it
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if progress is not None and (read := read + len(raw)) >= 2**20:
                progress(read)
                read = 0
            try:
                record = reader.record(raw.decode("utf-8"))
                _check_record(record)
                if record.metric is None or record.reward is None:
                    record.metric, record.reward = _nan_if_none(record.metric, record.reward)
            except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
                if damaged is not None:
                    cut = not raw.endswith(b"\n")
                    why = "cut short (the run was killed mid-write)" if cut else "damaged"
                    damaged.append(f"{log} line {number}: {why}, skipped ({_why(exc)})")
                continue
            yield number, record
    if progress is not None and read:
        progress(read)


_WHOLE = frozenset({int})
_SCORE = frozenset({int, float, type(None)})


def _check_record(record: EvaluationRecord) -> None:
    """Raise TypeError naming the first field of the wrong type: a hand-edited ``"failed":
    "yes"`` would count as a failure, and a state of ``null`` would crash every reader."""
    if (  # the usual record, checked by exact types at once (a bool is no int here)
        type(record.step) is int
        and type(record.input_id) is int
        and type(record.state) is list
        and _WHOLE.issuperset(map(type, record.state))
        and type(record.concepts) is dict
        and type(record.metric) in _SCORE
        and type(record.reward) in _SCORE
        and type(record.failed) is bool
        and type(record.invalid) is bool
    ):
        return
    for key in ("step", "input_id"):
        if not _is_whole(getattr(record, key)):
            raise TypeError(f"'{key}' is {getattr(record, key)!r}, expected a whole number")
    if not isinstance(record.state, list) or not all(map(_is_whole, record.state)):
        raise TypeError(f"'state' is {record.state!r}, expected a list of grid indices")
    if not isinstance(record.concepts, dict):
        raise TypeError(f"'concepts' is {record.concepts!r}, expected a mapping")
    for key in ("metric", "reward"):
        value = getattr(record, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"'{key}' is {value!r}, expected a number or null")
    for key in ("failed", "invalid"):
        if not isinstance(getattr(record, key), bool):
            raise TypeError(f"'{key}' is {getattr(record, key)!r}, expected true or false")


def _nan_if_none(*values: float | None) -> tuple[float, ...]:
    """A logged ``null`` (a score that was no finite number) reads back as NaN."""
    return tuple(math.nan if value is None else value for value in values)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def no_run_hint(run_dir: str | Path) -> str:
    """What to say of a directory that holds no run (``ffade.Run("runs")``): which version folder
    to give where it holds runs, else the question whether it is a run directory at all."""
    return _remedy(run_dir)


def _remedy(run_dir: str | Path, rebuild: bool = False) -> str:
    """What to do about a run's missing or damaged file: its checkpoint rebuilds a summary (in
    a new run directory), its config.yaml reruns the run (the same seed repeats it here)."""
    run, config = Path(run_dir), shell_path(Path(run_dir) / "config.yaml")
    if not (run / "config.yaml").is_file():
        return run_folders_hint(run_dir) or not_a_run_hint(run_dir)
    if rebuild and (run / "checkpoints" / "last.ckpt").is_file():
        return f"; rebuild the run: ffade fit --config {config} --ckpt_path {shell_path(run)}"
    return f"; restore it from a copy, or run it again: ffade fit --config {config}"


def _why(exc: Exception) -> str:
    if isinstance(exc, TypeError):  # a field _check_record named, or the line's shape
        shaped = isinstance(exc, RecordShapeError) or str(exc).startswith("'")
        detail = str(exc) if shaped else ""
        return "not an evaluation record" + (f": {detail}" if detail else "")
    return str(exc).splitlines()[0][:80]


def check_run_dir(typed: str) -> None:
    """Refuse a missing run directory naming it as typed: ``Path('./-runs')`` is ``-runs``, so
    the commands that read a run (report, feedback, export) dropped the ``./`` the user typed."""
    if not Path(typed).exists():
        raise FfadeError(does_not_exist(f"run directory {shell_path(typed)}", typed))


def refuse_a_file(run_dir: str | Path) -> None:
    """Refuse a file given for a run directory (RUN/summary.json for RUN, a config), in the
    words ``ffade report FILE`` and ``ffade.Run(FILE)`` share, the path as typed (``~`` too)."""
    if Path(run_dir).expanduser().is_file():
        given, parent = shell_path(run_dir), Path(run_dir).parent  # as typed, one shell word
        if (parent.expanduser() / SUMMARY_FILE).is_file():
            holds = f"give the run directory that holds it ({shell_path(parent)})"
            raise FfadeError(f"{given} is a file; {holds}")
        raise FfadeError(
            f"{given} is a file, not a run directory (a folder holding {SUMMARY_FILE})"
        )


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """summary.json (damaged: one line naming it), read once per command (ffade.summary_reads)."""
    path = Path(run_dir) / SUMMARY_FILE
    return summary_as_first_read(path, lambda: _read_summary(run_dir, path))


def _read_summary(run_dir: str | Path, path: Path) -> dict[str, Any]:
    if not path.is_file() and (Path(run_dir) / "loop.json").is_file():  # ffade loop's out/version_N
        raise FfadeError(
            f"{shell_path(run_dir)} is a loop's directory (loop.json), not a run: its runs are "
            + ", ".join(shell_path(Path(run_dir) / s) for s in ("discover", "mitigate"))
            + f" and {shell_path(Path(run_dir) / 'rediscover')}"
        )
    if not Path(run_dir).exists():  # said as ffade report and ffade feedback say it
        raise FfadeError(does_not_exist(f"run directory {shell_path(run_dir)}", run_dir))
    refuse_a_file(run_dir)
    if not path.is_file():
        raise FfadeError(f"{shell_path(path)} not found{_remedy(run_dir, rebuild=True)}")
    try:
        summary = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        why = f"damaged ({_why(exc)}): it is not JSON"
        raise FfadeError(f"{shell_path(path)} is {why}{_remedy(run_dir, rebuild=True)}") from None
    if not isinstance(summary, dict):
        raise FfadeError(f"{shell_path(path)} is damaged: a JSON object was expected")
    _check_summary(summary, shell_path(path))
    return summary


SUMMARY_COUNTS = (
    "budget",
    "evaluations",
    "failures",
    "invalid",
    "distinct_failure_states",
    "failing_concept_states",
    "gradient_updates",
    "iterations",
    "num_inputs",
    "num_states",
)
SUMMARY_KINDS: dict[str, tuple[type, ...]] = {
    "a number": (int, float),  # wall_seconds, failure_rate
    "a string": (str,),
    "a mapping": (dict,),
}
SUMMARY_TYPES: dict[str, str] = {
    **dict.fromkeys(SUMMARY_COUNTS, "a whole number from 0"),
    **dict.fromkeys(
        ("wall_seconds", "model_seconds", "concept_seconds", "failure_rate"), "a number"
    ),
    **dict.fromkeys(("explorer", "status", "mode", "stop_reason"), "a string"),
    **dict.fromkeys(
        ("environment", "estimated_remaining_failures", "task", "hyperparameters"), "a mapping"
    ),
}
"""summary.json keys that readers (reports, feedback, the gate) use as they are, and what each
must be, or null: a hand-edited ``"evaluations": "many"`` makes a damaged summary, not a figure."""


def _check_summary(summary: dict[str, Any], where: str) -> None:
    """Refuse, in one line naming the key, a summary whose known keys have the wrong type."""
    for key, what in SUMMARY_TYPES.items():
        value = summary.get(key)
        if value is None:
            continue
        if what == "a whole number from 0":
            fits = _is_whole(value) and value >= 0
        else:
            fits = not isinstance(value, bool) and isinstance(value, SUMMARY_KINDS[what])
        if not fits:
            raise FfadeError(f"{where} is damaged: key '{key}' is {value!r}; expected {what}")
    if summary.get("status") not in (None, *STATUSES):  # a report would call it finished
        raise FfadeError(
            f"{where} is damaged: key 'status' is {summary['status']!r}; expected one of "
            f"{', '.join(STATUSES)}"
        )


LIVE_STATUSES = ("running", "created", "measuring", "training")
"""Statuses of a summary.json that is not final: saved every few steps, it trails the log (and
a killed run's stays so)."""
STATUSES = (*LIVE_STATUSES, "finished", "accepted", "rejected", "interrupted", "failed")
"""Every status a run writes: a search's, then a fine-tune's verdicts, then how a run stopped."""
