"""Failures that need no change (ffade.summarize.start_failures), on planted runs."""

from __future__ import annotations

from ffade.summarize.landscape import load_landscape
from ffade.summarize.start_failures import failures_only_at_start

GRID = {"x": [0, 1, 2, 3], "y": [0, 1]}
AT_NEUTRAL = {(0, 0): (8, 4), (1, 0): (8, 0), (0, 1): (8, 0)}
"""Half the inputs fail unchanged and at no other state: no rule's rate is known to reach 50%."""


def test_failures_only_at_the_neutral_start_are_said_to_need_no_change(make_run) -> None:
    run = make_run("run", GRID, AT_NEUTRAL, mode="microscopic", start_state=[0, 0])
    assert failures_only_at_start(load_landscape(run), [0, 0]) == (
        "every failure is at the neutral start state: those inputs fail unchanged, so no "
        "concept value is to blame"
    )
    macro = make_run("macro", GRID, AT_NEUTRAL)  # a macroscopic run has no start state
    assert failures_only_at_start(load_landscape(macro), [0, 0]).startswith(
        "every failure is at the neutral state: those inputs fail unchanged"
    )


def test_failures_only_at_a_start_state_that_changes_the_inputs_need_no_move(make_run) -> None:
    counts = {(2, 1): (8, 4), (1, 1): (8, 0), (2, 0): (8, 0)}
    run = make_run("run", GRID, counts, mode="microscopic", start_state=[2, 1])
    assert failures_only_at_start(load_landscape(run), [2, 1]) == (
        "every failure is at the start state (x = 2, y = 1): those inputs fail before any move, "
        "so no move is to blame"
    )


def test_failures_elsewhere_or_none_at_all_are_not_said_to_be_at_the_start(make_run) -> None:
    elsewhere = {**AT_NEUTRAL, (1, 0): (8, 1)}  # one failure a change made
    run = make_run("run", GRID, elsewhere, mode="microscopic", start_state=[0, 0])
    assert failures_only_at_start(load_landscape(run), [0, 0]) is None
    other = make_run("other", GRID, {(1, 0): (8, 4), (0, 0): (8, 0)}, mode="microscopic")
    assert failures_only_at_start(load_landscape(other), [0, 0]) is None  # not the start's
    none = make_run("none", GRID, {(0, 0): (8, 0)}, mode="microscopic")
    assert failures_only_at_start(load_landscape(none), [0, 0]) is None
