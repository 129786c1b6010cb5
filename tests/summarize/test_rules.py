from __future__ import annotations

import numpy as np

from ffade.summarize.landscape import load_landscape
from ffade.summarize.regions import find_regions
from ffade.summarize.rules import find_rules

C_GRID = {"sensor_dropout": ["none", "north", "south", "east", "west"], "drift": [-2, -1, 0, 1, 2]}


def c_shaped(state: tuple[int, ...]) -> tuple[int, int]:
    """West fails at every drift; north, south and east only away from drift 0; none never."""
    dropout, drift = state
    fails = dropout == 4 or (dropout in (1, 2, 3) and drift != 2)
    return (20, 19) if fails else (20, 0)


def test_a_rule_never_drops_a_concept_that_changes_the_rate(make_run) -> None:
    landscape = load_landscape(make_run("c", C_GRID, c_shaped))
    # connected regions see one C-shaped blob and name it by dropout alone: all values but none
    (region,) = find_regions(landscape)
    assert region.conditions == "sensor_dropout != none"
    found = find_rules(landscape)
    assert found.coverage == 1.0
    for rule in found.rules:
        for dropout in (1, 2, 3):  # north, south and east pass at drift 0: no rule may hold them
            assert not (dropout in rule.allowed[0] and 2 in rule.allowed[1]), rule.description
    assert [r.conditions for r in found.rules] == [
        "sensor_dropout != none and drift != 0",
        "sensor_dropout = west",
    ]


def test_rules_report_support_rate_interval_and_evidence(make_run) -> None:
    grid = {"blur": [0, 1, 2, 3], "contrast": [0.8, 0.9, 1.0, 1.1]}

    def counts(state: tuple[int, ...]) -> tuple[int, int]:
        blur, contrast = state
        return (10, 9) if blur >= 2 and contrast <= 1 else (10, 1)

    landscape = load_landscape(make_run("planted", grid, counts))
    (rule,) = find_rules(landscape).rules
    assert rule.description == (
        "blur >= 2 and contrast <= 0.9: 90% failure (95% CI 77-96%), 40 evaluations"
    )
    assert (rule.evaluations, rule.failures) == (40, 36)
    assert rule.enough_evidence and rule.failing_states == rule.new_failing_states == 4
    assert rule.range_states == 4 and rule.num_states == 4


def test_a_grid_failing_evenly_everywhere_is_one_rule_anywhere(make_run) -> None:
    found = find_rules(load_landscape(make_run("all", C_GRID, lambda s: (10, 9))))
    assert [r.conditions for r in found.rules] == ["anywhere"]
    assert found.coverage == 1.0


def test_nothing_failing_means_no_rules(make_run) -> None:
    found = find_rules(load_landscape(make_run("none", C_GRID, lambda s: (10, 0))))
    assert found.rules == [] and found.coverage == 1.0


def test_too_little_evidence_is_no_rule(make_run) -> None:
    # one state failing its only two evaluations: its rate is not known to reach 50%
    counts = {(4, 4): (2, 2), **{(0, d): (10, 0) for d in range(5)}}
    found = find_rules(load_landscape(make_run("thin", C_GRID, counts)))
    assert found.rules == [] and found.failing_states == 1 and found.coverage == 0.0


def test_rules_are_deterministic_and_ids_stable(make_run) -> None:
    run = make_run("c", C_GRID, c_shaped)
    first, again = find_rules(load_landscape(run)), find_rules(load_landscape(run))
    assert [(r.id, r.conditions) for r in first.rules] == [
        (r.id, r.conditions) for r in again.rules
    ]
    assert all(r.id.startswith("S-") for r in first.rules)
    assert np.array_equal(first.rules[0].states, again.rules[0].states)


def test_a_widening_as_long_as_the_rule_must_keep_its_rate(make_run) -> None:
    """Dropping "blur >= 3" and trimming back the one cell that passes gives "blur != 1": no
    shorter, and at a lower rate (the quickstart's blur rule became 91% "anywhere but
    blur 1" this way). It is refused, so the rule that says where failures gather stays."""
    grid = {"blur": [0, 1, 2, 3, 4], "contrast": [0.8, 0.9, 1.0]}

    def counts(state: tuple[int, ...]) -> tuple[int, int]:
        blur, contrast = state
        if blur == 1 and contrast == 2:
            return (40, 0)  # passes for sure
        return (20, 19) if blur >= 3 else (20, 13)

    found = find_rules(load_landscape(make_run("gap", grid, counts)))
    assert found.rules[0].conditions == "blur >= 3"


def test_a_widening_never_costs_the_rule_its_evidence(make_run) -> None:
    """Failures only at blur 2 and 3 (9 of 9): "blur between 2 and 3" holds with CI 70-100%.
    Widening to all blur values and trimming those that pass for sure left blur 0 (0 of 3, not
    yet passing for sure): "blur in {0, 2, 3}", 9 of 12, CI 47-91%, not enough evidence, so the
    run got no rule at all (a synthetic run, seed 3, had exactly these counts)."""
    grid = {"blur": [0.0, 0.1, 0.3, 0.35, 0.7, 1.0]}
    counts = {(0,): (3, 0), (1,): (7, 0), (2,): (3, 3), (3,): (6, 6), (4,): (6, 0), (5,): (5, 0)}
    found = find_rules(load_landscape(make_run("widened", grid, counts)))
    assert [r.description for r in found.rules] == [
        "blur between 0.3 and 0.35: 100% failure (95% CI 70-100%), 9 evaluations"
    ]
    assert found.coverage == 1.0


def test_a_rule_that_holds_without_evidence_is_grown_on_to_one_with_it(make_run) -> None:
    """At threshold 75%, blur 1 (10 of 12) and 2 (12 of 12) fail: "blur >= 1", 22 of 24, holds
    (92%) but its CI starts at 74%, so it is no rule, and growing stopped there: the run had
    none, though "blur = 2" (CI 76-100%) has the evidence. (A synthetic run, reported with
    --threshold 0.6 --min-evaluations 2, lost its 17-of-17 rule this way.)"""
    counts = {(0,): (4, 0), (1,): (12, 10), (2,): (12, 12)}
    landscape = load_landscape(make_run("thin-edge", {"blur": [0, 1, 2]}, counts))
    found = find_rules(landscape, threshold=0.75)
    assert [r.description for r in found.rules] == [
        "blur = 2: 100% failure (95% CI 76-100%), 12 evaluations"
    ]
    assert found.failing_states == 2 and found.covered_failing_states == 1
