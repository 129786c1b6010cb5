"""The fixed-support (``support="grid"``) barycenter on a grid of any size.

On a grid small enough to hold as arrays (``MAX_DENSE_STATES``) the support is the whole grid,
as it always was. Past that, it is the box of the grid spanned by the states the landscapes put
mass on: per concept, the values from the lowest any of those states takes to the highest. This
loses nothing: clamping each coordinate into the box moves a grid state to a grid state of the box
and brings it no farther from any point of the box on any concept, so the box holds a least-cost
grid-supported barycenter (the returned bound holds against the least over the whole grid). The
box is solved as a grid of its own, with the whole grid's regularization, so a large grid's
barycenter equals that of the small grid made of the box's states. A box past
``MAX_DENSE_STATES`` is refused in one line (``support="free"`` needs no grid arrays at all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ffade.errors import FfadeError
from ffade.summarize.grid_barycenter import grid_barycenter, regularization
from ffade.summarize.landscape import MAX_DENSE_STATES, Landscape
from ffade.summarize.snap import Barycenter, Kind, failure_mass, missing_mass


def grid_support_barycenter(
    landscapes: Sequence[Landscape], kind: Kind, weights: np.ndarray
) -> Barycenter:
    """The grid barycenter of ``landscapes`` (weights summing 1, each positive), each with its
    whole mass (no ``max_support``).

    Raises:
        FfadeError: a landscape has no such mass, the box passes ``MAX_DENSE_STATES``, or the
            solve did not converge.
    """
    first = landscapes[0]
    if first.num_states <= MAX_DENSE_STATES:  # the whole grid, as before
        masses = np.stack([_grid_mass(x, kind) for x in landscapes])
        b, bound = grid_barycenter(masses, first.grid_coordinates, weights)
        flat = np.flatnonzero(b)
        mass = b.ravel()[flat]
        states = np.stack(np.unravel_index(flat, first.shape), axis=-1)
        return Barycenter(first.coordinates(states), mass, flat, mass, first.shape, bound)
    parts = [_state_mass(x, kind) for x in landscapes]
    low, high = box(first, [flat for flat, _ in parts])
    size = math.prod(int(n) for n in high - low + 1)
    if size > MAX_DENSE_STATES:
        raise FfadeError(
            f"the grid barycenter's support, the box of concept values the landscapes' {kind} "
            f"mass spans, has {size:.3g} states, more than the {MAX_DENSE_STATES:,} it can hold; "
            "use support='free', or take the barycenter of marginals over fewer concepts"
        )
    shape = tuple(int(n) for n in high - low + 1)
    masses = np.zeros((len(parts), *shape))
    for k, (flat, mass) in enumerate(parts):
        local = np.stack(np.unravel_index(flat, first.shape), axis=-1) - low
        masses[(k, *local.T)] = mass
    axes = [
        axis[lo : hi + 1] for axis, lo, hi in zip(first.grid_coordinates, low, high, strict=True)
    ]
    b, bound = grid_barycenter(masses, axes, weights, regularization(first.grid_coordinates))
    local_flat = np.flatnonzero(b)
    mass = b.ravel()[local_flat]
    states = np.stack(np.unravel_index(local_flat, shape), axis=-1) + low
    flat = np.ravel_multi_index(tuple(states.T), first.shape)  # ascending: the box keeps order
    return Barycenter(first.coordinates(states), mass, flat, mass, first.shape, bound)


def grid_support_fits(landscapes: Sequence[Landscape], kind: Kind) -> bool:
    """Whether the grid barycenter's support (the whole grid, or the box past
    ``MAX_DENSE_STATES``) can be held: ``support="auto"`` turns to the free support where not."""
    first = landscapes[0]
    if first.num_states <= MAX_DENSE_STATES:
        return True
    low, high = box(first, [_state_mass(x, kind)[0] for x in landscapes])
    return math.prod(int(n) for n in high - low + 1) <= MAX_DENSE_STATES


def box(landscape: Landscape, flats: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest value index, per concept, of the states ``flats`` (row-major)."""
    states = np.stack(np.unravel_index(np.concatenate(flats), landscape.shape), axis=-1)
    return states.min(axis=0), states.max(axis=0)


def _state_mass(landscape: Landscape, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """A landscape's whole failure or policy mass on the states carrying it (row-major), sum 1."""
    reason = missing_mass(landscape, kind)
    if reason is not None:
        raise FfadeError(reason)
    if kind == "failure":
        return failure_mass(landscape)
    flat = np.flatnonzero(landscape.policy)
    return flat, landscape.policy.ravel()[flat] / landscape.policy.sum()


def _grid_mass(landscape: Landscape, kind: Kind) -> np.ndarray:
    """A landscape's whole failure or policy mass on its grid, summing 1 (no support reduced)."""
    reason = missing_mass(landscape, kind)
    if reason is not None:
        raise FfadeError(reason)
    values = landscape.failure_rate if kind == "failure" else landscape.policy
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    return values / values.sum()
