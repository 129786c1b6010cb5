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
from ffade.evaluation_log import logged_table
from ffade.log_table import LogTable
from ffade.records import POLICY_FILE, read_summary
from ffade.shell_words import shell_path
from ffade.summarize.grid import Grid, read_grid


def check_log_fits(run_dir: str | Path) -> None:
    """Refuse a run whose log holds a state off its grid or an input it did not search, as
    ``ffade report`` and ``ffade feedback`` do (they load the landscape): ``ffade export`` reads
    the log's slices from a feedback file, not from a landscape, and so checked neither."""
    summary = read_summary(run_dir)
    grid = read_grid(summary, str(run_dir))
    check_records(Path(run_dir), grid, logged_table(run_dir), summary.get("num_inputs"))


_MEND = "mend or remove that line"


def check_records(run_dir: Path, grid: Grid, table: LogTable, num_inputs: Any) -> None:
    """One line naming the first record off the grid or of an input not searched: log and
    summary are not of one run (input 9999 was counted; -1 would picture the last input)."""
    shape, log = grid.shape, shell_path(run_dir / "evaluations.jsonl")
    off = _first(_off_grid(table, shape))
    if off is not None:
        raise FfadeError(
            f"{log} line {table.lines[off]}: state {table.state(off)} is off the grid of "
            f"summary.json (sizes {list(shape)} for {', '.join(grid.labels)}); {_MEND}"
        )
    if not isinstance(num_inputs, int) or num_inputs < 1:  # an older summary may not say
        return
    outside = (table.input_ids < 0) | (table.input_ids >= num_inputs)
    for row, (input_id, _) in table.odd.items():  # an input past int64: its columns read -1
        outside[row] = not 0 <= input_id < num_inputs
    off = _first(outside)
    if off is not None:
        raise FfadeError(
            f"{log} line {table.lines[off]}: input_id {table.input_id(off)} is not one of the "
            f"run's searched inputs (0 to {num_inputs - 1}, summary.json's num_inputs "
            f"{num_inputs}); {_MEND}"
        )


def _off_grid(table: LogTable, shape: tuple[int, ...]) -> np.ndarray:
    """Whether each record's state is no grid index of ``shape``."""
    if table.states.shape[1] != len(shape):  # every state has the first one's length or is odd
        return np.ones(len(table), dtype=bool)
    outside = ((table.states < 0) | (table.states >= np.asarray(shape))).any(axis=1)
    for row, (_, state) in table.odd.items():  # a state past int64 or of another length
        fits = len(state) == len(shape)
        outside[row] = not (fits and all(0 <= v < n for v, n in zip(state, shape, strict=True)))
    return outside


def _first(mask: np.ndarray) -> int | None:
    at = np.flatnonzero(mask)
    return int(at[0]) if at.size else None


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
