"""Barycenter atoms, which fall between grid states, moved onto the grid (its grid_mass)."""

from __future__ import annotations

import math

import numpy as np

from ffade.errors import FfadeError
from ffade.summarize.landscape import MAX_DENSE_STATES, Landscape

SNAP_TIE = 1e-9
"""How much nearer one grid value must be, in normalized coordinates, before an atom's mass goes
to it alone: closer than this to two values, it is split evenly between them (``snap``)."""


def snap(landscape: Landscape, coordinates: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Move each atom's mass to the nearest grid state (per concept: the grid is a product).

    An atom exactly halfway between two values of a concept (the midpoint of failures on
    neighbouring states, the commonest barycenter atom) splits its mass evenly between them:
    sending it all to the lower one made the average of two runs lean one way, and which way
    hung on the last bit of a float (the midpoint of 0 and 1/3 is not exactly 1/6 from both).
    """
    if landscape.num_states > MAX_DENSE_STATES:  # numpy's MemoryError, or minutes of swap
        raise FfadeError(
            f"{landscape.source or 'landscape'}: the concept grid has {landscape.num_states:.3g} "
            f"states, more than the {MAX_DENSE_STATES:,} a barycenter's grid_mass (an array "
            "shaped like the grid) holds; take the barycenter of marginals over fewer concepts"
        )
    grid = np.zeros(landscape.shape)
    nearest = []
    for i, axis in enumerate(landscape.grid_coordinates):
        distance = np.abs(coordinates[:, i, None] - axis[None, :])
        nearest.append(distance <= distance.min(axis=1, keepdims=True) + SNAP_TIE)
    for atom, atom_mass in enumerate(mass):
        choices = [np.flatnonzero(tied[atom]) for tied in nearest]
        share = atom_mass / math.prod(len(c) for c in choices)
        # every corner of the box at once: one Python step per corner took 2^k of them for an
        # atom halfway on each of k concepts (20 concepts of two values: 10^6 per atom, minutes)
        grid[np.ix_(*choices)] += share
    return grid


def failure_mass(landscape: Landscape) -> tuple[np.ndarray, np.ndarray]:
    """The states that failed (row-major, ascending) and their failure rates over the rates'
    sum. Where the grid is small enough to hold, the sum is taken over the whole grid, as when
    landscapes were dense arrays: numpy's pairwise sum groups terms by position, so a sum of the
    failed states alone can differ in the last bit, and every distance and barycenter with it.
    A larger grid sums the failed states alone."""
    failed = landscape.visited_failures > 0
    flat = landscape.visited[failed]
    rate = landscape.visited_failures[failed] / landscape.visited_evaluations[failed]
    if landscape.num_states > MAX_DENSE_STATES:
        return flat, rate / rate.sum()
    dense = np.zeros(landscape.num_states)
    dense[flat] = rate
    return flat, rate / dense.sum()
