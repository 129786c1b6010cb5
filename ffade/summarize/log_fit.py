"""Whether a run's files fit its grid: every logged state on it, every input one searched, and
policy.npy one probability per state.

Split from :mod:`ffade.summarize.landscape`, which counts the log: a record off the grid or of an
input the run did not search means log and summary are not of one run, and every command that
reads the log says so in one line naming the first such line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ffade.errors import FfadeError
from ffade.evaluation_log import logged_records
from ffade.records import POLICY_FILE, read_summary
from ffade.shell_words import shell_path
from ffade.summarize.grid import Grid, read_grid


def check_log_fits(run_dir: str | Path) -> None:
    """Refuse a run whose log holds a state off its grid or an input it did not search, as
    ``ffade report`` and ``ffade feedback`` do (they load the landscape): ``ffade export`` reads
    the log's slices from a feedback file, not from a landscape, and so checked neither."""
    summary = read_summary(run_dir)
    grid = read_grid(summary, str(run_dir))
    check_records(Path(run_dir), grid, list(logged_records(run_dir)), summary.get("num_inputs"))


_MEND = "mend or remove that line"


def check_records(
    run_dir: Path, grid: Grid, records: list[tuple[int, Any]], num_inputs: Any
) -> None:
    """One line naming the first record off the grid or of an input not searched: log and
    summary are not of one run (input 9999 was counted; -1 would picture the last input)."""
    shape, log = grid.shape, shell_path(run_dir / "evaluations.jsonl")
    off = _first_off_grid([record.state for _, record in records], shape)
    if off is not None:
        line, record = records[off]
        raise FfadeError(
            f"{log} line {line}: state {record.state} is off the grid of summary.json (sizes "
            f"{list(shape)} for {', '.join(grid.labels)}); {_MEND}"
        )
    if not isinstance(num_inputs, int) or num_inputs < 1:  # an older summary may not say
        return
    for line, record in records:
        if not 0 <= record.input_id < num_inputs:
            raise FfadeError(
                f"{log} line {line}: input_id {record.input_id} is not one of the run's searched "
                f"inputs (0 to {num_inputs - 1}, summary.json's num_inputs {num_inputs}); {_MEND}"
            )


def _first_off_grid(states: list[list[int]], shape: tuple[int, ...]) -> int | None:
    """The position of the first state that is not a grid index of ``shape``, or None."""
    wrong = next((i for i, state in enumerate(states) if len(state) != len(shape)), len(states))
    try:
        indices = np.asarray(states[:wrong], dtype=np.int64).reshape(wrong, len(shape))
    except OverflowError:  # an index past int64 is off any grid: find it one by one
        inside = lambda state: all(0 <= v < n for v, n in zip(state, shape, strict=True))  # noqa: E731
        return next(i for i, s in enumerate(states) if len(s) != len(shape) or not inside(s))
    outside = np.flatnonzero(((indices < 0) | (indices >= np.asarray(shape))).any(axis=1))
    if outside.size:
        return int(outside[0])
    return wrong if wrong < len(states) else None


def read_policy(run_dir: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    path = run_dir / POLICY_FILE
    if not path.is_file():
        return None
    try:  # never pickles (allow_pickle stays off): a foreign or damaged file is one line
        policy = np.load(path).astype(float).ravel()
    except (OSError, EOFError, ValueError, TypeError) as error:
        raise FfadeError(
            f"{shell_path(path)} is damaged ({str(error).split('. ')[0][:80]}); expected the "
            "float32 action probabilities the explorer saves, one per grid state"
        ) from None
    if policy.size != int(np.prod(shape)):
        raise FfadeError(
            f"{shell_path(path)} holds {policy.size} probabilities but the concept grid has "
            f"{int(np.prod(shape))} states ({' x '.join(map(str, shape))}); it needs one per state"
        )
    if not np.all(np.isfinite(policy)) or np.any(policy < 0) or policy.sum() <= 0:
        raise FfadeError(
            f"{shell_path(path)} must hold finite non-negative probabilities with a positive sum"
        )
    return (policy / policy.sum()).reshape(shape)
