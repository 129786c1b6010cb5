"""The rule search's narrowings: on a concept of thousands of values it lists the spans that
can differ (their ends at evaluated values), and it finds the rules the brute-force search
(every range of every concept's values, each masked) finds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ffade.summarize.grid import is_numeric
from ffade.summarize.landscape import Landscape
from ffade.summarize.rule_evidence import EvaluatedStates
from ffade.summarize.rules import (
    MAX_SPAN_ENDS,
    Rule,
    RuleList,
    _everywhere,
    _narrowings,
    _rule,
    _trim,
    _widen,
    find_rules,
)


def landscape_of(values: list[list], evaluations: np.ndarray, failures: np.ndarray) -> Landscape:
    return Landscape.from_counts(
        labels=[f"c{i}" for i in range(len(values))],
        values=values,
        grid_coordinates=[np.linspace(0, 1, len(v)) for v in values],
        evaluations=evaluations,
        failures=failures,
        neutral=(0,) * len(values),
    )


def brute_force_narrowings(data: EvaluatedStates, allowed: list, axis: int, inside: np.ndarray):
    """The search as it was: every range (numeric) or best-failing prefix (discrete), masked."""
    grid = data.landscape.values[axis]
    indices = np.flatnonzero(allowed[axis])
    if is_numeric(grid):
        ordered = sorted(indices, key=lambda i: grid[i])
        spans = [ordered[i:j] for i in range(len(ordered)) for j in range(i + 1, len(ordered) + 1)]
    else:
        column = data.states[inside, axis]
        n = np.bincount(column, data.n[inside], len(grid))
        f = np.bincount(column, data.f[inside], len(grid))
        rate = np.divide(f, n, out=np.zeros_like(f), where=n > 0)
        ordered = sorted(indices, key=lambda i: (-rate[i], i))
        spans = [ordered[:j] for j in range(1, len(ordered) + 1)]
    for span in spans:
        if len(span) < len(indices):
            mask = np.zeros(len(grid), dtype=bool)
            mask[list(span)] = True
            yield mask


def brute_force_grow(data: EvaluatedStates, covered: np.ndarray, to_evidence: bool = False):
    allowed = [np.ones(size, dtype=bool) for size in data.landscape.shape]
    new_f = np.where(data.failing & ~covered, data.f, 0.0)
    for _ in range(4 * len(allowed)):
        if data.holds(allowed) and (data.evident(allowed) or not to_evidence):
            break
        inside = data.mask(allowed)
        rate = data.f[inside].sum() / data.n[inside].sum()
        best, best_gain = None, 0.0
        for axis, size in enumerate(data.landscape.shape):
            column = data.states[inside, axis]
            by_value = [np.bincount(column, w[inside], size) for w in (new_f, data.n, data.f)]
            for candidate in brute_force_narrowings(data, allowed, axis, inside):
                positives, n, f = (sums[candidate].sum() for sums in by_value)
                if positives <= 0:
                    continue
                gain = positives * (math.log(f / n) - math.log(rate))
                if gain > best_gain + 1e-9:
                    best, best_gain = (axis, candidate), gain
        if best is None:
            break
        allowed[best[0]] = best[1]
    return allowed


def brute_force_rules(landscape: Landscape) -> list[Rule]:
    """find_rules' covering loop over the brute-force growth."""
    data = EvaluatedStates(landscape, 0.5, 1)
    covered = np.zeros(len(data.states), dtype=bool)
    rules: list[Rule] = []
    while len(rules) < 6 and data.failing.any():
        if covered[data.failing].mean() >= 0.95:
            break
        allowed = _widen(data, _trim(data, brute_force_grow(data, covered)), covered)
        if allowed is None or not data.evident(allowed):
            narrower = _widen(data, _trim(data, brute_force_grow(data, covered, True)), covered)
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
    return rules


def summary(found: list[Rule]) -> list[tuple]:
    return [(r.id, r.conditions, r.allowed, r.evaluations, r.failures) for r in found]


def random_landscape(rng: np.random.Generator) -> Landscape:
    """2-3 concepts of 1-7 values, numeric (unsorted) or words; some states never evaluated;
    failures planted in a box, plus noise."""
    values = []
    for _ in range(rng.integers(2, 4)):
        size = int(rng.integers(1, 8))
        if rng.random() < 0.3:
            values.append([f"w{i}" for i in rng.permutation(size)])
        else:
            values.append([float(v) for v in rng.permutation(size) * 0.5])
    shape = tuple(len(v) for v in values)
    evaluations = rng.integers(1, 6, shape) * (rng.random(shape) < rng.uniform(0.2, 1.0))
    box = np.ones(shape, dtype=bool)
    for axis, size in enumerate(shape):
        low, high = sorted(rng.integers(0, size + 1, 2))
        keep = np.zeros(size, dtype=bool)
        keep[low : high + 1] = True
        box &= keep.reshape([-1 if a == axis else 1 for a in range(len(shape))])
    rate = np.where(box, rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.4))
    failures = rng.binomial(evaluations, np.clip(rate + rng.normal(0, 0.1, shape), 0, 1))
    return landscape_of(values, evaluations, failures)


def test_the_rules_are_those_of_the_brute_force_search_on_small_random_grids() -> None:
    rng = np.random.default_rng(7)
    found_some = 0
    for _ in range(120):
        landscape = random_landscape(rng)
        fast = find_rules(landscape)
        assert isinstance(fast, RuleList)
        assert summary(fast.rules) == summary(brute_force_rules(landscape))
        found_some += bool(fast.rules)
    assert found_some > 30  # the comparison is about rules, not only about finding none


def planted_long_axis(size: int, evaluated: int, seed: int = 0) -> Landscape:
    """One concept of ``size`` values, ``evaluated`` of them evaluated (10 times each, with a
    second concept of 3 values); values in the middle fifth fail 9 of 10, the rest 1 of 10."""
    rng = np.random.default_rng(seed)
    evaluations = np.zeros((size, 3), dtype=int)
    failures = np.zeros((size, 3), dtype=int)
    seen = rng.choice(size, evaluated, replace=False)
    evaluations[seen, 1] = 10
    middle = (seen >= 2 * size // 5) & (seen < 3 * size // 5)
    failures[seen, 1] = np.where(middle, 9, 1)
    values = [[round(i / (size - 1), 4) for i in range(size)], [0, 1, 2]]
    return landscape_of(values, evaluations, failures)


def test_a_5001_value_concept_lists_spans_between_evaluated_values_only() -> None:
    landscape = planted_long_axis(5001, 60)
    data = EvaluatedStates(landscape, 0.5, 1)
    allowed = [np.ones(size, dtype=bool) for size in landscape.shape]
    inside = data.mask(allowed)
    by_value = np.stack(
        [np.bincount(data.states[inside, 0], w[inside], 5001) for w in (data.f, data.n, data.f)]
    )
    spans = _narrowings(data, allowed, 0, by_value)
    # 60 evaluated values: 60 * 61 / 2 ranges less the whole; brute force: 5001 * 5002 / 2
    assert len(spans) == 60 * 61 // 2 - 1
    found = find_rules(landscape)
    (rule,) = found.rules  # the failing fifth's evaluated states, and only them
    assert found.coverage == 1.0
    assert (rule.evaluations, rule.failures) == (rule.num_states * 10, rule.num_states * 9)


def test_an_axis_past_the_cap_is_read_in_steps_and_says_so(capsys: pytest.CaptureFixture) -> None:
    evaluated = 2 * MAX_SPAN_ENDS
    landscape = planted_long_axis(5001, evaluated, seed=1)
    found = find_rules(landscape)
    (rule,) = found.rules  # steps of 2 evaluated values still find the failing fifth
    assert found.coverage == 1.0
    assert (rule.evaluations, rule.failures) == (rule.num_states * 10, rule.num_states * 9)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"ffade: note: concept 'c0' has {evaluated} evaluated values; the failure rules read "
        f"its ranges in {MAX_SPAN_ENDS} steps of about 2 evaluated values, not every range"
    ]
