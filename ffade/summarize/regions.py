"""Failure regions: connected groups of failing concept states, named in plain language.

A person acts on "rotation >= 30 and brightness <= 0.4 fails 87% of the time", not on a list of
states. A state *fails* when its failure rate reaches ``threshold`` over at least
``min_evaluations`` evaluations; failing states one grid step apart along one concept belong to
the same region. Each region is described by the range each concept spans in it (concepts whose
whole grid is covered are left out: they do not matter to the failure), with the pooled failure
rate and its Wilson 95% interval over all evaluations of the region's states.

For microscopic runs, which search for the smallest change that makes the target fail,
:func:`smallest_failing_changes` reports the failing state closest to the run's start state
(neutral unless the run set one) along each concept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ffade.errors import require_region_options
from ffade.summarize.landscape import (
    Landscape,
    is_numeric,
    percent,
    require_landscape,
    wilson_interval,
)
from ffade.summarize.region_options import (  # noqa: F401 (re-exported: commands import them here)
    DEFAULT_MIN_EVALUATIONS,
    DEFAULT_THRESHOLD,
    SLICE_KINDS,
    add_region_arguments,
    region_arguments,
)
from ffade.summarize.value_sets import (  # format_value re-exported: others import it here
    describe_subset,
    format_value,
)


@dataclass
class Region:
    """One connected failure region.

    Attributes:
        id: stable name derived from the grid and the member states, so the same region gets the
            same id in every report and in every run that finds exactly it.
        states: member states, one row of grid indices each (m, k), in row-major order.
        evaluations: evaluations pooled over the members.
        failures: failed evaluations pooled over the members.
        conditions: the concept ranges that define it, e.g. "rotation >= 30 and blur <= 0.4".
    """

    id: str
    states: np.ndarray
    evaluations: int
    failures: int
    conditions: str

    @property
    def failure_rate(self) -> float:
        return self.failures / self.evaluations

    @property
    def confidence_interval(self) -> tuple[float, float]:
        low, high = wilson_interval(self.failures, self.evaluations)
        return float(low), float(high)

    @property
    def num_states(self) -> int:
        return len(self.states)

    @property
    def range_states(self) -> int:
        """States in the ranges the description names (all value combinations in them).

        A connected region need not fill its ranges: "a >= 2 and b >= 2" may hold an L-shape.
        Reports show "12 of 48" so a reader does not assume every combination was seen to fail.
        """
        if len(self.states) == 1:  # most regions of a large run: no np.unique needed
            return 1
        return int(np.prod([len(np.unique(column)) for column in self.states.T]))

    def unchanged(self, neutral: Sequence[int]) -> bool:
        """Whether the slice's one state is ``neutral``: its inputs fail unchanged, so a
        fine-tuner on it would train on unchanged inputs, which no concept change explains."""
        return self.num_states == 1 and tuple(map(int, self.states[0])) == tuple(map(int, neutral))

    @property
    def description(self) -> str:
        """The one line a person reads: where, how often, how sure, on how much evidence."""
        return f"{self.conditions}: {describe_rate(self.failures, self.evaluations)}"

    def to_dict(self, landscape: Landscape) -> dict[str, Any]:
        """JSON-ready form, with member states both as indices and as concept values."""
        low, high = self.confidence_interval
        return {
            "id": self.id,
            "description": self.description,
            "conditions": self.conditions,
            "num_states": self.num_states,
            "range_states": self.range_states,
            "evaluations": self.evaluations,
            "failures": self.failures,
            "failure_rate": self.failure_rate,
            "ci_low": low,
            "ci_high": high,
            "states": self.states.tolist(),
            "state_values": [landscape.state_values(s) for s in self.states],
            "unchanged": self.unchanged(landscape.neutral),
        }


def describe_rate(failures: int, evaluations: int) -> str:
    """E.g. "87% failure (95% CI 80-92%), 140 evaluations"."""
    low, high = wilson_interval(failures, evaluations)
    return (
        f"{percent(failures / evaluations)} failure (95% CI {percent(low, 'low')[:-1]}-"
        f"{percent(high, 'high')}), {evaluations} evaluation{'s' if evaluations != 1 else ''}"
    )


def failing_states(landscape: Landscape, threshold: float, min_evaluations: int) -> np.ndarray:
    """Which visited states (a mask over ``landscape.visited``) fail: rate >= threshold on at
    least ``min_evaluations`` evaluations. A state never evaluated never fails."""
    require_region_options(threshold, min_evaluations)
    n = require_landscape(landscape).visited_evaluations
    # compare counts, not rates, so no NaN and no rounding near the threshold
    return (n >= min_evaluations) & (landscape.visited_failures >= threshold * n - 1e-9)


def find_regions(
    landscape: Landscape, threshold: float = 0.5, min_evaluations: int = 1
) -> list[Region]:
    """Connected failure regions, most severe first.

    Ranked by the lower end of the pooled rate's 95% interval (how bad the region is *for sure*),
    so a large, well-tested region at 90% outranks a single state that failed its only two
    evaluations; ties go to the larger region.

    Args:
        landscape: the run's landscape (all concepts; regions are found on the full grid).
        threshold: failure rate at which a state counts as failing.
        min_evaluations: evaluations a state needs before it can count as failing.
    """
    # here: most commands that import Region never find regions, and scipy (which
    # connected_groups imports) took about a second of `ffade check`'s and `ffade feedback`'s start
    from ffade.summarize.components import connected_groups

    failing = failing_states(landscape, threshold, min_evaluations)
    # neighbours differ by one grid step along exactly one concept
    groups = connected_groups(landscape.visited[failing], landscape.shape)

    regions = []
    for flat in groups:
        states = np.stack(np.unravel_index(flat, landscape.shape), axis=-1)
        at = np.searchsorted(landscape.visited, flat)  # every member was visited
        regions.append(
            Region(
                id=_region_id(landscape.shape, flat),
                states=states,
                evaluations=int(landscape.visited_evaluations[at].sum()),
                failures=int(landscape.visited_failures[at].sum()),
                conditions=describe_states(landscape, states),
            )
        )
    low = wilson_interval([r.failures for r in regions], [r.evaluations for r in regions])[0]
    order = sorted(
        range(len(regions)), key=lambda i: (-low[i], -regions[i].num_states, regions[i].id)
    )
    return [regions[i] for i in order]


def describe_states(landscape: Landscape, states: np.ndarray) -> str:
    """The concept ranges a set of states spans, joined with "and".

    Numeric concepts read ">= a", "<= b", "between a and b" or "= a"; discrete ones (and numbers
    with gaps) "= a", "in {a, b}" or, all values but one or a few, "!= c" or "not in {c, d}". A
    concept whose whole grid is covered is left out; if all are, "anywhere" when
    the states are the whole grid, else "spread over the whole grid" and, where one concept's
    range holds clearly more of them than its share of the grid, where they concentrate.
    """
    used = states.T if len(states) == 1 else [np.unique(column) for column in states.T]
    parts = [
        describe_values(label, grid, values)
        for label, grid, values in zip(landscape.labels, landscape.values, used, strict=True)
        if len(values) < len(grid)
    ]
    if parts:
        return " and ".join(parts)
    if len(states) == landscape.num_states:
        return "anywhere"
    densest = _densest_range(landscape, states)
    return "spread over the whole grid" + (f", most where {densest}" if densest else "")


def describe_values(label: str, grid: list[Any], used: np.ndarray) -> str:
    """One concept's grid values at indices ``used`` as a condition, e.g. "blur >= 1.5"."""
    if len(used) == 1:
        return f"{label} = {format_value(grid[used[0]])}"
    if not is_numeric(grid):
        return describe_subset(label, grid, used)
    # by value, not index: a grid may be given unsorted, and "between" must hold for every grid
    # value in the range, so a gap in the range makes it a set
    chosen = [grid[i] for i in used]
    low, high = min(chosen), max(chosen)
    values = np.asarray(grid, dtype=float)  # 10^5 values: a Python loop took seconds per rule
    if len(chosen) < np.count_nonzero((values >= low) & (values <= high)):
        return describe_subset(label, grid, used)
    if high == max(grid):
        return f"{label} >= {format_value(low)}"
    if low == min(grid):
        return f"{label} <= {format_value(high)}"
    return f"{label} between {format_value(low)} and {format_value(high)}"


def _densest_range(landscape: Landscape, states: np.ndarray, min_lift: float = 0.2) -> str | None:
    """Where a region touching every value of every concept concentrates, if anywhere.

    Per concept, the values holding more of the region's states than the region's density over
    the whole grid; the concept whose values hold the largest share of the states beyond their
    share of the grid (at least ``min_lift``) names it, e.g. "blur >= 1.5 (120 of its 170
    states)". None when the states are spread evenly.
    """
    best: tuple[float, str] | None = None
    for axis, (label, grid) in enumerate(zip(landscape.labels, landscape.values, strict=True)):
        counts = np.bincount(states[:, axis], minlength=len(grid))
        # a value's share of its grid slice, against the region's share of the whole grid
        dense = np.flatnonzero(counts * len(grid) > len(states))
        held = int(counts[dense].sum())
        lift = held / len(states) - len(dense) / len(grid)
        if lift >= min_lift and (best is None or lift > best[0]):
            text = f"{describe_values(label, grid, dense)} ({held} of its {len(states)} states)"
            best = (lift, text)
    return None if best is None else best[1]


def smallest_failing_changes(
    landscape: Landscape,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    start: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The smallest change from the start state that fails: along each concept alone, and overall.

    ``start``: the grid indices a microscopic run started from (summary.json's ``start_state``),
    default the neutral state. Measured from there, as the explorer's per-input findings are, so
    the two tables beside each other answer one question, not two.

    Per concept, among states that differ from the start in that concept only, the failing one
    closest to it in that concept's normalized coordinate. Overall, the failing state closest to
    it in Euclidean distance over all normalized coordinates (any combination). What microscopic
    explorers look for: how little it takes to break the target.
    """
    failing = failing_states(landscape, threshold, min_evaluations)  # checks landscape first
    failing = landscape.states[failing]
    failing_set = {tuple(state) for state in failing.tolist()}
    neutral = np.asarray(landscape.neutral)
    origin = neutral if start is None else np.asarray(start, dtype=np.int64)
    # "neutral" where the run started there, as nearly all do; else "start", which it was
    word = "neutral" if np.array_equal(origin, neutral) else "start"
    return {
        "neutral_state": neutral.tolist(),
        "neutral_values": landscape.state_values(neutral),
        "start_state": origin.tolist(),
        "start_values": landscape.state_values(origin),
        "per_concept": [
            _smallest_change_along(landscape, failing_set, origin, axis, word)
            for axis in range(len(landscape.labels))
        ],
        "overall": _smallest_change_overall(landscape, failing, origin, word),
    }


def _smallest_change_along(
    landscape: Landscape, failing: set[tuple[int, ...]], origin: np.ndarray, axis: int, word: str
) -> dict[str, Any]:
    """The failing state closest to ``origin`` (the start) that changes only concept ``axis``.

    Always an entry, with value None when no such state fails, so every concept is listed. When
    no state fails by the threshold but some evaluation along the concept failed, the closest
    such state is described with its counts ("5 of 64 inputs fail, below the threshold"), so this
    table and the explorer's per-input table never contradict each other; "no failure" is said
    only when no evaluation of a change of this concept alone failed. ``word`` names the origin
    in the text: "neutral", or "start" for a run that started elsewhere.
    """
    label, grid = landscape.labels[axis], landscape.values[axis]
    coordinates = landscape.grid_coordinates[axis]
    best = some_failures = None
    for index in np.argsort(np.abs(coordinates - coordinates[origin[axis]]), kind="stable"):
        state = origin.copy()
        state[axis] = index
        if index == origin[axis]:
            continue
        if tuple(state.tolist()) in failing:
            best = state
            break
        if some_failures is None and landscape.counts_at(state)[1][0] > 0:
            some_failures = state
    entry: dict[str, Any] = {
        "concept": label,
        "neutral_value": grid[landscape.neutral[axis]],
        "start_value": grid[origin[axis]],
        "value": None,
    }
    if len(grid) == 1:  # no change to try: "no failure from a change" read as one tried
        entry["description"] = f"{label}: its grid holds only {format_value(grid[0])}: no change"
        return entry
    if best is None and some_failures is None:
        entry["description"] = f"{label}: no failure from a change of {label} alone"
        return entry
    state = some_failures if best is None else best
    # counted as the per-input table counts: failed evaluations, not only failing states
    entry.update(_state_entry(landscape, state, origin))
    entry["description"] = (
        f"{label} = {format_value(grid[state[axis]])} "
        f"({word} {format_value(grid[origin[axis]])}): {entry['rate_text']}"
    )
    if best is None:
        entry["description"] += ", below the threshold for a failing state"
    else:
        entry["value"] = grid[best[axis]]
    return entry


def _smallest_change_overall(
    landscape: Landscape, failing: np.ndarray, origin: np.ndarray, word: str
) -> dict[str, Any] | None:
    """The failing state (``failing``: grid indices, one row each) closest to ``origin`` in
    normalized coordinates; None if none fails.

    Its description names only the concepts it changes, since those are the change.
    """
    candidates = failing
    if not len(candidates):
        return None
    distances = np.linalg.norm(
        landscape.coordinates(candidates) - landscape.coordinates(origin[None]), axis=1
    )
    best = candidates[int(np.argmin(distances))]
    changed = best != origin
    overall = _state_entry(landscape, best, origin)
    names = " and ".join(
        f"{landscape.labels[i]} = {format_value(landscape.values[i][best[i]])}"
        for i in np.flatnonzero(changed)
    )
    place, since = (
        ("the neutral state", "neutral") if word == "neutral" else ("the start state",) * 2
    )
    # a start state that fails is said once, not "the start state (distance 0 from ...)"
    where = f"{names} (distance {overall['distance']:.3g} from {since})" if names else place
    overall["description"] = f"{where}: {overall['rate_text']}"
    return overall


def _state_entry(landscape: Landscape, state: np.ndarray, neutral: np.ndarray) -> dict[str, Any]:
    evaluations, failures = landscape.counts_at(state)
    n, k = int(evaluations[0]), int(failures[0])
    low, high = wilson_interval(k, n)
    distance = np.linalg.norm(landscape.coordinates(state) - landscape.coordinates(neutral))
    return {
        "state": state.tolist(),
        "state_values": landscape.state_values(state),
        "distance": float(distance),
        "evaluations": n,
        "failures": k,
        "failure_rate": k / n,
        "ci_low": float(low),
        "ci_high": float(high),
        "rate_text": describe_rate(k, n),
    }


def _region_id(shape: tuple[int, ...], flat: np.ndarray) -> str:
    digest = hashlib.sha1(
        (",".join(map(str, shape)) + ":" + ",".join(map(str, flat.tolist()))).encode()
    ).hexdigest()
    return f"R-{digest[:8]}"
