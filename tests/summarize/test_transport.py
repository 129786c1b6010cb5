from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TypeVar

import numpy as np
import pytest

from ffade.errors import FfadeError
from ffade.summarize import transport
from ffade.summarize.landscape import Landscape, load_landscape
from ffade.summarize.transport import (
    Distribution,
    barycenter,
    distribution,
    transport_cost,
    wasserstein_distance,
)

GRID = {"rotation": [0, 10, 20, 30, 40], "blur": [0.0, 0.5, 1.0]}
COORDINATES = [np.array([0.0, 0.25, 0.5, 0.75, 1.0]), np.array([0.0, 0.5, 1.0])]
"""GRID's normalized coordinates, as summary.json records them."""


def point_mass(
    state: tuple[int, ...],
    values: dict = GRID,
    policy: bool = False,
    coordinates: list[np.ndarray] = COORDINATES,
) -> Landscape:
    """A landscape whose only failure (or policy mass) is at ``state``."""
    shape = tuple(len(v) for v in values.values())
    evaluations = np.ones(shape, dtype=np.int64)
    failures = np.zeros(shape, dtype=np.int64)
    failures[state] = 1
    return Landscape.from_counts(
        labels=list(values),
        values=list(values.values()),
        grid_coordinates=coordinates,
        evaluations=evaluations,
        failures=failures,
        neutral=(0,) * len(values),
        policy=failures.astype(float) if policy else None,
        source=f"point mass at {state}",
    )


def with_counts(landscape: Landscape, evaluations: np.ndarray, failures: np.ndarray) -> Landscape:
    """``landscape``'s grid with other counts per state (shaped like the grid)."""
    return Landscape.from_counts(
        landscape.labels,
        landscape.values,
        landscape.grid_coordinates,
        evaluations,
        failures,
        landscape.neutral,
        policy=landscape.policy,
        source=landscape.source,
    )


def failing_also(landscape: Landscape, state: tuple[int, ...]) -> Landscape:
    """``landscape`` with ``state``'s evaluations failing too."""
    failures = landscape.failures
    failures[state] = landscape.evaluations[state]
    return with_counts(landscape, landscape.evaluations, failures)


def random_landscape(seed: int, shape: tuple[int, ...] = (5, 3)) -> Landscape:
    rng = np.random.default_rng(seed)
    evaluations = rng.integers(1, 20, size=shape)
    return Landscape.from_counts(
        labels=list(GRID),
        values=list(GRID.values()),
        grid_coordinates=COORDINATES,
        evaluations=evaluations,
        failures=rng.binomial(evaluations, rng.uniform(0, 1, size=shape)),
        neutral=(0, 0),
        policy=rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape),
    )


T = TypeVar("T")


def lines_run_in_ffade(call: Callable[[], T]) -> tuple[T, int]:
    """``call()``'s result and the Python lines it ran in ffade's own modules: a loop over a
    grid's states shows as millions of lines, counted the same on any machine (never timed)."""
    package = str(Path(transport.__file__).parents[1])  # ffade/
    lines = 0

    def trace(frame: FrameType, event: str, _: object) -> object:
        nonlocal lines
        if not frame.f_code.co_filename.startswith(package):
            return None
        lines += event == "line"
        return trace

    before = sys.gettrace()  # a debugger's or coverage's tracer, put back after
    sys.settrace(trace)
    try:
        result = call()
    finally:
        sys.settrace(before)
    return result, lines


def test_identical_landscapes_are_at_distance_zero(image_run) -> None:
    landscape = load_landscape(image_run)
    assert wasserstein_distance(landscape, landscape) == pytest.approx(0.0, abs=1e-12)
    assert wasserstein_distance(point_mass((2, 1)), point_mass((2, 1))) == 0.0


def test_two_copies_of_one_run_are_at_distance_exactly_zero(make_run) -> None:
    """Two loads of one run (or two identical runs): 0, as docs/report.md promises, not the
    2.3e-09 a cost matrix expanded as |x|^2 + |y|^2 - 2xy left on a grid of ninths."""
    ninths = [round(i / 9, 3) for i in range(10)]
    policy = np.random.default_rng(0).dirichlet(np.ones(100)).reshape(10, 10)
    run = make_run("run", {"a": ninths, "b": ninths}, lambda s: (4, 1 + sum(s) % 4), policy=policy)
    for kind in ("failure", "policy"):
        assert wasserstein_distance(load_landscape(run), load_landscape(run), kind) == 0.0


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [
        ((1, 0), (3, 0), 0.5),  # rotation 10 -> 30: half the rotation range
        ((0, 0), (0, 2), 1.0),  # blur 0 -> 1: the whole blur range
        ((0, 0), (4, 2), np.sqrt(2)),  # opposite corners
        ((1, 1), (4, 0), np.hypot(0.75, 0.5)),
    ],
)
def test_a_shifted_point_mass_moves_by_the_shift(first, second, distance) -> None:
    assert wasserstein_distance(point_mass(first), point_mass(second)) == pytest.approx(distance)
    moved = wasserstein_distance(point_mass(first, policy=True), point_mass(second, policy=True))
    assert moved == pytest.approx(distance)


def test_uneven_grids_keep_their_geometry(make_run) -> None:
    """The coordinates the core recorded in summary.json (by value: 0, 0.1, 1) are the metric."""
    values = {"gamma": [0.0, 1.0, 10.0]}
    first = load_landscape(make_run("first", values, {(0,): (1, 1)}))
    second = load_landscape(make_run("second", values, {(1,): (1, 1)}))
    assert wasserstein_distance(first, second) == pytest.approx(0.1)


def test_mass_is_attached_to_states_not_pooled_as_samples() -> None:
    """The paper's bug: the same rates at swapped states looked identical as a bag of numbers."""
    first = random_landscape(0)
    second = with_counts(random_landscape(0), first.evaluations[::-1], first.failures[::-1])
    rates = np.sort(first.failure_rate.ravel()), np.sort(second.failure_rate.ravel())
    np.testing.assert_allclose(*rates)
    assert wasserstein_distance(first, second) > 0.05


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("kind", ["failure", "policy"])
def test_distance_is_symmetric(seed, kind) -> None:
    first, second = random_landscape(seed), random_landscape(seed + 100)
    there = wasserstein_distance(first, second, kind)
    assert there == pytest.approx(wasserstein_distance(second, first, kind))
    assert there > 0


def test_barycenter_of_two_point_masses_is_their_midpoint() -> None:
    result = barycenter([point_mass((0, 0)), point_mass((4, 2))])
    np.testing.assert_allclose(result.coordinates, [[0.5, 0.5]] * len(result.mass))
    assert result.grid_mass[2, 1] == pytest.approx(1.0)
    assert result.grid_mass.sum() == pytest.approx(1.0)


def test_weighted_barycenter_moves_toward_the_heavier_landscape() -> None:
    result = barycenter([point_mass((0, 0)), point_mass((4, 0))], weights=[3, 1])
    np.testing.assert_allclose(result.coordinates[:, 0], 0.25)
    assert result.grid_mass[1, 0] == pytest.approx(1.0)


def test_barycenter_of_identical_landscapes_is_the_landscape(image_run) -> None:
    landscape = load_landscape(image_run)
    result = barycenter([landscape, landscape], max_iterations=5)
    mass = np.nan_to_num(landscape.failure_rate)
    np.testing.assert_allclose(result.grid_mass, mass / mass.sum(), atol=1e-9)


def test_no_failures_means_no_distance_with_a_clear_message() -> None:
    empty = with_counts(point_mass((0, 0)), np.ones((5, 3)), np.zeros((5, 3)))
    with pytest.raises(FfadeError, match=r"no evaluation failed.*undefined"):
        wasserstein_distance(empty, point_mass((1, 1)))
    # the barycenter's message speaks of a barycenter, not only of a distance
    with pytest.raises(FfadeError, match=r"no mass: a Wasserstein distance or barycenter with it"):
        barycenter([point_mass((1, 1)), empty])
    with pytest.raises(FfadeError, match=r"no policy.npy"):
        wasserstein_distance(point_mass((0, 0)), point_mass((1, 1)), kind="policy")


def test_a_landscape_without_evaluations_says_so_rather_than_that_none_failed() -> None:
    unseen = with_counts(point_mass((0, 0)), np.zeros((5, 3)), np.zeros((5, 3)))
    with pytest.raises(FfadeError, match=r"it has no evaluations, so its failure landscape"):
        wasserstein_distance(point_mass((1, 1)), unseen)


def test_different_grids_cannot_be_compared() -> None:
    other = point_mass((0,), {"rotation": [0, 10, 20, 30, 40]}, coordinates=COORDINATES[:1])
    with pytest.raises(FfadeError, match="concept grids differ"):
        wasserstein_distance(point_mass((0, 0)), other)
    with pytest.raises(FfadeError, match="at least two"):
        barycenter([other])


def test_grids_that_part_only_in_coordinates_are_said_to_differ_there() -> None:
    """The same values placed apart printed both grids in full, alike: "rotation [0, 10, 20, 30,
    40]; blur [0.0, 0.5, 1.0] vs rotation [0, 10, 20, 30, 40]; blur [0.0, 0.5, 1.0]"."""
    spread = [COORDINATES[0], np.array([0.0, 0.2, 1.0])]
    with pytest.raises(
        FfadeError, match=r"\(blur's coordinates \[0.0, 0.5, 1.0\] vs \[0.0, 0.2, 1.0\]\)"
    ):
        wasserstein_distance(point_mass((0, 0)), point_mass((0, 0), coordinates=spread))
    fewer = {"rotation": [0, 10, 20, 30, 40]}
    with pytest.raises(FfadeError, match=r"\(concepts \[rotation, blur\] vs \[rotation\]\)"):
        wasserstein_distance(
            point_mass((0, 0)), point_mass((0,), fewer, coordinates=COORDINATES[:1])
        )


def test_only_states_with_mass_enter_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a 10^6-state grid with two failing states a side, the solver gets a 2 x 2 problem,
    only those states get coordinates, and no Python line runs per state of the grid. Counted,
    not timed (a bound on seconds fails on a loaded machine)."""
    import ot

    values = {f"c{i}": list(range(100)) for i in range(3)}  # a 10^6-state grid
    coordinates = [np.linspace(0.0, 1.0, 100)] * 3
    first = point_mass((0, 0, 0), values, coordinates=coordinates)
    second = point_mass((0, 0, 0), values, coordinates=coordinates)
    first, second = failing_also(first, (10, 20, 30)), failing_also(second, (99, 0, 0))
    problems, placed = [], []
    solve, place = ot.emd2, Landscape.coordinates

    def counted_solve(a: np.ndarray, b: np.ndarray, cost: np.ndarray, *args, **kwargs):
        problems.append(cost.shape)
        return solve(a, b, cost, *args, **kwargs)

    def counted_place(landscape: Landscape, states: np.ndarray) -> np.ndarray:
        placed.append(np.asarray(states).size // landscape.num_concepts)
        return place(landscape, states)

    monkeypatch.setattr(ot, "emd2", counted_solve)
    monkeypatch.setattr(Landscape, "coordinates", counted_place)
    assert len(distribution(first).mass) == 2
    distance, lines = lines_run_in_ffade(lambda: wasserstein_distance(first, second))
    assert distance == pytest.approx(0.5 * np.linalg.norm(np.array([89, -20, -30]) / 99))
    assert problems == [(2, 2)] and placed == [2, 2, 2]
    assert lines < 10_000  # 112 here; a loop over the grid's states runs 10^6 times


def test_spread_out_mass_is_moved_to_the_heaviest_states_and_says_how_much() -> None:
    landscape = random_landscape(1, shape=(5, 3))
    exact = distribution(landscape, "policy")
    cut = distribution(landscape, "policy", max_support=5)
    assert len(cut.mass) == 5 and len(exact.mass) == 15
    assert cut.mass.sum() == pytest.approx(1.0)
    kept = np.sort(landscape.policy.ravel())[-5:].sum()
    assert cut.moved_mass == pytest.approx(1 - kept)
    # the approximation bounds the error of any distance computed on the cut distribution
    other = distribution(random_landscape(2), "policy")
    error = abs(transport_cost(cut, other) - transport_cost(exact, other))
    assert 0 < cut.approximation < cut.moved_mass * np.sqrt(2)
    assert error <= cut.approximation + 1e-12
    assert transport_cost(cut, exact) == pytest.approx(cut.approximation)


def test_barycenter_of_two_landscapes_is_the_exact_w2_barycenter() -> None:
    """Mass 1/2 at 0 and 1/2 at 1 against mass 1 at 1/2 (one concept): the W2 barycenter is 1/2
    at 1/4 and 1/2 at 3/4 (in one dimension, the average of the quantile functions). The free-
    support solver, whose atoms keep the mixture's masses, returned 1/4, 1/2, 1/4 at 1/4, 1/2,
    3/4: a mass at 1/2 that no W2 average has, at a cost 0.094 against the least 0.0625."""
    import ot  # here, not at the top: POT costs ~1 s of CPU in every worker's collection

    grid = {"x": [0, 1, 2, 3, 4]}
    coordinates = [np.linspace(0.0, 1.0, 5)]
    ends = failing_also(point_mass((0,), grid, coordinates=coordinates), (4,))
    middle = point_mass((2,), grid, coordinates=coordinates)
    result = barycenter([ends, middle])
    order = np.argsort(result.coordinates[:, 0])
    np.testing.assert_allclose(result.coordinates[order, 0], [0.25, 0.75])
    np.testing.assert_allclose(result.mass[order], [0.5, 0.5])
    np.testing.assert_allclose(result.grid_mass, [0.0, 0.5, 0.0, 0.5, 0.0])
    squared = [
        ot.emd2(result.mass, part.mass, ot.dist(result.coordinates, part.coordinates))
        for part in (distribution(ends), distribution(middle))
    ]
    assert np.mean(squared) == pytest.approx(0.0625)


def test_a_landscape_of_weight_zero_takes_no_part_in_the_barycenter() -> None:
    """Its states used to start atoms of no mass, which POT's solver divided by: NaN atoms and
    RuntimeWarnings. With it left out, two landscapes of positive weight get the exact barycenter,
    the same as without the third."""
    grid = {"x": [0, 1, 2, 3, 4]}
    coordinates = [np.linspace(0.0, 1.0, 5)]
    ends = failing_also(point_mass((0,), grid, coordinates=coordinates), (4,))
    middle = point_mass((2,), grid, coordinates=coordinates)
    ignored = point_mass((3,), grid, coordinates=coordinates)
    with np.errstate(all="raise"):
        result = barycenter([ends, middle, ignored], weights=[1, 1, 0])
        alone = barycenter([ends, ignored, ignored], weights=[1, 0, 0])
    order = np.argsort(result.coordinates[:, 0])
    np.testing.assert_allclose(result.coordinates[order, 0], [0.25, 0.75])
    np.testing.assert_allclose(result.mass[order], [0.5, 0.5])
    np.testing.assert_allclose(alone.grid_mass, [0.5, 0.0, 0.0, 0.0, 0.5])
    assert np.all(np.isfinite(alone.coordinates))


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1, float("nan")], r"weights \[1, nan\] must be one finite non-negative number"),
        ([float("inf"), 1], r"weights \[inf, 1\] must be one finite"),
        (["a", "b"], r"weights \['a', 'b'\] must be one finite"),
        ([True, 1], r"weights \[True, 1\] must be one finite"),
        (3, "weights 3 must be one finite"),
    ],
)
def test_weights_that_are_not_finite_numbers_are_one_line(weights, message) -> None:
    """A NaN weight returned an empty barycenter, an infinite one NaN atoms, words a ValueError."""
    with pytest.raises(FfadeError, match=message):
        barycenter([point_mass((0, 0)), point_mass((4, 2))], weights=weights)


def test_weights_may_be_a_numpy_array() -> None:
    result = barycenter([point_mass((0, 0)), point_mass((4, 0))], weights=np.array([3.0, 1.0]))
    np.testing.assert_allclose(result.coordinates[:, 0], 0.25)


@pytest.mark.parametrize("given", ["runs/quickstart", "landscape"])
def test_a_barycenter_of_one_thing_not_a_list_is_one_line(given) -> None:
    """A run directory was read letter by letter ("expected a Landscape, got 'r'"), and one
    Landscape was a TypeError."""
    value = point_mass((0, 0)) if given == "landscape" else given
    expected = "one Landscape (point mass at (0, 0))" if given == "landscape" else repr(given)
    with pytest.raises(FfadeError, match="takes a list of two or more Landscapes") as error:
        barycenter(value)
    assert f"got {expected};" in str(error.value)
    assert "load_landscape(run_dir)" in str(error.value)


@pytest.mark.parametrize("max_support", [0, 1.5])
def test_max_support_below_one_is_one_line(max_support) -> None:
    with pytest.raises(FfadeError, match=f"max_support {max_support} must be a whole number >= 1"):
        wasserstein_distance(point_mass((0, 0)), point_mass((4, 2)), max_support=max_support)


@pytest.mark.parametrize("max_iterations", [0, -3, 2.5])
def test_max_iterations_below_one_is_one_line(max_iterations) -> None:
    """0 or a negative count made POT's solver return its starting atoms, unmoved, as if they
    were the barycenter; 2.5 iterations are none the solver can run."""
    three = [point_mass((0, 0)), point_mass((4, 2)), point_mass((2, 2))]
    with pytest.raises(FfadeError, match=f"max_iterations {max_iterations} must be a whole number"):
        barycenter(three, max_iterations=max_iterations)


# Independent checks: every expected number below is computed here by brute force (a linear
# program over the full grid, a 1-D closed form), from the run's counts and grid values alone.


def brute_force_w1(first_mass: np.ndarray, second_mass: np.ndarray, points: np.ndarray) -> float:
    """W1 as the transport linear program over every grid state, solved by scipy's HiGHS."""
    from scipy.optimize import linprog

    m = len(points)
    cost = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)).ravel()
    rows = np.kron(np.eye(m), np.ones(m))  # sum over j of P[i, j] = first[i]
    cols = np.kron(np.ones(m), np.eye(m))  # sum over i of P[i, j] = second[j]
    result = linprog(
        cost,
        A_eq=np.vstack([rows, cols]),
        b_eq=np.concatenate([first_mass, second_mass]),
        bounds=(0, None),
        method="highs",
    )
    assert result.success
    return float(result.fun)


def by_value(values: list[float]) -> np.ndarray:
    """A number grid's documented coordinates: placed by value, spanning 0 to 1."""
    v = np.asarray(values, dtype=float)
    return (v - v.min()) / (v.max() - v.min())


def grid_points(*axes: np.ndarray) -> np.ndarray:
    """Every state's coordinates, row-major like the grid."""
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=-1)


def failure_mass(counts: dict, shape: tuple[int, ...]) -> np.ndarray:
    """The documented failure mass: each state's failure rate, normalized to sum 1."""
    rate = np.zeros(shape)
    for state, (n, k) in counts.items():
        rate[state] = k / n
    return (rate / rate.sum()).ravel()


UNEVEN = {"gamma": [0.0, 1.0, 3.0, 10.0], "blur": [0.0, 0.5, 2.0]}


def random_counts(seed: int, shape: tuple[int, ...]) -> dict:
    """Evaluations 1..9 on about two thirds of the states, failures anywhere from none to all."""
    rng = np.random.default_rng(seed)
    counts = {}
    for state in np.ndindex(*shape):
        if rng.uniform() < 0.67:
            n = int(rng.integers(1, 10))
            counts[state] = (n, int(rng.integers(0, n + 1)))
    return counts


@pytest.mark.parametrize("seed", range(4))
def test_distance_between_runs_is_the_transport_program_over_the_grid_geometry(
    make_run, seed
) -> None:
    """Two runs on an uneven grid: the distance is the exact W1 of the rate-normalized masses,
    in coordinates placed by value, as a brute-force linear program over all 12 states gives."""
    shape = (4, 3)
    first_counts, second_counts = random_counts(seed, shape), random_counts(seed + 50, shape)
    first = load_landscape(make_run(f"a{seed}", UNEVEN, first_counts))
    second = load_landscape(make_run(f"b{seed}", UNEVEN, second_counts))
    points = grid_points(by_value(UNEVEN["gamma"]), by_value(UNEVEN["blur"]))
    expected = brute_force_w1(
        failure_mass(first_counts, shape), failure_mass(second_counts, shape), points
    )
    assert wasserstein_distance(first, second) == pytest.approx(expected, abs=1e-9)


def test_the_mass_is_the_failure_rate_not_the_failure_count(make_run) -> None:
    """9 of 10 failing at gamma 0 and 1 of 1 at gamma 10: by rate the mass sits 0.9 : 1, so the
    distance to a point mass at gamma 0 is 1 / 1.9; by count (9 : 1) it would be 0.1."""
    values = {"gamma": [0.0, 1.0, 3.0, 10.0]}
    two = load_landscape(make_run("two", values, {(0,): (10, 9), (3,): (1, 1)}))
    one = load_landscape(make_run("one", values, {(0,): (1, 1)}))
    assert wasserstein_distance(two, one) == pytest.approx(1 / 1.9)


@pytest.mark.parametrize("concept", [0, 1])
def test_a_landscape_shifted_one_grid_step_moves_by_that_step(make_run, concept) -> None:
    """Every failure moved one step along one concept of an even grid: exactly the step (1/4 of
    rotation's range, 1/2 of blur's), whatever the rates, as docs/report.md reads 0.25."""
    grid = {"rotation": [0, 10, 20, 30, 40], "blur": [0.0, 0.5, 1.0]}
    rng = np.random.default_rng(concept)
    shape = (5, 3)
    counts = {}
    for state in np.ndindex(*shape):
        if state[concept] < shape[concept] - 1 and rng.uniform() < 0.8:
            counts[state] = (int(rng.integers(2, 9)), int(rng.integers(1, 3)))
    step = np.eye(2, dtype=int)[concept]
    shifted = {tuple(np.add(s, step)): c for s, c in counts.items()}
    first = load_landscape(make_run("first", grid, counts))
    second = load_landscape(make_run("second", grid, shifted))
    expected = [0.25, 0.5][concept]
    assert wasserstein_distance(first, second) == pytest.approx(expected, abs=1e-12)
    middle = barycenter([first, second])  # halfway: half a step from each
    atoms = Distribution(None, middle.coordinates, middle.mass)
    assert transport_cost(distribution(first), atoms) == pytest.approx(expected / 2, abs=1e-12)
    assert transport_cost(atoms, distribution(second)) == pytest.approx(expected / 2, abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_concept_order_does_not_change_the_distance(make_run, seed) -> None:
    """The same runs with the concepts listed the other way round: the same distance."""
    shape = (4, 3)
    first_counts, second_counts = random_counts(seed, shape), random_counts(seed + 9, shape)
    swapped = {"blur": UNEVEN["blur"], "gamma": UNEVEN["gamma"]}

    def turned(counts: dict) -> dict:
        return {(s[1], s[0]): c for s, c in counts.items()}

    runs = [
        load_landscape(make_run(name, grid, counts))
        for name, grid, counts in [
            ("a", UNEVEN, first_counts),
            ("b", UNEVEN, second_counts),
            ("a_swapped", swapped, turned(first_counts)),
            ("b_swapped", swapped, turned(second_counts)),
        ]
    ]
    assert wasserstein_distance(runs[2], runs[3]) == pytest.approx(
        wasserstein_distance(runs[0], runs[1]), abs=1e-12
    )


def quantiles_1d(points: np.ndarray, mass: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """A 1-D distribution's quantile function at ``levels``."""
    order = np.argsort(points)
    cumulative = np.cumsum(mass[order])
    return points[order][np.minimum(np.searchsorted(cumulative, levels - 1e-12), len(points) - 1)]


@pytest.mark.parametrize("weights", [None, [0.3, 0.7]])
def test_barycenter_of_two_is_the_average_of_quantile_functions_in_one_dimension(
    weights,
) -> None:
    """In 1-D the W2 barycenter's quantile function is the weighted average of the inputs'
    quantile functions: checked at many levels, and its W1 distance to each input is its share
    of the whole distance (it lies on the geodesic)."""
    grid = {"x": [0, 1, 2, 3, 4, 5, 6, 7]}
    coordinates = [np.linspace(0.0, 1.0, 8)]
    rng = np.random.default_rng(1)
    first = point_mass((0,), grid, coordinates=coordinates)
    second = point_mass((0,), grid, coordinates=coordinates)
    ten = np.full(8, 10)
    first = with_counts(first, ten, rng.integers(0, 11, size=8) * (np.arange(8) < 5))
    second = with_counts(second, ten, rng.integers(0, 11, size=8) * (np.arange(8) >= 3))
    result = barycenter([first, second], weights=weights)
    w = np.array([0.5, 0.5] if weights is None else weights)
    levels = np.linspace(0.001, 0.999, 997)
    x = coordinates[0]
    a = first.failure_rate / first.failure_rate.sum()
    b = second.failure_rate / second.failure_rate.sum()
    expected = w[0] * quantiles_1d(x, a, levels) + w[1] * quantiles_1d(x, b, levels)
    got = quantiles_1d(result.coordinates[:, 0], result.mass, levels)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert result.mass.sum() == pytest.approx(1.0)
    whole = np.abs(np.cumsum(a) - np.cumsum(b))[:-1] @ np.diff(x)  # 1-D W1: area between CDFs
    assert wasserstein_distance(first, second) == pytest.approx(whole)
    to_first = transport_cost(
        distribution(first), Distribution(None, result.coordinates, result.mass)
    )
    assert to_first == pytest.approx(w[1] * whole)


def test_barycenter_of_three_is_pots_fixed_point_and_costs_no_less_than_the_least() -> None:
    """More than two landscapes: POT's free-support solver on the same points, masses and
    weights gives the same atoms; its weighted W2 cost is never below the 1-D closed form's."""
    import ot

    grid = {"x": [0, 1, 2, 3, 4, 5]}
    coordinates = [np.linspace(0.0, 1.0, 6)]
    parts = []
    for seed in range(3):
        failures = np.random.default_rng(seed).integers(0, 5, size=6)
        failures[seed] = 4
        landscape = point_mass((0,), grid, coordinates=coordinates)
        parts.append(with_counts(landscape, np.full(6, 4), failures))
    weights = np.array([0.2, 0.3, 0.5])
    result = barycenter(parts, weights=list(weights))
    assert result.mass.sum() == pytest.approx(1.0)
    x = coordinates[0][:, None]
    masses = [p.failure_rate / p.failure_rate.sum() for p in parts]
    kept = [m > 0 for m in masses]
    mixture = sum(w * m for w, m in zip(weights, masses, strict=True))
    start = mixture > 0
    pot = ot.lp.free_support_barycenter(
        [x[k] for k in kept],
        [m[k] for m, k in zip(masses, kept, strict=True)],
        x[start],
        b=mixture[start] / mixture[start].sum(),
        weights=weights,
        numItermax=100,
    )
    np.testing.assert_allclose(result.coordinates, pot, atol=1e-12)

    def cost(atoms: np.ndarray, mass: np.ndarray) -> float:
        return sum(
            w * ot.emd2(mass, m[k], ot.dist(atoms, x[k]))
            for w, m, k in zip(weights, masses, kept, strict=True)
        )

    levels = (np.arange(2000) + 0.5) / 2000
    least_atoms = sum(
        w * quantiles_1d(x[:, 0], m, levels) for w, m in zip(weights, masses, strict=True)
    )
    least = cost(least_atoms[:, None], np.full(2000, 1 / 2000))
    assert cost(result.coordinates, result.mass) >= least - 1e-6


def test_an_atom_halfway_between_grid_states_is_split_evenly_not_sent_to_the_lower() -> None:
    """docs/report.md: `grid_mass`, an atom exactly halfway between two values of a concept is
    split evenly between them. The midpoint of failures on neighbouring states all went to the
    lower one (argmin's first), so the average of two runs leaned one way; on a grid in thirds,
    which way hung on rounding."""
    result = barycenter([point_mass((0, 0)), point_mass((1, 0))])
    np.testing.assert_allclose(result.coordinates[:, 0], 0.125)  # halfway between 0 and 0.25
    assert result.grid_mass[0, 0] == pytest.approx(0.5)
    assert result.grid_mass[1, 0] == pytest.approx(0.5)
    grid = {"x": [0, 1, 2, 3]}
    thirds = [np.linspace(0.0, 1.0, 4)]
    result = barycenter(
        [point_mass((1,), grid, coordinates=thirds), point_mass((2,), grid, coordinates=thirds)]
    )
    np.testing.assert_allclose(result.grid_mass, [0.0, 0.5, 0.5, 0.0])
    both = barycenter([point_mass((0, 0)), point_mass((1, 1))])  # halfway on both concepts
    np.testing.assert_allclose(both.grid_mass[:2, :2], [[0.25, 0.25], [0.25, 0.25]])


def test_a_transport_problem_past_the_cost_matrix_limit_is_one_line_naming_max_support(
    monkeypatch,
) -> None:
    """10^5 states a side would build a 74.5 GiB cost matrix: numpy's MemoryError on a small
    machine, hours of filled memory on a big one. Refused before it is built (the limit lowered
    here so that the problem stays small)."""
    monkeypatch.setattr(transport, "MAX_COST_ENTRIES", 100)
    first, second = random_landscape(1), random_landscape(2)  # 15 policy states each: 225
    with pytest.raises(FfadeError, match=r"15 x 15 cost matrix .* lower max_support \(default"):
        wasserstein_distance(first, second, "policy")
    with pytest.raises(FfadeError, match="15 x 15 cost matrix"):
        barycenter([first, second], "policy")
    with pytest.raises(FfadeError, match="cost matrix"):
        barycenter([first, second, random_landscape(3)], "policy")
    assert wasserstein_distance(first, second, "policy", max_support=10) > 0  # 100 entries


def test_a_transport_plan_short_of_the_optimum_is_refused_not_returned(monkeypatch) -> None:
    """POT stops at its iteration limit and returns the plan it has, warning only: a distance
    above the true one, read as exact (its default limit stops a 5000 x 5000 problem short)."""
    first, second = random_landscape(1), random_landscape(2)
    exact = wasserstein_distance(first, second, "policy")
    monkeypatch.setattr(transport, "EMD_ITERATIONS", 2)
    with pytest.raises(FfadeError, match="15 and 15 states did not reach the optimum"):
        wasserstein_distance(first, second, "policy")
    with pytest.raises(FfadeError, match="did not reach the optimum"):
        barycenter([first, second], "policy")
    assert exact > 0


def test_a_barycenter_step_short_of_the_optimum_is_refused_not_returned(monkeypatch) -> None:
    """With three or more landscapes POT's free-support solver runs each step's transport at
    POT's default iteration limit, which ffade cannot raise; a step stopped short only warned, and
    the atoms it moved were returned as the barycenter. POT's own limit is lowered here so that
    a problem small enough for a test stops short as a large one would."""
    import ot

    landscapes = [random_landscape(seed) for seed in (1, 2, 3)]
    barycenter(landscapes, "policy")  # reaches the optimum at POT's own limit
    solvers = ot.lp.free_support_barycenter.__globals__
    monkeypatch.setitem(solvers, "emd", functools.partial(solvers["emd"], numItermax=2))
    with pytest.raises(FfadeError, match="15 atoms and 15 / 15 / 15 states did not reach the opt"):
        barycenter(landscapes, "policy")


def test_grid_barycenter_costs_at_most_its_bound_above_the_exact_lp_barycenter() -> None:
    """support="grid" (what a dozen spread-out landscapes get, where the free-support solver was
    refused by MAX_COST_ENTRIES or ran for hours): its weighted squared cost, computed exactly
    here, lies between the least over grid-supported measures (POT's exact LP, brute force on 15
    states) and that least plus the bound it returns."""
    import ot

    parts = [random_landscape(seed) for seed in (1, 2, 3)]
    weights = np.array([0.5, 0.3, 0.2])
    result = barycenter(parts, "policy", weights=list(weights), support="grid")
    states = np.argwhere(np.ones(parts[0].shape))
    cost = ot.dist(parts[0].coordinates(states), parts[0].coordinates(states))  # squared
    masses = np.stack([p.policy.ravel() / p.policy.sum() for p in parts], axis=1)
    exact = ot.lp.barycenter(masses, cost, weights)
    least = sum(w * ot.emd2(exact, masses[:, k], cost) for k, w in enumerate(weights))
    ours = sum(
        w * ot.emd2(result.grid_mass.ravel(), masses[:, k], cost) for k, w in enumerate(weights)
    )
    assert result.grid_mass.shape == parts[0].shape
    assert result.grid_mass.sum() == pytest.approx(1.0)
    assert 0 < result.bound < 0.2
    assert least - 1e-9 <= ours <= least + result.bound


def test_many_spread_out_landscapes_get_the_grid_barycenter_not_a_refusal(monkeypatch) -> None:
    """Under support="auto" a barycenter whose free-support steps pass FREE_SUPPORT_ENTRIES is
    solved on the grid (lowered here so a small grid shows it) and says its bound; explicit
    "free" still takes the free-support solver, whose fixed point has no bound (None)."""
    parts = [random_landscape(seed) for seed in range(12)]
    monkeypatch.setattr(transport, "FREE_SUPPORT_ENTRIES", 10)
    assert barycenter(parts, "policy").bound > 0
    assert barycenter(parts, "policy", support="free").bound is None
    assert barycenter(parts[:2], "policy").bound == 0.0  # two: exact


def test_an_unknown_barycenter_support_is_one_line() -> None:
    with pytest.raises(FfadeError, match=r"support 'fixed' is not known; allowed: 'auto'"):
        barycenter([point_mass((0, 0)), point_mass((1, 0))], support="fixed")


def test_grid_barycenter_of_point_masses_sits_on_the_grid_state_nearest_their_mean() -> None:
    """Failures at (0, 0), (4, 2) and (2, 0): mean (0.5, 1/3), nearest grid state (2, 1). The
    states without failures (log 0) raise no RuntimeWarning (-W error in CI would fail on it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = barycenter(
            [point_mass((0, 0)), point_mass((4, 2)), point_mass((2, 0))], support="grid"
        )
    assert np.unravel_index(result.grid_mass.argmax(), result.grid_mass.shape) == (2, 1)
    assert result.grid_mass[2, 1] > 0.9


def test_failure_mass_is_the_dense_grids_to_the_last_bit() -> None:
    """A landscape keeps its visited states only, yet its failure mass (and so every distance
    and barycenter) reads as when it was a grid-shaped array: a sum over the failed states alone
    groups numpy's pairwise sum otherwise and differed in the last bit (a compared run's
    distance in report.json, 0.5933627629740118 became ...117)."""
    rng = np.random.default_rng(4)
    evaluations = rng.integers(0, 4, (30, 30))
    failures = np.minimum(evaluations, rng.integers(0, 3, (30, 30)))
    values = {"a": list(range(30)), "b": list(range(30))}
    coordinates = [np.linspace(0.0, 1.0, 30)] * 2
    landscape = Landscape.from_counts(
        list(values), list(values.values()), coordinates, evaluations, failures, (0, 0)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        dense = np.nan_to_num(failures / evaluations, nan=0.0)
    flat = np.flatnonzero(dense)
    rate = dense.ravel()[flat]
    assert rate.sum() != dense.sum()  # a grid where the two sums part, or the test shows nothing
    got = distribution(landscape, "failure")
    assert np.array_equal(np.ravel_multi_index(tuple(got.states.T), (30, 30)), flat)
    assert got.mass.tobytes() == (rate / dense.sum()).tobytes()


def test_an_atom_halfway_on_twenty_concepts_is_spread_without_a_line_per_corner() -> None:
    """The midpoint of failures at opposite corners of a 20-concept grid of two values each is
    halfway on every concept: its mass is split evenly over all 2^20 states. ``snap`` stepped
    through them one Python line at a time (about 4 s a corner-heavy atom, minutes for a run's
    hundreds); each atom now spreads its mass in one numpy step. Lines counted, not timed."""
    values = {f"axis{i}": [0.0, 1.0] for i in range(20)}
    coordinates = [np.array([0.0, 1.0])] * 20
    first = point_mass((0,) * 20, values, coordinates=coordinates)
    second = point_mass((1,) * 20, values, coordinates=coordinates)
    middle, lines = lines_run_in_ffade(lambda: barycenter([first, second]))
    np.testing.assert_allclose(middle.coordinates, 0.5)
    assert middle.grid_mass.shape == (2,) * 20
    assert (middle.grid_mass == 2.0**-20).all()  # every corner, exactly an even share
    assert lines < 10_000  # a line per corner runs 2^20 times
