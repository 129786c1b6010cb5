from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from ffade.errors import FfadeError
from ffade.summarize.landscape import load_landscape, wilson_interval


@pytest.mark.parametrize(("failures", "evaluations"), [(0, 10), (5, 10), (10, 10), (108, 120)])
def test_wilson_matches_scipy(failures: int, evaluations: int) -> None:
    low, high = wilson_interval(failures, evaluations)
    expected = binomtest(failures, evaluations).proportion_ci(method="wilson")
    assert float(low) == pytest.approx(expected.low, abs=1e-9)
    assert float(high) == pytest.approx(expected.high, abs=1e-9)


def test_wilson_matches_scipy_on_every_count_up_to_forty_and_the_edges() -> None:
    """0 of n, n of n and n = 1 included, on arrays as the landscape passes them."""
    pairs = [(k, n) for n in range(1, 41) for k in range(n + 1)] + [(0, 1), (1, 1), (0, 5000)]
    low, high = wilson_interval(np.array([k for k, _ in pairs]), np.array([n for _, n in pairs]))
    for (k, n), lo, hi in zip(pairs, low, high, strict=True):
        expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert (lo, hi) == pytest.approx((expected.low, expected.high), abs=1e-12), (k, n)


def test_two_of_two_reads_as_docs_report_says() -> None:
    """docs/report.md: "With 2 of 2 failures the rate is 100% but the interval is 34-100%"."""
    low, high = wilson_interval(2, 2)
    assert (round(float(low) * 100), float(high)) == (34, 1.0)


@pytest.mark.parametrize(
    ("evaluations", "rate", "coverage"), [(20, 0.05, 0.9245), (5, 0.5, 0.9375)]
)
def test_wilson_coverage_at_small_counts_is_as_docs_report_says(
    evaluations: int, rate: float, coverage: float
) -> None:
    """docs/report.md: the interval holds the true rate 92.5% of the time at 20 evaluations and a
    rate of 5%, 93.75% at 5 and 50% (exact, over every count the binomial gives), not 95%."""
    from scipy.stats import binom

    counts = np.arange(evaluations + 1)
    low, high = wilson_interval(counts, np.full_like(counts, evaluations))
    inside = (low <= rate) & (rate <= high)
    assert binom.pmf(counts, evaluations, rate)[inside].sum() == pytest.approx(coverage, abs=1e-4)


def test_none_and_all_of_five_read_as_docs_report_says() -> None:
    """docs/report.md: "0 of 5 reads 0-43%, 5 of 5 57-100%": never [0, 0] or [1, 1]."""
    from ffade.shown_numbers import percent

    low, high = wilson_interval(np.array([0, 5]), np.array([5, 5]))
    shown = [
        f"{percent(lo, 'low')[:-1]}-{percent(hi, 'high')}" for lo, hi in zip(low, high, strict=True)
    ]
    assert shown == ["0-43%", "57-100%"]


def test_wilson_is_undefined_without_evaluations() -> None:
    low, high = wilson_interval(np.array([0, 1]), np.array([0, 2]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 0 < low[1] < high[1] <= 1


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_rate(counts: tuple[int, int]) -> None:
    failures, evaluations = counts
    low, high = wilson_interval(failures, evaluations)
    assert 0 <= low <= failures / evaluations <= high <= 1


GEOMETRY = {"rotation": [-10, 0, 30], "edit": ["typo", "none", "negate"], "gamma": [0.5, 2.0]}
"""An uneven numeric grid, an operator grid whose no-op is not first, and a grid without its no-op
(gamma 1.0), so no guess from the values alone gets the geometry right."""


def test_geometry_is_read_from_the_summary_not_guessed(make_run, space_of) -> None:
    neutral = {"edit": "none", "gamma": 1.0}
    space = space_of(GEOMETRY, neutral)
    landscape = load_landscape(make_run("geometry", GEOMETRY, {}, neutral=neutral))
    assert landscape.neutral == (1, 1, 0) == tuple(space.neutral)
    states = np.array([[0, 0, 0], [1, 2, 1], [2, 1, 0]])
    np.testing.assert_array_equal(landscape.coordinates(states), space.coordinates(states))
    assert landscape.coordinates(states)[1].tolist() == [0.25, 1.0, 1.0]  # rotation 0 of -10..30
    view = landscape.marginal(["gamma", "rotation"])
    assert view.neutral == (0, 1)
    assert [c.tolist() for c in view.grid_coordinates] == [[0.0, 1.0], [0.0, 0.25, 1.0]]


def test_a_summary_without_geometry_is_one_clear_error(make_run) -> None:
    old = [{"label": "rotation", "plugin": "rotation", "values": [0, 10]}]
    run = make_run("old", {"rotation": [0, 10]}, {}, concepts=old, neutral_state=[0])
    with pytest.raises(
        FfadeError,
        match=r"summary.json 'concepts'\[0\] \('rotation'\) lacks 'coordinates' and "
        r"'neutral_index': the run was written by an older ffade",
    ):
        load_landscape(run)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"coordinates": [0.0, 1.0]}, r"'coordinates' \[0.0, 1.0\] must list one number"),
        ({"coordinates": [0.0, 0.5, 2.0]}, r"'coordinates' \[0.0, 0.5, 2.0\] must list one"),
        ({"coordinates": [0.0, "a", 1.0]}, r"'coordinates' \[0.0, 'a', 1.0\] must list one"),
        ({"neutral_index": 3}, r"'neutral_index' 3 must be a grid index from 0 to 2"),
        ({"neutral_index": True}, r"'neutral_index' True must be a grid index"),
    ],
)
def test_malformed_geometry_is_refused(make_run, space_of, change, expected) -> None:
    concept = {**space_of({"rotation": [0, 10, 20]}).describe()[0], **change}
    run = make_run("bad", {"rotation": [0, 10, 20]}, {}, concepts=[concept])
    with pytest.raises(FfadeError, match=r"summary.json 'concepts'\[0\] " + expected):
        load_landscape(run)


def test_counts_rates_and_unvisited_states(make_run, image_concepts, image_run) -> None:
    landscape = load_landscape(image_run)
    assert landscape.labels == ["rotation", "brightness", "blur"]
    assert landscape.shape == (5, 5, 3)
    assert landscape.evaluations[3, 0, 1] == 10 and landscape.failures[3, 0, 1] == 9
    assert landscape.failure_rate[0, 4, 2] == 1.0
    assert landscape.failure_rate[0, 0, 0] == pytest.approx(0.1)

    sparse = load_landscape(make_run("sparse", image_concepts, {(1, 2, 0): (4, 1)}))
    assert sparse.evaluations.sum() == 4
    assert np.isnan(sparse.failure_rate[0, 0, 0])
    low, high = sparse.confidence_interval
    assert np.isnan(low[0, 0, 0]) and low[1, 2, 0] < 0.25 < high[1, 2, 0]


def test_marginal_pools_counts_over_the_other_concepts(image_run) -> None:
    landscape = load_landscape(image_run)
    view = landscape.marginal(["blur", "rotation"])
    assert view.labels == ["blur", "rotation"]
    assert view.pooled == ["brightness"]
    assert view.shape == (3, 5)
    # rotation 40, blur 0: brightness 0.2 and 0.4 fail 9/10, the other three 1/10
    assert view.evaluations[0, 4] == 50
    assert view.failures[0, 4] == 9 + 9 + 1 + 1 + 1
    np.testing.assert_array_equal(view.evaluations, landscape.evaluations.sum(axis=1).T)
    one = landscape.marginal([0])
    assert one.failure_rate[4] == pytest.approx((2 * 3 * 9 + 3 * 3 * 1) / 150)


def test_marginal_rejects_unknown_and_repeated_concepts(image_run) -> None:
    landscape = load_landscape(image_run)
    with pytest.raises(FfadeError, match=r"unknown concept 'hue'.*rotation, brightness, blur"):
        landscape.marginal(["hue"])
    with pytest.raises(FfadeError, match="repeat"):
        landscape.marginal(["blur", 2])


def test_policy_is_row_major_like_concept_space(make_run, image_concepts, space_of) -> None:
    policy = np.arange(75, dtype=float)
    run = make_run("policy", image_concepts, {}, policy=policy)
    landscape = load_landscape(run)
    space = space_of(image_concepts)
    state = np.array([3, 1, 2])
    assert landscape.policy[tuple(state)] == pytest.approx(policy[space.flat(state)] / policy.sum())
    assert landscape.marginal(["rotation"]).policy.sum() == pytest.approx(1.0)


def test_bad_run_directories_say_what_is_wrong(tmp_path, make_run, image_concepts) -> None:
    with pytest.raises(FfadeError, match="does not exist"):
        load_landscape(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FfadeError, match=r"summary.json not found"):
        load_landscape(tmp_path / "empty")

    off_grid = make_run("off", image_concepts, {})
    with open(off_grid / "evaluations.jsonl", "a") as log:
        record = {"step": 0, "input_id": 0, "state": [5, 0, 0], "concepts": {}}
        log.write(json.dumps({**record, "metric": 0, "reward": 0, "failed": True}) + "\n")
    with pytest.raises(FfadeError, match=r"line 1: state \[5, 0, 0\] is off the grid"):
        load_landscape(off_grid)

    wrong_policy = make_run("policy", image_concepts, {}, policy=np.ones(10))
    with pytest.raises(FfadeError, match="holds 10 probabilities but the concept grid has 75"):
        load_landscape(wrong_policy)

    no_concepts = make_run("noconcepts", image_concepts, {}, concepts=[])
    with pytest.raises(FfadeError, match="key 'concepts' is missing or empty"):
        load_landscape(no_concepts)


def test_a_grid_of_a_billion_states_holds_only_the_states_its_log_visited(
    tmp_path, space_of
) -> None:
    """10^9 states (nine concepts of ten values) used to be refused ("more than the 20,000,000 a
    landscape holds"), however few the log held: the landscape keeps the visited states, regions
    and rules are found on them, and only an array over the whole grid is refused, in one line."""
    import json

    import pytest

    from ffade.errors import FfadeError
    from ffade.records import RunRecorder
    from ffade.summarize.landscape import load_landscape
    from ffade.summarize.regions import find_regions
    from ffade.summarize.rules import find_rules

    recorder = RunRecorder(tmp_path)
    grid = space_of({f"edit{i}": list(range(10)) for i in range(9)}).describe()
    recorder.write_summary({"explorer": "dqn", "mode": "macroscopic", "concepts": grid})
    recorder.close()
    logged = [([9, 9, 0, 0, 0, 0, 0, 0, 1], True), ([9, 8, 0, 0, 0, 0, 0, 0, 1], True)] * 3
    logged += [([0] * 9, False)] * 6
    with open(tmp_path / "evaluations.jsonl", "w") as log:
        for step, (state, failed) in enumerate(logged):
            record = {"step": step, "input_id": 0, "state": state, "concepts": {}, "metric": 0}
            log.write(json.dumps({**record, "reward": 0, "failed": failed}) + "\n")
    landscape = load_landscape(tmp_path)
    assert landscape.num_states == 10**9
    assert landscape.states.tolist() == [[0] * 9, [9, 8, 0, 0, 0, 0, 0, 0, 1], logged[0][0]]
    assert landscape.visited_evaluations.tolist() == [6, 3, 3]
    assert landscape.visited_failures.tolist() == [0, 3, 3]
    (region,) = find_regions(landscape)
    assert region.states.tolist() == [[9, 8, 0, 0, 0, 0, 0, 0, 1], [9, 9, 0, 0, 0, 0, 0, 0, 1]]
    assert region.conditions == (
        "edit0 = 9 and edit1 >= 8 and "
        + " and ".join(f"edit{i} = 0" for i in range(2, 8))
        + " and edit8 = 1"
    )
    assert find_rules(landscape).covered_failing_states == 2
    assert landscape.marginal(["edit1"]).evaluations.tolist() == [6] + [0] * 7 + [3, 3]
    with pytest.raises(FfadeError, match=r"1e\+09 states, more than the 20,000,000 an array"):
        landscape.evaluations  # noqa: B018 (the property is the test)


def test_a_state_off_the_grid_is_named_by_its_line_in_the_log(
    tmp_path, make_run, image_concepts
) -> None:
    """A damaged line skipped before it does not shift the number the error gives: the user
    opens evaluations.jsonl at that line and finds the off-grid state, not a good record."""
    run = make_run("off", image_concepts, {})
    record = {"step": 0, "input_id": 0, "concepts": {}, "metric": 0, "reward": 0, "failed": True}
    with open(run / "evaluations.jsonl", "a") as log:
        log.write("not a record\n")  # line 1: skipped as damaged
        log.write(json.dumps({**record, "state": [0, 0, 0]}) + "\n")  # line 2: fine
        log.write(json.dumps({**record, "state": [0, 9, 0]}) + "\n")  # line 3: off the grid
    with pytest.raises(FfadeError, match=r"evaluations.jsonl line 3: state \[0, 9, 0\] is off"):
        load_landscape(run)


def test_a_run_directory_where_a_landscape_goes_is_one_line(image_run) -> None:
    """The Python helpers docs/report.md names take a Landscape; a run directory passed as it
    was an AttributeError ('str' object has no attribute 'evaluations') deep inside."""
    from ffade import summarize

    landscape = load_landscape(image_run)
    path = str(image_run)
    expected = (
        f"expected a Landscape, got {path!r}; read a run's with "
        "ffade.summarize.load_landscape(run_dir)"
    )
    for call in (
        lambda: summarize.find_rules(path),
        lambda: summarize.find_regions(path),
        lambda: summarize.smallest_failing_changes(path),
        lambda: summarize.wasserstein_distance(landscape, path),
        lambda: summarize.barycenter([path, landscape]),
    ):
        with pytest.raises(FfadeError) as error:
            call()
        assert str(error.value) == expected
    with pytest.raises(FfadeError) as error:  # not pathlib's TypeError
        load_landscape(5)
    assert str(error.value) == "load_landscape: expected a run directory (a path), got 5"


def test_a_landscape_given_for_a_run_directory_is_said_by_its_type_in_one_line() -> None:
    """load_landscape(landscape) quoted the Landscape's repr: every count array, 100+ lines."""
    from ffade.summarize.landscape import Landscape

    counts = np.zeros((10, 10), dtype=int)
    grid = [np.linspace(0, 1, 10)] * 2
    landscape = Landscape.from_counts(
        ["a", "b"], [list(range(10))] * 2, grid, counts, counts, (0, 0)
    )
    with pytest.raises(FfadeError) as error:
        load_landscape(landscape)
    expected = "load_landscape: expected a run directory (a path), got a Landscape"
    assert str(error.value) == expected
