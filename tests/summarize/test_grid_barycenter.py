from __future__ import annotations

import numpy as np
import pytest

from ffade.summarize import grid_barycenter as module
from ffade.summarize.grid_barycenter import grid_barycenter, regularization

EVEN = np.linspace(0.0, 1.0, 5)
CLOSE = np.array([0.0, 0.01, 0.5, 0.75, 1.0])  # two values much closer than the others


def spread_masses(shape: tuple[int, ...], count: int = 3) -> np.ndarray:
    masses = np.random.default_rng(0).random((count, *shape)) ** 4
    return masses / masses.reshape(count, -1).sum(axis=1).reshape(-1, *[1] * len(shape))


def test_two_close_values_do_not_sharpen_the_regularization() -> None:
    """eps was a quarter of the smallest step of all, squared: 0 and 0.01 on one concept made it
    625 times sharper than the grid's steps of 0.25 need, and the solve did not converge in its
    20,000 iterations (on 4 x 6 values with 0 and 0.05 it ran for minutes). Each concept's
    median step is used: the even grid's eps, a solve that converges, and a bound that counts it."""
    assert regularization([CLOSE, EVEN]) == regularization([EVEN, EVEN]) == 0.25 * 0.25**2
    masses = spread_masses((5, 5))
    b, bound = grid_barycenter(masses, [CLOSE, EVEN], np.full(3, 1 / 3))
    assert b.shape == (5, 5) and b.sum() == pytest.approx(1.0)
    assert 0 < bound < 1


def test_evenly_spaced_grids_keep_their_regularization() -> None:
    """The smallest concept's step, as before: a concept of 3 values beside one of 5 (steps 0.5
    and 0.25) still tells the finer concept's neighbours apart."""
    assert regularization([np.linspace(0, 1, 3), EVEN]) == 0.25 * 0.25**2
    assert regularization([np.array([0.0])]) == 1.0  # no step at all: any eps; one state


def test_a_long_solve_counts_its_iterations_on_a_bar(monkeypatch, capsys) -> None:
    """A grid barycenter of many states ran minutes with nothing on the screen (lowered here so a
    small grid shows the bar a large one gets); a small one draws none."""
    masses = spread_masses((5, 5))
    grid_barycenter(masses, [EVEN, EVEN], np.full(3, 1 / 3))
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(module, "BAR_FROM_ENTRIES", masses.size)
    grid_barycenter(masses, [EVEN, EVEN], np.full(3, 1 / 3))
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("grid barycenter: ") and " iterations [" in line
    assert "marginal error" in line and "(stops at 1e-06)" in line


def log_space_apply(kernels: list[np.ndarray], log_f: np.ndarray) -> np.ndarray:
    """The kernel as it was applied before matrix products: every term's log-sum-exp, per axis."""
    out = log_f
    for axis, kernel in enumerate(kernels, start=1):
        terms = np.moveaxis(out, axis, -1)[..., None, :] + kernel
        top = terms.max(axis=-1, keepdims=True)
        top[~np.isfinite(top)] = 0.0
        with np.errstate(divide="ignore"):
            summed = np.log(np.exp(terms - top).sum(axis=-1)) + top[..., 0]
        out = np.moveaxis(summed, -1, axis)
    return out


def corner_masses(shape: tuple[int, ...]) -> np.ndarray:
    """Three landscapes with no mass outside a corner each: their potentials span more than the
    fast product's range, so the per-line and log-space ways are taken too."""
    masses = spread_masses(shape)
    grid = np.meshgrid(*[np.linspace(0, 1, n) for n in shape], indexing="ij")
    for k in range(3):
        masses[k][(grid[0] < 0.5 + 0.1 * k) | (grid[1] > 0.6)] = 0
    return masses / masses.reshape(3, -1).sum(axis=1).reshape(-1, *[1] * len(shape))


def kernels_of(axes: list[np.ndarray]) -> list[np.ndarray]:
    eps = regularization(axes)
    return [-((a[:, None] - a[None, :]) ** 2) / eps for a in axes]


@pytest.mark.parametrize(
    ("shape", "span"),
    [
        ((5, 5), 10.0),  # one product per concept
        ((10, 10, 10), 1500.0),  # a landscape spanning more: lines shifted one by one
        ((20, 3), 1500.0),  # and one concept's own kernel too: that concept in log space
    ],
)
def test_matrix_products_apply_the_log_space_kernel(shape, span) -> None:
    """The kernel is now applied with matrix products (3 landscapes of 10^6 states took hours):
    the same logs as every term's log-sum-exp, also where values span too much for one product,
    and a landscape without mass stays without."""
    axes = [np.linspace(0, 1, n) for n in shape]
    kernels = kernels_of(axes)
    ramp = sum(np.meshgrid(*axes, indexing="ij")) / len(shape)  # 0 at a corner, 1 at the other
    log_f = -span * (ramp + 0.1 * np.random.default_rng(1).random((3, *shape)))
    log_f[0, 0] = -np.inf  # states without mass
    log_f[2] = -np.inf  # a landscape without any
    applied = module._apply(kernels, log_f)
    expected = log_space_apply(kernels, log_f)
    assert np.isneginf(applied[2]).all() and np.isfinite(applied[:2]).all()
    assert np.abs(applied[:2] - expected[:2]).max() < 1e-12


@pytest.mark.parametrize(
    "masses",
    [spread_masses((5, 5)), spread_masses((3, 4, 5)), corner_masses((6, 6, 6))],
)
def test_the_barycenter_is_the_log_space_solver_s(monkeypatch, masses) -> None:
    """The barycenter, its bound and the iterations it takes are those of the log-space solver."""
    axes = [np.linspace(0, 1, n) for n in masses.shape[1:]]
    weights = np.full(3, 1 / 3)
    solves = []
    for apply in (module._apply, log_space_apply):
        calls = []

        def counted(kernels, log_f, apply=apply, calls=calls):
            calls.append(1)
            return apply(kernels, log_f)

        monkeypatch.setattr(module, "_apply", counted)
        solves.append((*grid_barycenter(masses, axes, weights), len(calls)))
    (fast, fast_bound, fast_calls), (slow, slow_bound, slow_calls) = solves
    assert fast_calls == slow_calls
    assert np.abs(fast - slow).max() < 1e-12
    assert fast_bound == pytest.approx(slow_bound, rel=1e-9)


def test_no_array_of_landscapes_x_states_x_values_is_built() -> None:
    """Each concept's kernel was applied by building every (state, value) term of every
    landscape: 10 values made 10 times the landscapes' size per temporary, gigabytes at 10^6
    states. Matrix products keep the peak near the landscapes' own size."""
    import tracemalloc

    masses = spread_masses((10, 10, 10, 10))
    axes = [np.linspace(0, 1, 10)] * 4
    kernels = kernels_of(axes)
    log_f = np.log(masses)
    tracemalloc.start()
    module._apply(kernels, log_f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * log_f.nbytes


def dense_marginal_error(masses: np.ndarray):
    """Every plan's marginal against its landscape over every grid state, as the solve did."""
    return lambda log_v, applied_u: float(
        np.abs(np.exp(log_v + applied_u) - masses).sum(tuple(range(1, masses.ndim))).max()
    )


def sparse_masses(shape: tuple[int, ...], count: int = 3, states: int = 4) -> np.ndarray:
    """Failure landscapes: each landscape's mass on a few states of its own, none elsewhere."""
    rng = np.random.default_rng(2)
    masses = np.zeros((count, *shape))
    for landscape in masses:
        landscape.flat[rng.choice(landscape.size, states, replace=False)] = rng.random(states)
    return masses / masses.reshape(count, -1).sum(axis=1).reshape(-1, *[1] * len(shape))


@pytest.mark.parametrize("masses", [sparse_masses((6, 5)), spread_masses((4, 5))])
def test_the_marginal_error_is_read_where_the_landscapes_have_mass(monkeypatch, masses) -> None:
    """The error that stops the solve was two exponentials over every landscape's whole grid each
    iteration, most of an iteration's own time on a sparse failure landscape; off a landscape's
    mass its plan's marginal is 0 too, so only its states are read. The barycenter, its bound
    and the iterations taken (error values too) are the whole grid's."""
    axes = [np.linspace(0, 1, n) for n in masses.shape[1:]]
    weights = np.array([0.5, 0.3, 0.2])
    rng = np.random.default_rng(3)
    with np.errstate(divide="ignore"):  # no mass: log 0 = -inf, as in the solve
        log_v = np.log(masses) - rng.random(masses.shape)
    applied_u = rng.random(masses.shape)
    expected = dense_marginal_error(masses)(log_v, applied_u)
    assert module._marginal_error(masses)(log_v, applied_u) == pytest.approx(expected, rel=1e-12)
    solves = []
    for error in (module._marginal_error, dense_marginal_error):
        calls = []

        def counted(of_masses, error=error, calls=calls):
            measure = error(of_masses)

            def recorded(log_v, applied_u):
                calls.append(measure(log_v, applied_u))
                return calls[-1]

            return recorded

        monkeypatch.setattr(module, "_marginal_error", counted)
        solves.append((*grid_barycenter(masses, axes, weights), calls))
    (fast, fast_bound, fast_errors), (whole, whole_bound, whole_errors) = solves
    assert len(fast_errors) == len(whole_errors) > 1
    assert np.allclose(fast_errors, whole_errors, rtol=1e-9, atol=1e-15)
    assert np.abs(fast - whole).max() < 1e-12
    assert fast_bound == pytest.approx(whole_bound, rel=1e-9)


def test_the_marginal_error_of_sparse_landscapes_builds_nothing_grid_sized() -> None:
    """Three landscapes of 10^4 states with mass on a few: the error reads those states, not three
    temporaries of the landscapes' whole size each iteration."""
    import tracemalloc

    masses = sparse_masses((10, 10, 10, 10))
    log_v, applied_u = np.log(masses + 1e-300), np.zeros_like(masses)
    error = module._marginal_error(masses)
    tracemalloc.start()
    error(log_v, applied_u)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < masses.nbytes / 10
