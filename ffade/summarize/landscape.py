"""The failure landscape of a run: counts, failure rates and the explorer's policy per state.

A run's log is a list of evaluations; a person needs, for each combination of concept values, how
often the target failed there and how sure we are of it. This module turns the log into counts
per evaluated state (numbered row-major, the order of :meth:`ffade.concepts.ConceptSpace.flat`),
so that regions, rules, plots and optimal transport all read the same numbers, at a cost that
grows with the evaluations, never with the grid (10^10 states searched a few thousand times).
It needs no plugin: everything comes from ``summary.json`` and ``evaluations.jsonl``, including
the grid's geometry (each value's coordinate and the neutral state), which the explorer
recorded from the concepts themselves (:meth:`ffade.concepts.ConceptSpace.describe`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ffade.concept_names import did_you_mean, listed
from ffade.errors import FfadeError, as_written, does_not_exist, shown
from ffade.evaluation_log import logged_table
from ffade.records import read_summary
from ffade.shell_words import shell_path
from ffade.shown_numbers import percent as percent  # the report's modules read it here
from ffade.summarize.grid import GEOMETRY_KEYS as GEOMETRY_KEYS  # re-exported, as before
from ffade.summarize.grid import Grid, read_grid
from ffade.summarize.grid import is_numeric as is_numeric  # regions and rules read it here
from ffade.summarize.log_fit import check_log_fits as check_log_fits  # export reads it here
from ffade.summarize.log_fit import check_records, read_policy

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

    Only the states the run evaluated are stored (``visited``, with their counts): a grid of
    10^10 states searched with a few thousand evaluations costs what those evaluations cost.
    :attr:`evaluations` and :attr:`failures` give the counts as arrays shaped like the grid for
    grids up to :data:`MAX_DENSE_STATES` (plots of a marginal, planted tests). A state never
    evaluated has count 0 and an undefined (NaN) failure rate: the log says nothing about it,
    which is not the same as passing.

    Attributes:
        labels: concept labels, one per axis.
        values: each concept's grid values.
        grid_coordinates: each grid value's position in [0, 1], per concept (summary.json's
            ``coordinates``): the ground metric of regions and optimal transport.
        visited: flat (row-major) indices of the states with at least one evaluation, ascending.
        visited_evaluations: evaluations of each visited state.
        visited_failures: failed evaluations of each visited state.
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
    visited: np.ndarray
    visited_evaluations: np.ndarray
    visited_failures: np.ndarray
    neutral: tuple[int, ...]
    policy: np.ndarray | None = None
    mode: str = "macroscopic"
    source: str = ""
    explorer: str = ""
    pooled: list[str] = field(default_factory=list)

    @classmethod
    def from_counts(
        cls,
        labels: list[str],
        values: list[list[Any]],
        grid_coordinates: list[np.ndarray],
        evaluations: np.ndarray,
        failures: np.ndarray,
        neutral: tuple[int, ...],
        **rest: Any,
    ) -> Landscape:
        """A landscape from counts shaped like the grid (planted landscapes, a small memo)."""
        evaluations, failures = np.asarray(evaluations), np.asarray(failures)
        visited = np.flatnonzero(evaluations > 0)
        return cls(
            labels,
            values,
            grid_coordinates,
            visited,
            evaluations.ravel()[visited].astype(np.int64),
            failures.ravel()[visited].astype(np.int64),
            neutral,
            **rest,
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    @property
    def num_concepts(self) -> int:
        return len(self.labels)

    @property
    def num_states(self) -> int:
        """The grid's states, evaluated or not (a Python int: it may pass 2**31)."""
        return math.prod(self.shape)

    @cached_property
    def states(self) -> np.ndarray:
        """The visited states as grid indices (m, k), in the order of :attr:`visited`."""
        return np.stack(np.unravel_index(self.visited, self.shape), axis=-1).reshape(
            -1, self.num_concepts
        )

    @property
    def evaluations(self) -> np.ndarray:
        """Evaluations per state, shaped like the grid (grids up to MAX_DENSE_STATES); a new
        array each time: changing it changes no landscape (:meth:`from_counts` makes one)."""
        return self._dense(self.visited_evaluations)

    @property
    def failures(self) -> np.ndarray:
        """Failed evaluations per state, shaped like the grid (as :attr:`evaluations`)."""
        return self._dense(self.visited_failures)

    def _dense(self, counts: np.ndarray) -> np.ndarray:
        if self.num_states > MAX_DENSE_STATES:
            raise FfadeError(
                f"{self.source or 'landscape'}: the concept grid has {self.num_states:.3g} states, "
                f"more than the {MAX_DENSE_STATES:,} an array over the whole grid holds; read "
                "its visited states (Landscape.visited) or a marginal over fewer concepts"
            )
        dense = np.zeros(self.num_states, dtype=np.int64)
        dense[self.visited] = counts
        return dense.reshape(self.shape)

    @property
    def failure_rate(self) -> np.ndarray:
        """Failures / evaluations per state; NaN where never evaluated."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.evaluations > 0, self.failures / self.evaluations, np.nan)

    @property
    def confidence_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """Wilson 95% interval of the failure rate per state (NaN where never evaluated)."""
        return wilson_interval(self.failures, self.evaluations)

    def counts_at(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Evaluations and failures of ``states`` (m, k), 0 where never evaluated."""
        states = np.asarray(states, dtype=np.int64).reshape(-1, self.num_concepts)
        flat = np.ravel_multi_index(tuple(states.T), self.shape)
        if not self.visited.size:
            return np.zeros(flat.size, np.int64), np.zeros(flat.size, np.int64)
        at = np.minimum(np.searchsorted(self.visited, flat), self.visited.size - 1)
        seen = self.visited[at] == flat
        return (
            np.where(seen, self.visited_evaluations[at], 0),
            np.where(seen, self.visited_failures[at], 0),
        )

    def keep_visited(self, keep: np.ndarray) -> Landscape:
        """The same grid with only the visited states where ``keep`` (a mask over
        :attr:`visited`) holds evaluations: the others read as never evaluated."""
        return dataclasses.replace(
            self,
            visited=self.visited[keep],
            visited_evaluations=self.visited_evaluations[keep],
            visited_failures=self.visited_failures[keep],
        )

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
        shape = tuple(self.shape[i] for i in keep)
        pooled = np.ravel_multi_index(tuple(self.states[:, i] for i in keep), shape)
        visited, where = np.unique(pooled, return_inverse=True)
        evaluations = np.zeros(visited.size, np.int64)
        failures = np.zeros(visited.size, np.int64)
        np.add.at(evaluations, where, self.visited_evaluations)
        np.add.at(failures, where, self.visited_failures)
        policy = self.policy
        if policy is not None:
            policy = np.transpose(policy.sum(axis=drop), order) if drop else policy.transpose(order)
        return Landscape(
            labels=[self.labels[i] for i in keep],
            values=[self.values[i] for i in keep],
            grid_coordinates=[self.grid_coordinates[i] for i in keep],
            visited=visited.astype(np.int64),
            visited_evaluations=evaluations,
            visited_failures=failures,
            neutral=tuple(self.neutral[i] for i in keep),
            policy=policy,
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
"""The largest grid :attr:`Landscape.evaluations` gives as one array (two int64 counts per state:
320 MB). Reports, feedback and export read the visited states only and need no such array."""

MAX_NUMBERED_STATES = 2**63 - 1
"""States are numbered (row-major) in int64, as the search numbers them: a larger grid is
refused."""


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
    run_dir: str | Path, counted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> Landscape:
    """Read a run directory into a :class:`Landscape` (works on running and crashed runs too).

    ``counted``: the visited states (flat, ascending) with their valid evaluations and failures,
    already counted from this very log (a finished fit's memo, :mod:`ffade.memo_counts`), in
    place of reading it.

    Raises:
        FfadeError: the directory is missing or not a run directory, the grid in summary.json is
            malformed, a record's state lies off the grid, or policy.npy does not match the grid.
    """
    if not isinstance(run_dir, (str, os.PathLike)):  # not pathlib's TypeError
        raise FfadeError(f"load_landscape: expected a run directory (a path), got {shown(run_dir)}")
    given, run_dir = os.fspath(run_dir), Path(run_dir)  # Path('./-runs') drops the ./ typed
    if not run_dir.exists():  # a file (RUN/summary.json) is named by read_summary
        raise FfadeError(does_not_exist(f"run directory {shell_path(given)}", run_dir))
    summary = read_summary(run_dir)
    grid = read_grid(summary, str(run_dir))
    shape = grid.shape
    size = math.prod(shape)
    if size > MAX_NUMBERED_STATES:
        raise FfadeError(
            f"{run_dir}: the concept grid has {size:.3g} states ({' x '.join(map(str, shape))}), "
            f"more than the {MAX_NUMBERED_STATES:.3g} ffade can number; summarize a run over "
            "fewer concepts or coarser grids"
        )
    if counted is None:
        counted = _logged_counts(run_dir, grid, summary.get("num_inputs"))
    visited, evaluations, failures = (np.asarray(c, np.int64) for c in counted)

    return Landscape(
        labels=grid.labels,
        values=grid.values,
        grid_coordinates=grid.coordinates,
        visited=visited,
        visited_evaluations=evaluations,
        visited_failures=failures,
        neutral=grid.neutral,
        policy=read_policy(run_dir, shape),
        mode=str(summary.get("mode", "macroscopic")),
        source=str(run_dir),
        explorer=str(summary.get("explorer") or ""),
    )


def _logged_counts(
    run_dir: Path, grid: Grid, num_inputs: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The log's visited states (flat, ascending) with their valid evaluations and failures."""
    table = logged_table(run_dir)  # a command's one read of the log, a bar if large
    check_records(run_dir, grid, table, num_inputs)
    states, failed = table.states, table.failed
    if table.invalid.any():  # a NaN score (invalid) is neither a pass nor a failure
        states, failed = states[~table.invalid], failed[~table.invalid]  # else no copy
    return visited_counts(states, failed, grid.shape)


def visited_counts(
    states: Sequence[Sequence[int]] | np.ndarray,
    failed: Sequence[bool] | np.ndarray,
    shape: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluated states (grid indices, one row per evaluation) and whether each failed, as the
    distinct states (flat, ascending) with their evaluations and failures."""
    if not len(states):
        return (np.zeros(0, np.int64),) * 3
    flat = np.ravel_multi_index(np.asarray(states, dtype=np.int64).T, shape)
    visited, where = np.unique(flat, return_inverse=True)
    evaluations = np.bincount(where, minlength=visited.size)
    failures = np.bincount(where[np.asarray(failed, dtype=bool)], minlength=visited.size)
    return visited.astype(np.int64), evaluations.astype(np.int64), failures.astype(np.int64)
