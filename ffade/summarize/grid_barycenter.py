"""The Wasserstein-2 barycenter of many landscapes on the concept grid itself (fixed support).

The free-support solver of :mod:`.transport` solves, at every step, one dense transport problem
per landscape between every state any of them carries and that landscape's states: a dozen
spread-out landscapes (policies) make those problems tens of thousands of states a side, refused
by ``MAX_COST_ENTRIES`` or hours long. Here the barycenter's support is the grid, where every
landscape already lives, and the problem is solved with entropic regularization (iterative
Bregman projections, Benamou et al. 2015). The squared Euclidean cost of a product grid is a sum
over concepts, so its Gibbs kernel is a product of one small kernel per concept: applying it costs
the grid's size times the values of one concept, per concept, and no grid x grid matrix is built.
The scalings are kept as logs, so a kernel much sharper than the grid step neither underflows nor
overflows; the kernel is applied as matrix products on values shifted by their largest (BLAS, no
landscapes x states x values temporaries), redone in log space only where that underflows
(:func:`_apply`), which is 5 to 20 times faster than a log-sum-exp of every term.

How far from the least it is (the bound is returned as ``Barycenter.bound``): with regularization
``eps`` the plans' weighted squared cost is at most the least over grid-supported measures plus
``eps * (H(b) + sum_k w_k H(mu_k))`` (H the Shannon entropy), because the entropic optimum costs
no more, entropy included, than the exact one, and a plan's entropy is at most the sum of its
marginals'; the last step's marginal error adds at most half of it times the grid's squared
diameter. The grid itself costs little: snapping each atom of the free-support barycenter to its
nearest grid state moves it by at most ``delta`` (half the largest grid step, over concepts in
quadrature), so the least over the grid is at most ``(sqrt(F) + delta)^2`` for F the least of all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np

from ffade.errors import FfadeError
from ffade.log_bars import bar_for

REG_STEP_FRACTION = 0.25
"""The regularization, as a fraction of a grid step squared (normalized coordinates): sharp
enough that mass a step apart is told apart (weight e^-4 per step), blunt enough to converge in a
few hundred iterations. The step is each concept's median step, the smallest over concepts
(:func:`regularization`)."""
BAR_FROM_ENTRIES = 10_000
"""Landscapes x grid states from which the iterations are counted on a bar on stderr: 3
landscapes of 10^4 states take about 4 s, of 10^5 a minute, of 10^6 17 minutes (845 iterations)."""
BAR_FORMAT = "{desc}: {n_fmt} iterations [{elapsed}]{postfix}"
"""Iterations, with no total: the solve stops when the marginal error (shown) reaches TOLERANCE."""
TOLERANCE = 1e-6
"""Stop once every plan's marginal on its landscape is within this (L1) of that landscape."""
LINEAR_FLOOR = 1e-250
"""Below this (relative to a landscape's largest value) a result of the fast kernel product may
have lost terms that underflowed (smaller than 1e-308), so that landscape is redone in log space."""
MAX_ITERATIONS = 20_000
"""Bregman iterations allowed before the solve is refused as not converged."""


def grid_barycenter(
    masses: np.ndarray,
    axes: Sequence[np.ndarray],
    weights: np.ndarray,
    eps: float | None = None,
) -> tuple[np.ndarray, float]:
    """The barycenter of ``masses`` (landscapes x the grid, each summing 1; weights summing 1)
    on the grid whose concepts' coordinates are ``axes``, and the bound on its excess cost.
    ``eps`` defaults to :func:`regularization` of ``axes``; a box cut from a larger grid passes
    the larger grid's, so its barycenter does not hang on where the box was cut.

    Raises:
        FfadeError: the solve did not converge.
    """
    with np.errstate(divide="ignore"):  # a state without mass: log 0 = -inf, no mass moved
        log_mu = np.log(masses)
    eps = regularization(axes) if eps is None else eps
    kernels = [-((a[:, None] - a[None, :]) ** 2) / eps for a in axes]
    log_u = np.zeros_like(log_mu)
    applied_u = _apply(kernels, log_u)
    marginal_error = _marginal_error(masses)
    error = np.inf
    bar = None
    if masses.size >= BAR_FROM_ENTRIES:  # seconds to minutes: say it is working
        bar = bar_for(sys.stderr, desc="grid barycenter", bar_format=BAR_FORMAT)
    for _ in range(MAX_ITERATIONS):
        log_v = log_mu - applied_u  # each plan now carries its landscape's mass exactly
        marginals = log_u + _apply(kernels, log_v)
        log_b = np.tensordot(weights, marginals, axes=1)  # their weighted geometric mean
        log_u = log_u + log_b - marginals  # each plan now carries the barycenter exactly
        applied_u = _apply(kernels, log_u)
        error = marginal_error(log_v, applied_u)
        if bar is not None:
            bar.set_postfix_str(f"marginal error {error:.1e} (stops at {TOLERANCE:.0e})", False)
            bar.update(1)
        if error <= TOLERANCE:
            break
    else:
        if bar is not None:  # the error's own line follows: a bar above it would be noise
            bar.leave = False
            bar.close()
        raise FfadeError(
            f"the grid barycenter of {len(masses)} landscapes did not converge in "
            f"{MAX_ITERATIONS:,} iterations (marginal error {error:.2g}); use support='free'"
        )
    if bar is not None:
        bar.close()
    b = np.exp(log_b)
    b /= b.sum()
    diameter2 = float(sum((a.max() - a.min()) ** 2 for a in axes))
    entropies = [_entropy(np.exp(lm)) for lm in log_mu]
    return b, eps * (_entropy(b) + float(np.dot(weights, entropies))) + error * diameter2 / 2


def _marginal_error(masses: np.ndarray) -> Callable[[np.ndarray, np.ndarray], float]:
    """The largest L1 gap between a plan's marginal, ``exp(log_v + applied_u)``, and its
    landscape, summed over the states that landscape has mass on: elsewhere ``log_v`` is -inf and
    the marginal 0, as the landscape is. Failure landscapes of large grids carry mass on few
    states, so the full-grid exponentials it used to take every iteration (the landscapes'
    own among them) were most of an iteration's time; dense ones are read whole, as before."""
    if masses.all():
        sum_axes = tuple(range(1, masses.ndim))
        return lambda log_v, applied_u: float(
            np.abs(np.exp(log_v + applied_u) - masses).sum(sum_axes).max()
        )
    flat = np.flatnonzero(masses)  # into every landscape's states, one after another
    owner = flat // (masses.size // len(masses))
    mu = masses.ravel()[flat]

    def error(log_v: np.ndarray, applied_u: np.ndarray) -> float:
        gaps = np.abs(np.exp(log_v.ravel()[flat] + applied_u.ravel()[flat]) - mu)
        return float(np.bincount(owner, weights=gaps, minlength=len(masses)).max())

    return error


def regularization(axes: Sequence[np.ndarray]) -> float:
    """``eps``: :data:`REG_STEP_FRACTION` of the smallest concept's median grid step, squared.

    Not the smallest step of all: two values very close on one concept (0 and 0.05 beside steps
    of 0.2) made ``eps`` 16 times sharper than the rest of the grid needs, and the solve, whose
    iterations grow with the cost's range over ``eps``, ran for minutes or did not converge.
    On evenly spaced values (each concept's steps alike) it is the smallest step, as before; the
    returned bound counts what a blunter ``eps`` costs.
    """
    medians = []
    for values in axes:
        steps = np.diff(np.sort(np.asarray(values, dtype=float)))
        if (steps > 0).any():
            medians.append(float(np.median(steps[steps > 0])))
    return REG_STEP_FRACTION * min(medians) ** 2 if medians else 1.0


def _apply(kernels: list[np.ndarray], log_f: np.ndarray) -> np.ndarray:
    """log(K exp(log_f)) for the product kernel K, every landscape at once.

    Fast way: each landscape shifted by its largest value, exponentiated once, the concepts'
    kernels applied as matrix products, one log. Exact to rounding wherever the result stays
    above :data:`LINEAR_FLOOR` of the shift (what fell below it is smaller still); a landscape
    with a result below it (values spanning more than ~575 in log) is redone one concept at a
    time with each line shifted by its own largest value (:func:`_apply_logs`).
    """
    shape = (-1,) + (1,) * (log_f.ndim - 1)
    top = log_f.reshape(len(log_f), -1).max(axis=1)
    top[~np.isfinite(top)] = 0.0  # a landscape with no mass stays -inf, not NaN
    linear = np.exp(log_f - top.reshape(shape))
    for axis, kernel in enumerate(kernels, start=1):
        linear = _product(np.exp(kernel), linear, axis)
    low = (linear.reshape(len(linear), -1) < LINEAR_FLOOR).any(axis=1)
    with np.errstate(divide="ignore"):
        out = np.log(linear, out=linear)
    out += top.reshape(shape)
    if low.any():
        out[low] = _apply_logs(kernels, log_f[low])
    return out


def _product(matrix: np.ndarray, values: np.ndarray, axis: int) -> np.ndarray:
    """``matrix`` applied along ``axis`` of ``values`` (one BLAS call, or one batch of them)."""
    shape = values.shape
    n, post = shape[axis], int(np.prod(shape[axis + 1 :]))
    if post == 1:  # the last axis: rows of n values
        return (values.reshape(-1, n) @ matrix.T).reshape(shape)
    return np.matmul(matrix, values.reshape(-1, n, post)).reshape(shape)


def _apply_logs(kernels: list[np.ndarray], log_f: np.ndarray) -> np.ndarray:
    """log(K exp(log_f)) one concept's kernel along its axis at a time, each line (the values of
    that concept, the others fixed) shifted by its own largest value: a matrix product where the
    kernel's own range stays above :data:`LINEAR_FLOOR`, a log-sum-exp of every term otherwise."""
    out = log_f  # (landscapes, *grid): every landscape's at once
    for axis, kernel in enumerate(kernels, start=1):
        moved = np.moveaxis(out, axis, -1)  # (..., n): sum over the last, per target value
        if kernel.min() >= np.log(LINEAR_FLOOR):
            top = moved.max(axis=-1, keepdims=True)
            top[~np.isfinite(top)] = 0.0  # a line with no mass stays -inf, not NaN
            with np.errstate(divide="ignore"):
                summed = np.log(np.exp(moved - top) @ np.exp(kernel).T) + top
        else:
            terms = moved[..., None, :] + kernel
            top = terms.max(axis=-1, keepdims=True)
            top[~np.isfinite(top)] = 0.0
            with np.errstate(divide="ignore"):
                summed = np.log(np.exp(terms - top).sum(axis=-1)) + top[..., 0]
        out = np.moveaxis(summed, -1, axis)
    return out


def _entropy(p: np.ndarray) -> float:
    """Shannon entropy (nats) of a mass array; zero masses add nothing."""
    q = p[p > 0]
    return float(-(q * np.log(q)).sum())
