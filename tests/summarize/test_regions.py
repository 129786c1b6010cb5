from __future__ import annotations

import numpy as np
import pytest

from ffade.errors import FfadeError
from ffade.summarize.landscape import Landscape, load_landscape
from ffade.summarize.regions import (
    describe_states,
    describe_values,
    find_regions,
    smallest_failing_changes,
)
from ffade.summarize.rules import find_rules

PLANTED = "rotation >= 30 and brightness <= 0.4: 90% failure (95% CI 83-94%), 120 evaluations"
LONE = "rotation = 0 and brightness = 1 and blur = 2: 100% failure (95% CI 34-100%), 2 evaluations"


def test_planted_regions_are_found_named_and_ranked(image_run) -> None:
    regions = find_regions(load_landscape(image_run))
    assert [r.description for r in regions] == [PLANTED, LONE]
    big = regions[0]
    assert big.num_states == 12
    assert (big.evaluations, big.failures) == (120, 108)
    assert {tuple(s) for s in big.states} == {
        (rotation, brightness, blur)
        for rotation in (3, 4)
        for brightness in (0, 1)
        for blur in (0, 1, 2)
    }
    low, high = big.confidence_interval
    assert low == pytest.approx(0.8333, abs=1e-4) and high == pytest.approx(0.9419, abs=1e-4)


def test_region_ids_are_stable(image_run, make_run, image_concepts) -> None:
    first = find_regions(load_landscape(image_run))
    again = find_regions(load_landscape(image_run))
    assert [r.id for r in first] == [r.id for r in again]
    assert len({r.id for r in first}) == len(first)
    # another run failing on exactly the big region's states gives it the same id
    only_big = make_run(
        "only_big", image_concepts, lambda s: (5, 5) if s[0] >= 3 and s[1] <= 1 else (5, 0)
    )
    assert find_regions(load_landscape(only_big))[0].id == first[0].id


def test_threshold_and_min_evaluations_decide_what_fails(image_run) -> None:
    landscape = load_landscape(image_run)
    assert [r.description for r in find_regions(landscape, min_evaluations=3)] == [PLANTED]
    assert find_regions(landscape, threshold=0.95, min_evaluations=3) == []
    # at 10% every evaluated state fails, so the whole grid is one region
    (everything,) = find_regions(landscape, threshold=0.1)
    assert everything.conditions == "anywhere"
    with pytest.raises(FfadeError, match="threshold"):
        find_regions(landscape, threshold=0)
    # from Python, a str or a fraction of an evaluation is named, not a TypeError from numpy
    with pytest.raises(FfadeError) as error:
        find_rules(landscape, threshold="0.5")
    assert str(error.value) == "threshold: expected a failure rate in (0, 1], got '0.5'"
    with pytest.raises(FfadeError) as error:
        find_regions(landscape, min_evaluations=2.5)
    assert str(error.value) == "min_evaluations: expected a whole number from 1, got 2.5"


def test_a_region_touching_every_value_but_not_every_state_is_not_anywhere(make_run) -> None:
    grid = {"a": [0, 1, 2], "b": [0, 1, 2]}
    cross = {(0, 1), (1, 1), (2, 1), (1, 0), (1, 2)}
    run = make_run("cross", grid, lambda s: (4, 4) if tuple(s) in cross else (4, 0))
    (region,) = find_regions(load_landscape(run))
    assert region.num_states == 5
    assert region.conditions == "spread over the whole grid, most where a = 1 (3 of its 5 states)"
    # a ring round the centre concentrates nowhere: no range holds much beyond its share
    ring = {(a, b) for a in range(3) for b in range(3)} - {(1, 1)}
    run = make_run("ring", grid, lambda s: (4, 4) if tuple(s) in ring else (4, 0))
    (region,) = find_regions(load_landscape(run))
    assert region.conditions == "spread over the whole grid" and region.num_states == 8


def test_diagonal_states_are_separate_regions(make_run) -> None:
    grid = {"a": [0, 1, 2], "b": [0, 1, 2]}
    run = make_run("diagonal", grid, {(0, 0): (4, 4), (1, 1): (4, 4), (2, 1): (4, 3)})
    regions = find_regions(load_landscape(run))
    assert [r.conditions for r in regions] == ["a >= 1 and b = 1", "a = 0 and b = 0"]


def test_describe_numeric_ranges_and_discrete_sets(make_run) -> None:
    grid = {
        "edit": ["none", "lowercase", "negate", "shuffle words", "typo"],
        "gamma": [0.5, 0.8, 1.0, 1.5, 2.0],
    }
    landscape = load_landscape(make_run("text", grid, {}))

    def describe(*states: tuple[int, int]) -> str:
        return describe_states(landscape, np.array(states))

    assert (
        describe((2, 1), (3, 1), (3, 2))
        == "edit in {negate, shuffle words} and gamma between 0.8 and 1"
    )
    assert describe((2, 3), (2, 4)) == "edit = negate and gamma >= 1.5"
    assert describe((0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (4, 1)) == "gamma <= 0.8"


def test_unsorted_numeric_grid_is_described_by_value(make_run) -> None:
    landscape = load_landscape(make_run("unsorted", {"rotation": [0, 30, 10, 20]}, {}))
    assert describe_states(landscape, np.array([[1], [3]])) == "rotation >= 20"
    assert describe_states(landscape, np.array([[1], [2]])) == "rotation in {10, 30}"


def test_smallest_failing_change_per_concept_and_overall(make_run) -> None:
    grid = {"rotation": [-20, -10, 0, 10, 20], "blur": [0, 1, 2, 3], "edit": ["typo", "none"]}
    counts = {
        (4, 0, 1): (5, 4),  # rotation 20 alone fails
        (0, 0, 1): (5, 5),  # rotation -20 alone fails too: as far as 20, lower index wins
        (2, 3, 1): (5, 3),  # blur 3 alone fails
        (3, 1, 1): (5, 5),  # rotation 10 with blur 1: the closest failure overall
        (2, 0, 0): (5, 1),  # typo alone passes
    }
    run = make_run("micro", grid, counts, neutral={"edit": "none"}, mode="microscopic")
    changes = smallest_failing_changes(load_landscape(run))
    assert changes["neutral_values"] == {"rotation": 0, "blur": 0, "edit": "none"}
    rotation, blur, edit = changes["per_concept"]
    assert rotation["value"] == -20 and rotation["failure_rate"] == 1.0
    assert blur["description"] == "blur = 3 (neutral 0): 60% failure (95% CI 23-88%), 5 evaluations"
    # typo fails 1 of 5: no failing state, but said with its counts, as the per-input table would
    assert edit["value"] is None and edit["description"] == (
        "edit = typo (neutral none): 20% failure (95% CI 4-62%), 5 evaluations, below the "
        "threshold for a failing state"
    )
    quiet = smallest_failing_changes(load_landscape(make_run("q", grid, {(2, 0, 0): (5, 0)})))
    assert quiet["per_concept"][2]["description"] == "edit: no failure from a change of edit alone"
    overall = changes["overall"]
    assert overall["state_values"] == {"rotation": 10, "blur": 1, "edit": "none"}
    assert overall["description"].startswith("rotation = 10 and blur = 1 (distance 0.417")


def test_a_concept_with_one_value_says_it_has_no_change_to_make(make_run) -> None:
    """A one-value grid (``values: [0.0]``) can never change, so its row said "no failure from a
    change of axis1 alone", as if changes were tried and passed; it now says there is none."""
    grid = {"axis0": [0, 1, 2], "axis1": [0]}
    run = make_run("one", grid, {(2, 0): (4, 4), (0, 0): (4, 0)}, mode="microscopic")
    axis0, axis1 = smallest_failing_changes(load_landscape(run))["per_concept"]
    assert axis0["value"] == 2
    assert axis1["value"] is None
    assert axis1["description"] == "axis1: its grid holds only 0: no change"


def test_a_region_that_does_not_fill_its_ranges_says_so(make_run) -> None:
    grid = {"a": [0, 1, 2], "b": [0, 1, 2]}
    run = make_run("ell", grid, {(1, 1): (2, 2), (2, 1): (2, 2), (2, 2): (2, 2), (0, 0): (2, 0)})
    (region,) = find_regions(load_landscape(run))
    assert region.conditions == "a >= 1 and b >= 1"
    assert (region.num_states, region.range_states) == (3, 4)


def test_an_empty_grid_value_is_written_readably() -> None:
    """prompt_words' neutral value is "": rules read "style in {, thin}" before."""
    grid = ["", "thin", "cursive", "messy"]
    assert describe_values("style", grid, np.array([0, 1])) == 'style in {"", thin}'
    assert describe_values("style", grid, np.array([1, 2, 3])) == 'style != ""'
    assert describe_values("style", grid, np.array([0])) == 'style = ""'
    assert describe_values("style", grid, np.array([2])) == "style = cursive"


def test_a_word_with_a_comma_is_quoted_so_a_set_reads_as_its_values() -> None:
    """'edit in {a, b, c|d}' read as three values where the grid held two: 'a, b' and 'c|d'."""
    grid = ["none", "a, b", "c|d", "{x}", "中文"]
    assert describe_values("edit", grid, np.array([1, 2])) == 'edit in {"a, b", c|d}'
    assert describe_values("edit", grid, np.array([3, 4])) == 'edit in {"{x}", 中文}'
    assert describe_values("edit", grid, np.array([1])) == 'edit = "a, b"'


def test_values_six_digits_would_merge_are_told_apart() -> None:
    """'{value:g}' keeps 6 digits: a grid of 1.0000001 and 1.0000002 read 'x in {1, 1}'."""
    grid = [0.0, 1.0000001, 1.0000002, 1.0000003, 0.1 * 3, 1e-9, 1e9, -5.0]
    assert describe_values("x", grid, np.array([1, 3])) == "x in {1.0000001, 1.0000003}"
    assert describe_values("x", grid, np.array([4])) == "x = 0.3"  # 0.30000000000000004
    assert describe_values("x", grid, np.array([5, 6])) == "x in {1e-09, 1e+09}"
    assert describe_values("x", grid, np.array([7, 0])) == "x <= 0"  # -5 and 0, the lowest


def test_regions_over_twenty_concepts_cost_the_failing_states_not_three_to_the_twentieth() -> None:
    """ndimage.label's neighbourhood over 20 concepts is 3^20 cells: on this 2^20-state grid
    `ffade report` asked numpy for 520 GiB and died with a MemoryError."""
    shape = (2,) * 20
    evaluations = np.zeros(shape, np.int64)
    failures = np.zeros(shape, np.int64)
    pair = [(1,) * 19 + (0,), (1,) * 20]  # one step apart along the last concept
    lone = (0, 1) * 10
    for state in [*pair, lone]:
        evaluations[state], failures[state] = 4, 4
    evaluations[(0,) * 20] = 4  # passes: joins nothing
    landscape = Landscape.from_counts(
        labels=[f"c{i}" for i in range(20)],
        values=[[0, 1]] * 20,
        grid_coordinates=[np.array([0.0, 1.0])] * 20,
        evaluations=evaluations,
        failures=failures,
        neutral=(0,) * 20,
    )
    regions = find_regions(landscape)
    assert [sorted(map(tuple, r.states.tolist())) for r in regions] == [pair, [lone]]
    assert regions[0].conditions == " and ".join(f"c{i} = 1" for i in range(19))
