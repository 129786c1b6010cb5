"""The failure landscape of a run: counts, failure rates and the explorer's policy per state.

A run's log is a list of evaluations; a person needs, for each combination of concept values, how
often the target failed there and how sure we are of it. This module turns the log into dense
arrays shaped like the concept grid (one axis per concept, row-major, the order of
:meth:`ffade.concepts.ConceptSpace.flat`), so that regions, plots and optimal transport all read the
same numbers. It needs no plugin: everything comes from ``summary.json`` and ``evaluations.jsonl``,
including the grid's geometry (each value's coordinate and the neutral state), which the explorer
recorded from the concepts themselves (:meth:`ffade.concepts.ConceptSpace.describe`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ffade.concept_names import did_you_mean, listed
from ffade.errors import FfadeError, as_written, does_not_exist, shown
from ffade.evaluation_log import logged_records
from ffade.records import POLICY_FILE, read_summary
from ffade.shown_numbers import percent as percent  # the report's modules read it here
from ffade.summarize.grid import GEOMETRY_KEYS as GEOMETRY_KEYS  # re-exported, as before
from ffade.summarize.grid import Grid, read_grid
from ffade.summarize.grid import is_numeric as is_numeric  # regions and rules read it here

Z_95 = 1.959963984540054
"""The normal quantile for a two-sided 95% interval."""


def wilson_interval(
    failures: np.ndarray | int, evaluations: np.ndarray | int, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a failure rate; NaN where there are no evaluations.

    Wilson rather than the normal approximation because failure rates sit near 0 and 1 and counts
    per state are small, where the normal interval leaves [0, 1] or collapses to zero width.
    """
    k = np.asarray(failures, dtype=float)
    n = np.asarray(evaluations, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    # exact ends where rounding would leave the rate a hair outside its own interval
    low = np.where(n > 0, np.where(k == 0, 0.0, np.clip(center - half, 0.0, 1.0)), np.nan)
    high = np.where(n > 0, np.where(k == n, 1.0, np.clip(center + half, 0.0, 1.0)), np.nan)
    return low, high


@dataclass
class Landscape:
    """Evaluation and failure counts (and optionally the policy) over a concept grid.

    Arrays have one axis per concept, in grid order. A state never evaluated has count 0 and an
    undefined (NaN) failure rate: the log says nothing about it, which is not the same as passing.

    Attributes:
        labels: concept labels, one per axis.
        values: each concept's grid values.
        grid_coordinates: each grid value's position in [0, 1], per concept (summary.json's
            ``coordinates``): the ground metric of regions and optimal transport.
        evaluations: evaluations per state (int array shaped like the grid).
        failures: failed evaluations per state.
        neutral: the state that changes nothing (one index per concept).
        policy: the explorer's action probabilities per state (sums to 1), or None.
        mode: "macroscopic" or "microscopic", from summary.json.
        source: where it came from, for messages.
        explorer: summary.json's ``explorer`` ("dqn", "random", ...; "" when unknown): a
            learning explorer's rates are over the inputs it chose, which run high.
        pooled: labels of concepts pooled away by :meth:`marginal`.
    """

    labels: list[str]
    values: list[list[Any]]
    grid_coordinates: list[np.ndarray]
    evaluations: np.ndarray
    failures: np.ndarray
    neutral: tuple[int, ...]
    policy: np.ndarray | None = None
    mode: str = "macroscopic"
    source: str = ""
    explorer: str = ""
    pooled: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    @property
    def num_concepts(self) -> int:
        return len(self.labels)

    @property
    def failure_rate(self) -> np.ndarray:
        """Failures / evaluations per state; NaN where never evaluated."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.evaluations > 0, self.failures / self.evaluations, np.nan)

    @property
    def confidence_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """Wilson 95% interval of the failure rate per state (NaN where never evaluated)."""
        return wilson_interval(self.failures, self.evaluations)

    def coordinates(self, states: np.ndarray) -> np.ndarray:
        """States (m, k) to normalized coordinates (m, k) in [0, 1]: the ground metric of OT."""
        states = np.asarray(states, dtype=np.int64).reshape(-1, self.num_concepts)
        return np.stack(
            [axis[states[:, i]] for i, axis in enumerate(self.grid_coordinates)], axis=-1
        )

    def axis(self, concept: int | str) -> int:
        """A concept's axis from its index or label; the error lists the labels allowed."""
        if isinstance(concept, str):
            if concept not in self.labels:
                # a label holding a comma is quoted, or "pos, x, axis1" reads as three
                where, hint = self.source or "landscape", did_you_mean(concept, self.labels)
                raise FfadeError(
                    f"unknown concept '{concept}' in {where}{hint}; concepts: {listed(self.labels)}"
                )
            return self.labels.index(concept)
        if not 0 <= concept < self.num_concepts:
            raise FfadeError(f"concept axis {concept} out of range 0..{self.num_concepts - 1}")
        return int(concept)

    def marginal(self, concepts: Sequence[int | str]) -> Landscape:
        """The landscape over the chosen concepts, the others pooled.

        Counts are summed over the pooled axes, so a state's rate is the failure rate over every
        evaluation with those values whatever the other concepts were; the policy is summed too,
        giving the probability of choosing those values. Axes come out in the order asked.
        """
        keep = [self.axis(c) for c in concepts]
        if len(set(keep)) != len(keep):
            raise FfadeError(
                f"concepts repeat in {as_written(list(concepts))}; name each at most once"
            )
        drop = tuple(i for i in range(self.num_concepts) if i not in keep)
        order = np.argsort(np.argsort(keep))  # where each kept axis sits after summing

        def pool(array: np.ndarray) -> np.ndarray:
            return np.transpose(array.sum(axis=drop), order) if drop else np.transpose(array, order)

        return Landscape(
            labels=[self.labels[i] for i in keep],
            values=[self.values[i] for i in keep],
            grid_coordinates=[self.grid_coordinates[i] for i in keep],
            evaluations=pool(self.evaluations),
            failures=pool(self.failures),
            neutral=tuple(self.neutral[i] for i in keep),
            policy=None if self.policy is None else pool(self.policy),
            mode=self.mode,
            source=self.source,
            explorer=self.explorer,
            pooled=[*self.pooled, *(self.labels[i] for i in drop)],
        )

    def state_values(self, state: Sequence[int]) -> dict[str, Any]:
        """One state as {label: value}."""
        return {
            label: grid[int(i)]
            for label, grid, i in zip(self.labels, self.values, state, strict=True)
        }

    def same_grid(self, other: Landscape) -> bool:
        """Same labels, values and coordinates: only then are states and distances comparable."""
        return (
            self.labels == other.labels
            and self.values == other.values
            and all(
                np.array_equal(a, b)
                for a, b in zip(self.grid_coordinates, other.grid_coordinates, strict=True)
            )
        )

    def grid_difference(self, other: Landscape) -> str:
        """Where two grids part, as "this vs other", for messages: the concepts, one concept's
        values, or its coordinates (the same values placed apart: both grids printed in full
        read alike)."""
        if self.labels != other.labels:
            return f"concepts {as_written(self.labels)} vs {as_written(other.labels)}"
        grids = zip(self.labels, self.values, other.values, strict=True)
        for (label, mine, theirs), at, other_at in zip(
            grids, self.grid_coordinates, other.grid_coordinates, strict=True
        ):
            if mine != theirs:
                return f"{label} {as_written(mine)} vs {as_written(theirs)}"
            if not np.array_equal(at, other_at):
                return (
                    f"{label}'s coordinates {np.round(at, 3).tolist()} vs "
                    f"{np.round(other_at, 3).tolist()}"
                )
        return "the same grid"


MAX_DENSE_STATES = 20_000_000
"""The largest grid report, feedback and export summarize (dense arrays, two int64 counts per
state: 320 MB); a search runs on any grid, and one past this is told so as it starts."""


def require_landscape(value: Any) -> Landscape:
    """``value`` itself if it is a :class:`Landscape`; a run directory given instead (or
    anything else) is one line saying how to read one, not an AttributeError deep inside."""
    if not isinstance(value, Landscape):
        raise FfadeError(
            f"expected a Landscape, got {shown(value)}; read a run's with "
            "ffade.summarize.load_landscape(run_dir)"
        )
    return value


def load_landscape(
    run_dir: str | Path, counted: tuple[np.ndarray, np.ndarray] | None = None
) -> Landscape:
    """Read a run directory into a :class:`Landscape` (works on running and crashed runs too).

    ``counted``: each state's valid evaluations and failures, shaped like the grid, already
    counted from this very log (a finished fit's memo, :mod:`ffade.memo_counts`), in place of
    reading it; ignored where its shape is not the grid's.

    Raises:
        FfadeError: the directory is missing or not a run directory, the grid in summary.json is
            malformed, a record's state lies off the grid, or policy.npy does not match the grid.
    """
    if not isinstance(run_dir, (str, os.PathLike)):  # not pathlib's TypeError
        raise FfadeError(f"load_landscape: expected a run directory (a path), got {shown(run_dir)}")
    given, run_dir = os.fspath(run_dir), Path(run_dir)  # Path('./-runs') drops the ./ typed
    if not run_dir.exists():  # a file (RUN/summary.json) is named by read_summary
        raise FfadeError(does_not_exist(f"run directory '{given}'", run_dir))
    summary = read_summary(run_dir)
    grid = read_grid(summary, str(run_dir))
    shape = grid.shape
    size = int(np.prod([float(n) for n in shape]))
    if size > MAX_DENSE_STATES:
        raise FfadeError(
            f"{run_dir}: the concept grid has {size:.3g} states ({' x '.join(map(str, shape))}), "
            f"more than the {MAX_DENSE_STATES:,} a landscape holds; summarize a run over fewer "
            "concepts or coarser grids"
        )

    if counted is None or any(np.shape(c) != shape for c in counted):
        counted = _logged_counts(run_dir, grid, size, summary.get("num_inputs"))
    evaluations, failures = (np.asarray(c, np.int64) for c in counted)

    return Landscape(
        labels=grid.labels,
        values=grid.values,
        grid_coordinates=grid.coordinates,
        evaluations=evaluations,
        failures=failures,
        neutral=grid.neutral,
        policy=_read_policy(run_dir, shape),
        mode=str(summary.get("mode", "macroscopic")),
        source=str(run_dir),
        explorer=str(summary.get("explorer") or ""),
    )


def check_log_fits(run_dir: str | Path) -> None:
    """Refuse a run whose log holds a state off its grid or an input it did not search, as
    ``ffade report`` and ``ffade feedback`` do (:func:`load_landscape`): ``ffade export`` reads
    the log's slices from a feedback file, not from a landscape, and so checked neither."""
    summary = read_summary(run_dir)
    grid = read_grid(summary, str(run_dir))
    _check_records(Path(run_dir), grid, list(logged_records(run_dir)), summary.get("num_inputs"))


_MEND = "mend or remove that line"


def _check_records(
    run_dir: Path, grid: Grid, records: list[tuple[int, Any]], num_inputs: Any
) -> None:
    """One line naming the first record off the grid or of an input not searched: log and
    summary are not of one run (input 9999 was counted; -1 would picture the last input)."""
    shape, log = grid.shape, run_dir / "evaluations.jsonl"
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


def _logged_counts(
    run_dir: Path, grid: Grid, size: int, num_inputs: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each state's valid evaluations and failures in the log, shaped like the grid."""
    shape = grid.shape
    records = list(logged_records(run_dir))  # a command's one read of the log, a bar if large
    _check_records(run_dir, grid, records, num_inputs)
    # a NaN score (invalid) is neither a pass nor a failure
    states = [record.state for _, record in records if not record.invalid]
    failed = [bool(record.failed) for _, record in records if not record.invalid]
    flat = (
        np.ravel_multi_index(np.asarray(states, dtype=np.int64).T, shape)
        if states
        else np.zeros(0, dtype=np.int64)
    )
    evaluations = np.bincount(flat, minlength=size).reshape(shape)
    failures = np.bincount(flat, weights=np.asarray(failed, dtype=float), minlength=size)
    return evaluations, failures.astype(np.int64).reshape(shape)


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


def _read_policy(run_dir: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    path = run_dir / POLICY_FILE
    if not path.is_file():
        return None
    try:  # never pickles (allow_pickle stays off): a foreign or damaged file is one line
        policy = np.load(path).astype(float).ravel()
    except (OSError, EOFError, ValueError, TypeError) as error:
        raise FfadeError(
            f"{path} is damaged ({str(error).split('. ')[0][:80]}); expected the float32 "
            "action probabilities the explorer saves, one per grid state"
        ) from None
    if policy.size != int(np.prod(shape)):
        raise FfadeError(
            f"{path} holds {policy.size} probabilities but the concept grid has "
            f"{int(np.prod(shape))} states ({' x '.join(map(str, shape))}); it needs one per state"
        )
    if not np.all(np.isfinite(policy)) or np.any(policy < 0) or policy.sum() <= 0:
        raise FfadeError(f"{path} must hold finite non-negative probabilities with a positive sum")
    return (policy / policy.sum()).reshape(shape)
