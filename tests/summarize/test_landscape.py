from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from ffade.concepts import ConceptSpace
from ffade.errors import FfadeError
from ffade.plugin_api import Concept
from ffade.summarize.landscape import grid_coordinates, load_landscape, wilson_interval


class _Stub(Concept):
    """A concept with a given grid, to check our coordinates against the core's."""

    plugin_name: ClassVar[str] = "stub"

    def check_value(self, value: Any) -> None:
        pass

    def apply(self, inputs: Any, value: Any) -> Any:
        return inputs


@pytest.mark.parametrize(("failures", "evaluations"), [(0, 10), (5, 10), (10, 10), (108, 120)])
def test_wilson_matches_scipy(failures: int, evaluations: int) -> None:
    low, high = wilson_interval(failures, evaluations)
    expected = binomtest(failures, evaluations).proportion_ci(method="wilson")
    assert float(low) == pytest.approx(expected.low, abs=1e-9)
    assert float(high) == pytest.approx(expected.high, abs=1e-9)


def test_wilson_is_undefined_without_evaluations() -> None:
    low, high = wilson_interval(np.array([0, 1]), np.array([0, 2]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 0 < low[1] < high[1] <= 1


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_rate(counts: tuple[int, int]) -> None:
    failures, evaluations = counts
    low, high = wilson_interval(failures, evaluations)
    assert 0 <= low <= failures / evaluations <= high <= 1


@pytest.mark.parametrize(
    "values", [[0, 10, 40], [5.0, -5.0, 0.0], ["lowercase", "negate", "typo"], [3], [0.5, 0.5001]]
)
def test_grid_coordinates_match_the_core(values: list[Any]) -> None:
    np.testing.assert_allclose(grid_coordinates(values), _Stub(values).coordinates())


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


def test_policy_is_row_major_like_concept_space(make_run, image_concepts) -> None:
    policy = np.arange(75, dtype=float)
    run = make_run("policy", image_concepts, {}, policy=policy)
    landscape = load_landscape(run)
    space = ConceptSpace([_Stub(v, label=k) for k, v in image_concepts.items()])
    state = np.array([3, 1, 2])
    assert landscape.policy[tuple(state)] == pytest.approx(policy[space.flat(state)] / policy.sum())
    assert landscape.marginal(["rotation"]).policy.sum() == pytest.approx(1.0)


def test_neutral_state(make_run) -> None:
    concepts = {"rotation": [-10, 0, 10], "edit": ["typo", "none"], "gamma": [0.5, 2.0]}
    assert load_landscape(make_run("a", concepts, {})).neutral == (1, 1, 0)
    given_run = make_run("b", concepts, {}, neutral_state=[2, 0, 1])
    assert load_landscape(given_run).neutral == (2, 0, 1)
    with pytest.raises(FfadeError, match="'neutral_state'"):
        load_landscape(make_run("c", concepts, {}, neutral_state=[3, 0, 0]))


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
    with pytest.raises(FfadeError, match=r"record 1: state \[5, 0, 0\] is off the grid"):
        load_landscape(off_grid)

    wrong_policy = make_run("policy", image_concepts, {}, policy=np.ones(10))
    with pytest.raises(FfadeError, match="holds 10 probabilities but the concept grid has 75"):
        load_landscape(wrong_policy)

    no_concepts = make_run("noconcepts", image_concepts, {}, concepts=[])
    with pytest.raises(FfadeError, match="key 'concepts' is missing or empty"):
        load_landscape(no_concepts)


def test_a_grid_too_large_for_a_landscape_is_one_clear_error(tmp_path) -> None:
    import json

    import pytest

    from ffade.errors import FfadeError
    from ffade.records import RunRecorder
    from ffade.summarize.landscape import load_landscape

    recorder = RunRecorder(tmp_path)
    grid = [{"label": f"edit{i}", "plugin": "x", "values": list(range(10))} for i in range(9)]
    recorder.write_summary({"explorer": "dqn", "mode": "macroscopic", "concepts": grid})
    recorder.close()
    assert json.loads((tmp_path / "summary.json").read_text())["concepts"]
    with pytest.raises(FfadeError, match=r"1e\+09 states .* more than the 20,000,000"):
        load_landscape(tmp_path)
