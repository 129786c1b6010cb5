"""Failure slices as rules: a short list of readable conditions over concept values.

Connected regions (:mod:`.regions`) answer "which failing states touch?"; on a grid where most
states fail they merge into one blob "spread over the whole grid". A person acts on a rule such
as ``gaussian_blur >= 2 and contrast <= 0.9``: where the failures are, said in the concepts'
own terms, with how often the target fails there and on how much evidence.

The rules are learned by sequential covering (the idea of CN2 and RIPPER), over the evaluated
states of a landscape, every state weighted by its evaluations:

1. *Grow* a rule from "anywhere": at each step narrow one concept to a range of its values (a set
   of values for a discrete concept), the narrowing with the largest FOIL gain — the failures it
   keeps from states no earlier rule covers, times how much it raises the log failure rate.
   Stop when the rule holds (see below) or no narrowing helps.
2. *Trim* it so that it never drops a concept that changes the rate: while some value of a
   concept, or some pair of values of two concepts, inside the rule fails confidently less often
   than the threshold (the upper end of its Wilson 95% interval below it), remove that value.
   A rule "dropout in {north, south, east}" whose ``drift = 0`` slice passes is cut to the drift
   values that fail, and the slice that passes is left to no rule.
3. *Widen* it: try dropping each condition again; keep the wider rule when it still holds and,
   if trimming left that concept narrowed after all (no shorter), its rate is within the narrow
   rule's interval: a widening must not trade where failures gather for coverage.
4. Keep the rule if it covers failing states no earlier rule covers and its failure rate is
   known to reach the threshold (the lower end of its interval): that is "enough evidence", the
   bar for asking a person about it. A rule without it is grown again past where it first holds,
   until it holds with evidence; widening never trades that evidence away. Then learn the next
   rule, until the rules cover
   ``coverage`` of the failing states or ``max_rules`` are found.

A rule *holds* when its pooled failure rate reaches the threshold and no single value or pair of
values inside it passes confidently. Rules may overlap; each reports how many failing states it
covers and how many of those no earlier rule covered, and the list says which failing states no
rule covers. Everything is deterministic: the same landscape gives the same rules.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ffade.said_once import notes_said_once, say_notes
from ffade.summarize.landscape import Landscape, is_numeric, require_landscape
from ffade.summarize.regions import Region, describe_values
from ffade.summarize.rule_evidence import EvaluatedStates
from ffade.summarize.rule_evidence import reaches as reaches  # re-exported, as before

MAX_RULES = 6
"""Rules learned by default: more than a person reads at a glance says the grid has no short
description, which the uncovered share then shows."""

COVERAGE = 0.95
"""Share of failing states after which no further rule is learned."""


@dataclass
class Rule(Region):
    """One failure slice: a conjunction of conditions, one per concept it narrows.

    A :class:`Region` whose ``states`` are the evaluated states the rule holds (what a fine-tuner
    trains on) and whose counts are pooled over them, so feedback and comparisons treat rules
    and regions alike.

    Attributes:
        allowed: per concept, the grid indices the rule allows (all of them: not narrowed).
        failing_states: failing states (by the report's threshold) the rule covers.
        new_failing_states: of those, the ones no earlier rule covers.
        threshold: failure rate at which a state fails; the bar for ``enough_evidence``.
    """

    allowed: tuple[tuple[int, ...], ...] = ()
    failing_states: int = 0
    new_failing_states: int = 0
    threshold: float = 0.5

    @property
    def range_states(self) -> int:
        """All value combinations the conditions allow, evaluated or not."""
        return math.prod(len(a) for a in self.allowed)

    @property
    def enough_evidence(self) -> bool:
        """Whether the rule's failure rate reaches the threshold for sure (its CI's lower end)."""
        return reaches(self.confidence_interval[0], self.threshold)

    def to_dict(self, landscape: Landscape) -> dict[str, Any]:
        entry = super().to_dict(landscape)
        entry.update(
            kind="rule",
            failing_states=self.failing_states,
            new_failing_states=self.new_failing_states,
            enough_evidence=self.enough_evidence,
            allowed={
                label: [landscape.values[axis][i] for i in indices]
                for axis, (label, indices) in enumerate(
                    zip(landscape.labels, self.allowed, strict=True)
                )
                if len(indices) < len(landscape.values[axis])
            },
        )
        return entry


@dataclass
class RuleList:
    """The rules of one landscape and how much of its failing states they describe."""

    rules: list[Rule]
    failing_states: int
    covered_failing_states: int
    failed_evaluations: int
    covered_failed_evaluations: int

    @property
    def coverage(self) -> float:
        """Share of failing states some rule covers (1.0 when nothing fails)."""
        return self.covered_failing_states / self.failing_states if self.failing_states else 1.0

    def to_dict(self, landscape: Landscape) -> dict[str, Any]:
        return {
            "failing_states": self.failing_states,
            "covered_failing_states": self.covered_failing_states,
            "coverage": self.coverage,
            "failed_evaluations": self.failed_evaluations,
            "covered_failed_evaluations": self.covered_failed_evaluations,
            "rules": [rule.to_dict(landscape) for rule in self.rules],
        }


def find_rules(
    landscape: Landscape,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    max_rules: int = MAX_RULES,
    coverage: float = COVERAGE,
) -> RuleList:
    """The failure rules of a landscape, in the order learned (each covers what earlier ones
    left); see the module docstring for the method.

    Args:
        landscape: the run's landscape over all concepts.
        threshold: failure rate at which a state, and a rule, fails.
        min_evaluations: evaluations a state needs before it can count as failing.
        max_rules: the most rules to learn.
        coverage: stop once this share of failing states is covered.
    """
    data = EvaluatedStates(require_landscape(landscape), threshold, min_evaluations)
    covered = np.zeros(len(data.states), dtype=bool)
    rules: list[Rule] = []
    with notes_said_once():  # a capped concept's note, once, though each step narrows anew
        _learn(data, covered, rules, max_rules, coverage)
    return RuleList(
        rules=rules,
        failing_states=int(data.failing.sum()),
        covered_failing_states=int((covered & data.failing).sum()),
        failed_evaluations=int(data.f.sum()),
        covered_failed_evaluations=int(data.f[covered].sum()),
    )


def _learn(
    data: EvaluatedStates,
    covered: np.ndarray,
    rules: list[Rule],
    max_rules: int,
    coverage: float,
) -> None:
    """Sequential covering: append rules to ``rules`` and mark the states each holds in
    ``covered`` (both in place) until enough failing states are covered or no rule is found."""
    while len(rules) < max_rules and data.failing.any():
        if covered[data.failing].mean() >= coverage:
            break
        allowed = _widen(data, _trim(data, _grow(data, covered)), covered)
        if allowed is None or not data.evident(allowed):  # a narrower rule may have evidence
            narrower = _widen(data, _trim(data, _grow(data, covered, True)), covered)
            allowed = narrower if narrower is not None and data.evident(narrower) else allowed
        if allowed is None and not rules:
            allowed = _everywhere(data)
        if allowed is None:
            break
        inside = data.mask(allowed)
        rule = _rule(data, allowed, inside, covered)
        if not rule.new_failing_states or not rule.enough_evidence:
            break
        rules.append(rule)
        covered |= inside


def _grow(
    data: EvaluatedStates, covered: np.ndarray, to_evidence: bool = False
) -> list[np.ndarray]:
    """Narrow one concept at a time by FOIL gain until the rule holds (``to_evidence``: with
    its CI's lower end at the threshold) or nothing helps."""
    allowed = [np.ones(size, dtype=bool) for size in data.landscape.shape]
    # failures in failing states not yet covered: what a new rule is for
    new_f = np.where(data.failing & ~covered, data.f, 0.0)
    for _ in range(4 * len(allowed)):  # each step narrows; bounded so it always ends
        if data.holds(allowed) and (data.evident(allowed) or not to_evidence):
            break
        inside = data.mask(allowed)
        rate = data.f[inside].sum() / data.n[inside].sum()
        best, best_gain = None, 0.0
        for axis, size in enumerate(data.landscape.shape):
            # a narrowing's sums add its values' (whole numbers: exactly its states' sums)
            column, weights = data.states[inside, axis], (new_f, data.n, data.f)
            by_value = np.stack([np.bincount(column, w[inside], size) for w in weights])
            for (positives, n, f), span in _narrowings(data, allowed, axis, by_value):
                if positives <= 0:
                    continue
                gain = positives * (math.log(f / n) - math.log(rate))
                if gain > best_gain + 1e-9:
                    best, best_gain = (axis, span), gain
        if best is None:
            break
        allowed[best[0]] = np.zeros(len(allowed[best[0]]), dtype=bool)
        allowed[best[0]][best[1]] = True
    return allowed


def _narrowings(
    data: EvaluatedStates, allowed: list[np.ndarray], axis: int, by_value: np.ndarray
) -> list[tuple[tuple[float, float, float], np.ndarray]]:
    """The ways to narrow one concept, as (new failures, evaluations, failures) and the grid
    indices kept: every range of its allowed values (numeric, by value), or the values taken
    best-failing first (discrete: the optimal split's prefixes).

    Only spans whose sums differ are listed, each the first of its sums in the order the search
    has always read them (start, then end): a value with no evaluation inside the rule adds
    nothing, so a span that differs from an earlier one only by such values ties with it, and
    a tie never replaces the best. Spans that keep every evaluated value score no gain either.
    So a concept of thousands of values, of which a run evaluated dozens, costs dozens squared
    prefix-sum differences, not every range of its values each masked (its cube). ``by_value``:
    the three sums per grid index over the states inside the rule.
    """
    grid = data.landscape.values[axis]
    indices = np.flatnonzero(allowed[axis])
    if is_numeric(grid):
        ordered = np.array(sorted(indices, key=lambda i: grid[i]), dtype=int)
    else:
        rate = np.divide(by_value[2], by_value[1], out=np.zeros(len(grid)), where=by_value[1] > 0)
        ordered = np.array(sorted(indices, key=lambda i: (-rate[i], i)), dtype=int)
    sums = by_value[:, ordered]
    cumulative = np.concatenate([np.zeros((3, 1)), np.cumsum(sums, axis=1)], axis=1)
    # where each group of evaluated values ends (one value a group unless the axis is capped)
    ends = _span_ends(data, axis, np.flatnonzero(sums.any(axis=0)))
    starts = np.concatenate([[0], ends[:-1] + 1])
    found = []
    for first in range(len(ends) if is_numeric(grid) else 1):
        for last in range(first, len(ends)):
            if first == 0 and last == len(ends) - 1:
                continue  # every evaluated value: the rule's own rate, no gain
            start, stop = starts[first], ends[last] + 1
            total = cumulative[:, stop] - cumulative[:, start]
            found.append(((float(total[0]), float(total[1]), float(total[2])), ordered[start:stop]))
    return found


MAX_SPAN_ENDS = 300
"""Most groups of evaluated values a numeric concept's ranges start and end at (their square,
halved, is the ranges tried per narrowing step): past it, ranges start and end at about evenly
spaced evaluated values, and a note says so."""


def _span_ends(data: EvaluatedStates, axis: int, evaluated: np.ndarray) -> np.ndarray:
    """Positions (in value order) of the last value of each group a span may end at: each
    evaluated value, or, on a numeric axis with more than :data:`MAX_SPAN_ENDS` of them,
    :data:`MAX_SPAN_ENDS` groups of about as many evaluated values each."""
    if len(evaluated) <= MAX_SPAN_ENDS or not is_numeric(data.landscape.values[axis]):
        return evaluated
    say_notes(
        [
            f"concept '{data.landscape.labels[axis]}' has {len(evaluated)} evaluated values; "
            f"the failure rules read its ranges in {MAX_SPAN_ENDS} steps of about "
            f"{len(evaluated) // MAX_SPAN_ENDS} evaluated values, not every range"
        ]
    )
    cuts = np.linspace(0, len(evaluated), MAX_SPAN_ENDS + 1).round().astype(int)
    return evaluated[cuts[1:] - 1]


def _trim(data: EvaluatedStates, allowed: list[np.ndarray]) -> list[np.ndarray] | None:
    """Remove values that pass confidently inside the rule; None if nothing is left."""
    allowed = [a.copy() for a in allowed]
    while True:
        inside = data.mask(allowed)
        if not inside.any():
            return None
        passing = data.passing(inside)
        if passing is None:
            return allowed
        axis, index = passing
        allowed[axis][index] = False


def _widen(
    data: EvaluatedStates, allowed: list[np.ndarray] | None, covered: np.ndarray
) -> list[np.ndarray] | None:
    """Drop each condition in turn (then re-trim) while the wider rule still holds, keeps its
    evidence (its CI's lower end at the threshold: else the rule is dropped, not reported) and
    every failing state the narrow one newly covers: shorter rules read better."""
    if allowed is None:
        return None
    wanted = data.failing & ~covered
    for axis in range(len(allowed)):
        if allowed[axis].all():
            continue
        wider = [a.copy() for a in allowed]
        wider[axis][:] = True
        wider = _trim(data, wider)
        if (
            wider is not None
            and data.holds(wider)
            and data.evident(wider)
            and (_conditions(wider) < _conditions(allowed) or data.as_high(wider, allowed))
            and not (data.mask(allowed) & wanted & ~data.mask(wider)).any()
        ):
            allowed = wider
    return allowed if data.holds(allowed) else None


def _conditions(allowed: list[np.ndarray]) -> int:
    """How many concepts a rule narrows (a concept whose every value it allows is no condition)."""
    return sum(not a.all() for a in allowed)


def _everywhere(data: EvaluatedStates) -> list[np.ndarray] | None:
    """ "Anywhere" as the one rule, when failures are so even that no slice stands apart and
    the whole evaluated grid fails; None otherwise."""
    allowed = [np.ones(size, dtype=bool) for size in data.landscape.shape]
    return allowed if data.holds(allowed, apart=False) else None


def _rule(
    data: EvaluatedStates, allowed: list[np.ndarray], inside: np.ndarray, covered: np.ndarray
) -> Rule:
    landscape = data.landscape
    indices = tuple(tuple(int(i) for i in np.flatnonzero(a)) for a in allowed)
    parts = [
        describe_values(label, grid, np.asarray(used))
        for label, grid, used in zip(landscape.labels, landscape.values, indices, strict=True)
        if len(used) < len(grid)
    ]
    states = data.states[inside]
    digest = hashlib.sha1(
        (",".join(map(str, landscape.shape)) + ":" + repr(indices)).encode()
    ).hexdigest()
    return Rule(
        id=f"S-{digest[:8]}",
        states=states,
        evaluations=int(data.n[inside].sum()),
        failures=int(data.f[inside].sum()),
        conditions=" and ".join(parts) or "anywhere",
        allowed=indices,
        failing_states=int((inside & data.failing).sum()),
        new_failing_states=int((inside & data.failing & ~covered).sum()),
        threshold=data.threshold,
    )
