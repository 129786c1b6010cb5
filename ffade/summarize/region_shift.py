"""How a run's failure regions fare in a second run over the same grid, e.g. after mitigation.

Kept apart from :mod:`.regions`, which finds and names one run's regions, because comparing two
runs is a job of its own: ``ffade report --compare`` (and through it ``ffade loop``) does it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ffade.summarize.landscape import Landscape, wilson_interval
from ffade.summarize.regions import Region, describe_rate, failing_states

PASSING = 0.5
"""A slice is *fixed* only when its failure rate is shown below this as well as below the
threshold, and *still failing* once its rate is shown at or above it whatever the threshold:
at ``--threshold 1`` a slice failing 99 times in 100 is below the threshold (its interval's upper
end under 100%) yet far from fixed. At thresholds up to 50% the threshold alone decides."""


def compare_regions(
    first: Landscape,
    first_regions: list[Region],
    second: Landscape,
    second_regions: list[Region],
    threshold: float = 0.5,
    min_evaluations: int = 1,
) -> dict[str, list[dict[str, Any]]]:
    """How the first run's regions fare in the second run (e.g. after mitigation).

    Each slice (a rule or a region) of the first run is judged on the second run's evaluations
    pooled over it (for a rule, every state its conditions allow): *fixed* only when the upper
    end of that rate's 95% interval is below the threshold and below 50% (:data:`PASSING`),
    *still failing* when the rate itself reaches the threshold or the interval's lower end
    reaches 50% (a slice failing more often than not is not fixed at ``--threshold 1``),
    *unclear* in between (too few evaluations to tell, or a rate just
    under the threshold), and *not retested* when the second run evaluated none of its states
    at least ``min_evaluations`` times: a second run that never looked there says nothing, which
    must not read as "fixed". Slices of the second run that hold no state a slice of the first
    pools (a rule's: every state its conditions allow, evaluated in the first run or not) are
    *new*: one named as overlapping a first slice is the same failure, seen on other states, not
    a new one. Each entry carries the other run's pooled counts over
    the region's states (``now`` for the first run's regions, ``before`` for new ones), so the
    evidence behind "fixed" is visible, and so is whether a "new" region had passed before or had
    simply never been evaluated.
    """
    second_failing = failing_states(second, threshold, min_evaluations)
    owner: dict[tuple[int, ...], set[str]] = {}  # rules overlap: a state may have several
    for region in second_regions:
        for state in map(tuple, region.states):
            owner.setdefault(state, set()).add(region.id)
    # what the first slices pool: a region's member states (one set), a rule's allowed ranges
    first_members = {
        tuple(int(i) for i in s) for r in first_regions if not _allowed(r) for s in r.states
    }
    first_rules = [_pooling(region) for region in first_regions if _allowed(region)]
    shifts: dict[str, list[dict[str, Any]]] = {
        "still_failing": [],
        "unclear": [],
        "fixed": [],
        "not_retested": [],
        "new": [],
    }
    for region in first_regions:
        status, entry = _retest(region, second, second_failing, owner, threshold, min_evaluations)
        shifts[status].append(entry)
    for region in second_regions:  # new: in no state a first slice pools, so none overlaps it
        states = [tuple(int(i) for i in s) for s in region.states]
        if not any(s in first_members or any(p(s) for p in first_rules) for s in states):
            shifts["new"].append(_new_region_entry(region, first, second))
    return shifts


def _retest(
    region: Region,
    second: Landscape,
    second_failing: np.ndarray,
    owner: dict[tuple[int, ...], set[str]],
    threshold: float,
    min_evaluations: int,
) -> tuple[str, dict[str, Any]]:
    """What the second run says about one of the first run's regions: its status and entry.

    ``owner`` maps each state of a second-run region to the ids of the regions holding it (rules
    overlap), so the entry can say which of the second run's regions overlap it.
    """
    inside, pools = _pooled(region, second), _pooling(region)
    evaluations = second.visited_evaluations[inside]
    n = int(evaluations.sum())
    k = int(second.visited_failures[inside].sum())
    still = int(second_failing[inside].sum())
    low, high = wilson_interval(k, n)
    if n == 0 or int(evaluations.max()) < min_evaluations:
        status = "not_retested"
    elif float(high) < min(threshold, PASSING):
        status = "fixed"
    elif k >= threshold * n - 1e-9 or float(low) >= PASSING:
        status = "still_failing"
    else:
        status = "unclear"
    return status, {
        "id": region.id,
        "description": region.description,
        "status": status.replace("_", " "),
        "failing_states_now": still,  # of pooled_states, not of num_states (a rule's may
        "pooled_states": _pooled_states(region),  # exceed the states it was seen on)
        "num_states": region.num_states,
        "evaluations_now": n,
        "failures_now": k,
        "failure_rate_now": k / n if n else None,
        "ci_low_now": None if n == 0 else float(low),
        "ci_high_now": None if n == 0 else float(high),
        "now": describe_rate(k, n) if n else "not evaluated",
        "overlapping": sorted(set().union(*(ids for s, ids in owner.items() if pools(s)))),
    }


def _allowed(region: Region) -> bool:
    """Whether ``region`` is a rule, pooled over the ranges it allows (a region: its members)."""
    return bool(getattr(region, "allowed", None))


def _pooling(region: Region) -> Callable[[tuple[int, ...]], bool]:
    """Whether the retest of ``region`` pools a state (:func:`_index`): so the slices named as
    overlapping it are those that share a state with what was judged, evaluated before or not."""
    allowed = getattr(region, "allowed", None)
    if allowed:
        sets = [set(values) for values in allowed]
        return lambda state: all(i in values for i, values in zip(state, sets, strict=True))
    members = {tuple(int(i) for i in s) for s in region.states}
    return lambda state: state in members


def _pooled(region: Region, landscape: Landscape) -> np.ndarray:
    """Which of ``landscape``'s visited states a slice pools (a mask over them): every state a
    rule's conditions allow, or a region's member states."""
    allowed = getattr(region, "allowed", None)
    if allowed:
        states, inside = landscape.states, np.ones(landscape.visited.size, dtype=bool)
        for axis, values in enumerate(allowed):
            inside &= np.isin(states[:, axis], np.asarray(values, dtype=np.int64))
        return inside
    members = np.ravel_multi_index(tuple(np.asarray(region.states).T), landscape.shape)
    return np.isin(landscape.visited, members)


def _pooled_states(region: Region) -> int:
    """The states a slice pools, evaluated or not (a rule's: every combination it allows)."""
    allowed = getattr(region, "allowed", None)
    return math.prod(len(a) for a in allowed) if allowed else len(region.states)


def _new_region_entry(region: Region, first: Landscape, second: Landscape) -> dict[str, Any]:
    """A second-run region new to the first run, with the first run's counts on its states.

    Those counts tell a region that passed before (a regression) from one the first run never
    evaluated.
    """
    evaluations, failures = first.counts_at(region.states)
    n, k = int(evaluations.sum()), int(failures.sum())
    entry = region.to_dict(second)
    entry.update(
        evaluations_before=n,
        failures_before=k,
        before=describe_rate(k, n) if n else "not evaluated",
    )
    return entry
