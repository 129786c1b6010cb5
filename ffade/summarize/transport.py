"""Optimal transport between failure landscapes, with POT: distances and barycenters.

A landscape is read as a probability distribution *over concept states*: each state is a point at
its normalized concept coordinates (:meth:`Landscape.coordinates`), carrying mass. Failure mass is
the failure rate normalized to sum 1 (where a model fails, not how often it was asked); policy mass
is the explorer's action probabilities. The Wasserstein distance is then how far, in concept
space, failures moved between two runs: 0 when they sit on the same states, ``d`` when a failure
moved by ``d`` in normalized coordinates. The original paper instead fed the probability values
themselves to a 1-D Wasserstein distance, as if they were samples, which forgets which state each
number belongs to; here every mass stays attached to its state.

Only states with mass enter a transport problem (sparse support), so a 10^6-state grid whose
failures sit on a few hundred states costs what those states cost. A spread-out distribution (a
policy, which is positive everywhere) is reduced to its ``max_support`` heaviest states, each other
state's mass moved to the nearest kept state. The cost of that move (mass times distance moved) is
computed and reported as ``approximation``: it bounds how far the distance can be off, since moving
mass by at most that much changes a Wasserstein-1 distance by at most that much.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ffade.errors import FfadeError
from ffade.summarize.landscape import Landscape, require_landscape
from ffade.summarize.snap import Barycenter, Kind, failure_mass, missing_mass, snap

Support = Literal["auto", "free", "grid"]

MAX_SUPPORT = 2000
"""States kept per distribution: a 2000 x 2000 transport problem solves in about a second."""
MAX_COST_ENTRIES = 25_000_000
"""The largest dense cost matrix one transport problem builds: 200 MB of float64, 5000 x 5000
states, solved in about half a minute. A bigger ``max_support`` is refused in one line: 10^5
states a side would need 80 GB and hours, and would fill memory rather than say so."""
FREE_SUPPORT_ENTRIES = 250_000
"""The largest cost matrix (atoms x one landscape's states) the free-support barycenter solves at
each step under ``support="auto"``: it solves one per landscape per iteration, so beyond this a
dozen spread-out landscapes take hours; the grid barycenter takes seconds."""
EMD_ITERATIONS = 10**9
"""Network simplex iterations allowed: enough to finish any problem within ``MAX_COST_ENTRIES``
(POT's default, 100000, stops a 5000 x 5000 problem short of optimal, with only a warning)."""


@dataclass
class Distribution:
    """A landscape as weighted points: the states with mass, where they sit, and how much.

    Attributes:
        states: grid indices of the states with mass (m, k).
        coordinates: their normalized concept coordinates (m, k).
        mass: their mass (m,), summing to 1.
        moved_mass: mass moved onto kept states to keep the support within ``max_support``.
        approximation: the cost of that move; distances computed on this distribution are off by
            at most this (0 when nothing was moved).
    """

    states: np.ndarray
    coordinates: np.ndarray
    mass: np.ndarray
    moved_mass: float = 0.0
    approximation: float = 0.0


def distribution(
    landscape: Landscape, kind: Kind = "failure", max_support: int = MAX_SUPPORT
) -> Distribution:
    """The failure or policy mass of a landscape on the states that carry it.

    Raises:
        FfadeError: the landscape has no such mass (no failure at all, or no policy.npy); a
            distance to "nothing" is undefined, and silently returning 0 or inf would mislead.
    """
    if kind not in ("failure", "policy"):
        raise FfadeError(f"landscape kind {kind!r} is not known; allowed: 'failure', 'policy'")
    whole = isinstance(max_support, (int, np.integer)) and not isinstance(max_support, bool)
    if not whole or max_support < 1:
        raise FfadeError(f"max_support {max_support!r} must be a whole number >= 1")
    reason = missing_mass(landscape, kind)
    if reason is not None:
        other = (
            "the policy instead, or runs that found failures"
            if kind == "failure"
            else "failure landscapes"
        )
        raise FfadeError(f"{reason}; compare {other}")
    if kind == "failure":  # the states that failed: a grid of 10^10 states is never built
        flat, mass = failure_mass(landscape)
    else:
        flat = np.flatnonzero(landscape.policy)
        mass = landscape.policy.ravel()[flat] / landscape.policy.sum()
    states = np.stack(np.unravel_index(flat, landscape.shape), axis=-1)
    coordinates = landscape.coordinates(states)
    if flat.size <= max_support:
        return Distribution(states=states, coordinates=coordinates, mass=mass)

    order = np.argsort(-mass, kind="stable")
    keep, move = np.sort(order[:max_support]), order[max_support:]
    from scipy.spatial import cKDTree  # here: a report of one run measures no distance

    distance, nearest = cKDTree(coordinates[keep]).query(coordinates[move])
    kept_mass = mass[keep].copy()
    np.add.at(kept_mass, nearest, mass[move])
    return Distribution(
        states=states[keep],
        coordinates=coordinates[keep],
        mass=kept_mass / kept_mass.sum(),
        moved_mass=float(mass[move].sum()),
        approximation=float(mass[move] @ distance),
    )


def wasserstein_distance(
    first: Landscape, second: Landscape, kind: Kind = "failure", max_support: int = MAX_SUPPORT
) -> float:
    """Earth mover's distance (W1, Euclidean ground metric) between two landscapes' masses.

    In normalized concept coordinates: moving all failure mass one full grid range along one
    concept costs 1. Exact (``ot.emd2``, network simplex) on the states carrying mass.

    Raises:
        FfadeError: the landscapes are over different concept grids, or one has no mass.
    """
    if not require_landscape(first).same_grid(require_landscape(second)):
        raise FfadeError(
            f"cannot compare '{first.source}' and '{second.source}': their concept grids differ "
            f"({first.grid_difference(second)}); compare runs of the same concepts"
        )
    a = distribution(first, kind, max_support)
    b = distribution(second, kind, max_support)
    _check_size(len(a.mass), len(b.mass))
    return transport_cost(a, b)


def transport_cost(first: Distribution, second: Distribution) -> float:
    """Exact W1 between two distributions (``ot.emd2`` on their Euclidean cost matrix).

    The cost is scipy's ``cdist``, exact for points that coincide: ``ot.dist`` expands
    |x - y|^2 as |x|^2 + |y|^2 - 2xy, leaving 2e-08 between two copies of one state, so a
    landscape compared with an identical one read 2.3e-09 instead of 0.
    """
    import ot  # on first use: POT takes seconds to import, and a report of one run needs none
    from scipy.spatial.distance import cdist  # scipy.spatial too: a third of a second

    cost = cdist(first.coordinates, second.coordinates)
    value, log = ot.emd2(first.mass, second.mass, cost, numItermax=EMD_ITERATIONS, log=True)
    _require_optimum(log, first.mass, second.mass)
    return float(value)


def _require_optimum(log: dict[str, Any], a: np.ndarray, b: np.ndarray) -> None:
    """Refuse a plan POT stopped short of the optimum: it returns what it has when it runs out of
    iterations, with a warning a report never shows, a distance above the true one read as exact."""
    if log["result_code"] != 1:  # 1: OPTIMAL
        raise FfadeError(
            f"optimal transport between {len(a):,} and {len(b):,} states did not reach the "
            f"optimum ({log['warning']}); lower max_support (default {MAX_SUPPORT})"
        )


def _require_barycenter_optimum(
    warned: list[warnings.WarningMessage], atoms: int, sizes: list[int]
) -> None:
    """Refuse atoms moved by plans POT stopped short of the optimum, as ``_require_optimum`` does.

    POT's free-support solver runs each step's transport with POT's default iteration limit,
    which ffade cannot raise, and only warns when one stops short; any other warning is passed on.
    """
    for caught in warned:
        message = str(caught.message)
        if issubclass(caught.category, UserWarning) and "numItermax" in message:
            raise FfadeError(
                f"optimal transport between {atoms:,} atoms and "
                f"{' / '.join(f'{n:,}' for n in sizes)} states did not reach the optimum in a "
                f"step of the barycenter ({message}); lower max_support (default {MAX_SUPPORT})"
            )
        warnings.warn_explicit(caught.message, caught.category, caught.filename, caught.lineno)


def _check_size(m: int, n: int) -> None:
    """Refuse a problem whose dense cost matrix would pass ``MAX_COST_ENTRIES``, before building
    it: numpy's 'Unable to allocate 74.5 GiB' names no option, and a machine with that much
    memory would spend hours on it."""
    if m * n > MAX_COST_ENTRIES:
        raise FfadeError(
            f"optimal transport between {m:,} and {n:,} states needs a {m:,} x {n:,} cost "
            f"matrix ({m * n * 8 / 1e9:.3g} GB), more than the {MAX_COST_ENTRIES:,} entries "
            f"allowed; lower max_support (default {MAX_SUPPORT}), which moves the rest of each "
            "landscape's mass to its nearest kept state"
        )


def barycenter(
    landscapes: Sequence[Landscape],
    kind: Kind = "failure",
    weights: Sequence[float] | None = None,
    max_support: int = MAX_SUPPORT,
    max_iterations: int = 100,
    support: Support = "auto",
) -> Barycenter:
    """The Wasserstein-2 barycenter of several landscapes: their "average failure landscape".

    Free support rather than a fixed support on the grid, for two reasons. The barycenter of two
    failures on different states lies between them, often between grid states (the midpoint of
    states 0 and 1), which a grid-supported barycenter cannot represent; and a fixed-support LP
    grows with the square of the grid, while this grows only with the states that carry mass.
    Squared Euclidean cost (W2), because the W1 barycenter is not unique (any split of mass along
    the segment between two point masses is one).

    Two landscapes: exact (McCann's interpolation): the optimal W2 plan between them, each pair
    (x, y) it moves mass between becoming an atom at ``w0 x + w1 y``. More: POT's free-support
    solver (``ot.lp.free_support_barycenter``, Cuturi & Doucet 2014), a fixed point, not always
    the minimum: atoms start at the states of the weighted mixture with its masses, which they
    keep, and move to the weighted average of where each input sends them; an atom cannot split.
    For mass 1/2 at 0 and 1/2 at 1 (weight 2) against mass 1 at 1/2 given twice (weights 1, 1),
    one concept, the exact barycenter is 1/2 at 1/4 and 1/2 at 3/4; that solver returns masses
    1/4, 1/2, 1/4 at 1/4, 1/2, 3/4, whose weighted squared cost is 0.094 where the least is 0.0625.

    Args:
        landscapes: two or more landscapes over the same grid.
        kind: "failure" or "policy" mass.
        weights: one non-negative weight per landscape (default equal); normalized to sum 1. A
            landscape of weight 0 takes no part (two of positive weight: the exact barycenter).
        max_support: states kept per input distribution (see module docstring).
        max_iterations: fixed-point iterations of the solver (more than two landscapes).
        support: "free" (above), "grid" (fixed support on the grid's states, entropic, with a
            bound: :mod:`.grid_barycenter`, on a grid past 2x10^7 states the box its mass spans:
            :mod:`.grid_support`; ``max_support`` unused), or "auto": exact for two, free while
            each step's cost matrices stay within ``FREE_SUPPORT_ENTRIES``, else grid (free
            where the grid's box cannot be held).

    Raises:
        FfadeError: fewer than two landscapes, grids differ, weights or ``max_iterations``
            malformed, no mass, or a transport problem stopped short of its optimum.
    """
    if isinstance(landscapes, (Landscape, str, os.PathLike)):  # not iterated letter by letter
        got = f"one Landscape ({landscapes.source})" if isinstance(landscapes, Landscape) else None
        raise FfadeError(
            f"barycenter takes a list of two or more Landscapes, got {got or repr(landscapes)}; "
            "read each run's with ffade.summarize.load_landscape(run_dir)"
        )
    landscapes = list(landscapes)
    w = _barycenter_weights(landscapes, weights)
    whole = isinstance(max_iterations, (int, np.integer)) and not isinstance(max_iterations, bool)
    if not whole or max_iterations < 1:  # POT would hand back the starting atoms unmoved
        raise FfadeError(f"max_iterations {max_iterations!r} must be a whole number >= 1")
    first = landscapes[0]
    # a landscape of weight 0 takes no part: its states would start atoms of no mass (NaN)
    landscapes, w = [x for x, wx in zip(landscapes, w, strict=True) if wx > 0], w[w > 0]
    if support not in ("auto", "free", "grid"):
        raise FfadeError(f"support {support!r} is not known; allowed: 'auto', 'free', 'grid'")
    parts = [distribution(x, kind, max_support) for x in landscapes]
    atoms = len(_mixture(parts, w)[1]) if len(parts) > 2 else 0
    large = atoms * max(len(p.mass) for p in parts) > FREE_SUPPORT_ENTRIES
    if support == "grid" or (support == "auto" and large):
        from ffade.summarize import grid_support  # imports this module

        if support == "grid" or grid_support.grid_support_fits(landscapes, kind):
            return grid_support.grid_support_barycenter(landscapes, kind, w)
    if len(parts) == 1:
        (only,) = parts
        return _snapped(first, only.coordinates, only.mass, bound=0.0)
    import ot  # see transport_cost

    if len(parts) == 2:
        a, b = parts
        _check_size(len(a.mass), len(b.mass))
        plan, log = ot.emd(
            a.mass, b.mass, ot.dist(a.coordinates, b.coordinates), EMD_ITERATIONS, log=True
        )
        _require_optimum(log, a.mass, b.mass)
        i, j = np.nonzero(plan)
        atoms = w[0] * a.coordinates[i] + w[1] * b.coordinates[j]
        mass = plan[i, j] / plan[i, j].sum()
        return _snapped(first, atoms, mass, bound=0.0)
    start_states, start_mass = _mixture(parts, w)
    for part in parts:  # each iteration solves one problem per input against all the atoms
        _check_size(len(start_mass), len(part.mass))
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        atoms = ot.lp.free_support_barycenter(
            [p.coordinates for p in parts],
            [p.mass for p in parts],
            first.coordinates(start_states),
            b=start_mass,
            weights=w,
            numItermax=max_iterations,
        )
    _require_barycenter_optimum(warned, len(start_mass), [len(p.mass) for p in parts])
    return _snapped(first, atoms, start_mass, bound=None)


def _snapped(
    landscape: Landscape, atoms: np.ndarray, mass: np.ndarray, bound: float | None
) -> Barycenter:
    """The barycenter of these atoms, their mass moved onto ``landscape``'s grid states."""
    states, state_mass = snap(landscape, atoms, mass)
    return Barycenter(atoms, mass, states, state_mass, landscape.shape, bound)


def _barycenter_weights(
    landscapes: Sequence[Landscape], weights: Sequence[float] | None
) -> np.ndarray:
    """The landscapes' weights, normalized to sum 1, once the landscapes can be averaged at all.

    Checked before any distribution is built, so a wrong call fails fast with what is wrong.
    """
    for landscape in landscapes:
        require_landscape(landscape)
    if len(landscapes) < 2:
        raise FfadeError(f"a barycenter needs at least two landscapes; got {len(landscapes)}")
    first = landscapes[0]
    for other in landscapes[1:]:
        if not first.same_grid(other):
            raise FfadeError(
                f"cannot average '{first.source}' and '{other.source}': their concept grids differ "
                f"({first.grid_difference(other)})"
            )
    if weights is None:
        weights = [1.0] * len(landscapes)
    listed = isinstance(weights, (Sequence, np.ndarray)) and not isinstance(weights, str)
    given = list(weights) if listed and np.ndim(weights) == 1 else []
    numbers = all(isinstance(x, (int, float, np.number)) and not isinstance(x, bool) for x in given)
    w = np.asarray(given, dtype=float) if numbers else np.zeros(0)
    if w.shape != (len(landscapes),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise FfadeError(
            f"weights {weights!r} must be one finite non-negative number per "
            f"landscape ({len(landscapes)}), not all zero"
        )
    return w / w.sum()


def _mixture(parts: Sequence[Distribution], w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weighted mixture of the distributions: its states (sorted) and masses (summing 1).

    Where the solver's atoms start: every state that carries mass in some input, so no failure
    is lost before the atoms move.
    """
    mixture: dict[tuple[int, ...], float] = {}
    for part, weight in zip(parts, w, strict=True):
        for state, mass in zip(map(tuple, part.states), part.mass, strict=True):
            mixture[state] = mixture.get(state, 0.0) + weight * mass
    start_states = np.array(sorted(mixture), dtype=np.int64)
    start_mass = np.array([mixture[tuple(s)] for s in start_states])
    start_mass /= start_mass.sum()
    return start_states, start_mass
