"""Barycenter atoms, which fall between grid states, moved onto the grid's states (held sparse,
so a barycenter works on a grid of any size), and the ``Barycenter`` that holds both."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ffade.errors import FfadeError
from ffade.summarize.landscape import MAX_DENSE_STATES, Landscape

SNAP_TIE = 1e-9
"""How much nearer one grid value must be, in normalized coordinates, before an atom's mass goes
to it alone: closer than this to two values, it is split evenly between them (``snap``)."""

Kind = Literal["failure", "policy"]
"""Which mass of a landscape is transported: its failures or its explorer's action probabilities."""


def missing_mass(landscape: Landscape, kind: Kind) -> str | None:
    """Why ``landscape`` has no ``kind`` mass to compare (no failure, no policy.npy); None when it
    has some. No advice on what to compare instead: a report shows both kinds side by side, and
    a run with neither would be sent from each to the other."""
    source = landscape.source or "landscape"
    if kind == "failure" and not landscape.visited_failures.any():
        what = "no evaluation failed" if landscape.visited.size else "it has no evaluations"
        return (
            f"{source}: {what}, so its failure landscape has no mass: a Wasserstein "
            "distance or barycenter with it is undefined"
        )
    if kind == "policy" and landscape.policy is None:
        return (
            f"{source}: no policy.npy (the explorer wrote no action probabilities), so there is "
            "no policy landscape"
        )
    return None


def snap(
    landscape: Landscape, coordinates: np.ndarray, mass: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move each atom's mass to the nearest grid state (per concept: the grid is a product), and
    return the states that receive mass (row-major indices, ascending) with their mass.

    Only those states are held, so a grid of 10^10 states costs what its atoms cost; on a grid
    small enough to hold, they are the nonzero entries of the array the mass used to be snapped
    into, to the bit (each state's shares are added in atom order, from 0, as there).

    An atom exactly halfway between two values of a concept (the midpoint of failures on
    neighbouring states, the commonest barycenter atom) splits its mass evenly between them:
    sending it all to the lower one made the average of two runs lean one way, and which way
    hung on the last bit of a float (the midpoint of 0 and 1/3 is not exactly 1/6 from both).
    """
    nearest = []
    for i, axis in enumerate(landscape.grid_coordinates):
        distance = np.abs(coordinates[:, i, None] - axis[None, :])
        nearest.append(distance <= distance.min(axis=1, keepdims=True) + SNAP_TIE)
    flats, shares = [], []
    for atom, atom_mass in enumerate(mass):
        choices = [np.flatnonzero(tied[atom]) for tied in nearest]
        # every corner of the box at once: one Python step per corner took 2^k of them for an
        # atom halfway on each of k concepts (20 concepts of two values: 10^6 per atom, minutes)
        corners = np.ravel_multi_index(np.ix_(*choices), landscape.shape).ravel()
        flats.append(corners)
        shares.append(np.full(corners.size, atom_mass / math.prod(len(c) for c in choices)))
    if not flats:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    states, slot = np.unique(np.concatenate(flats), return_inverse=True)
    return states, np.bincount(slot, weights=np.concatenate(shares), minlength=len(states))


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


@dataclass
class Barycenter:
    """A Wasserstein barycenter: its atoms, and the same mass moved onto the grid's states.

    Attributes:
        coordinates: atom positions in normalized concept coordinates (m, k); between grid
            states where the average falls between them.
        mass: atom masses (m,), summing to 1.
        grid_states: the grid states the atoms' mass moved to (their nearest; row-major indices,
            ascending, as ``Landscape.visited``), so the barycenter reads like any landscape on a
            grid of any size; ``np.unravel_index(grid_states, shape)`` gives their grid indices.
        grid_state_mass: the mass on each of them (summing to 1).
        shape: the grid's shape.
        bound: how much the weighted squared cost can exceed the least: 0 for two landscapes
            (exact), the computed bound on the grid (:mod:`.grid_barycenter`), None for the
            free-support fixed point (no bound known).
    """

    coordinates: np.ndarray
    mass: np.ndarray
    grid_states: np.ndarray
    grid_state_mass: np.ndarray
    shape: tuple[int, ...]
    bound: float | None = 0.0

    @property
    def grid_mass(self) -> np.ndarray:
        """The mass on the grid's states as an array shaped like the grid (0 elsewhere), for grids
        up to MAX_DENSE_STATES; a new array each time it is read."""
        size = math.prod(self.shape)
        if size > MAX_DENSE_STATES:  # numpy's MemoryError, or minutes of swap
            raise FfadeError(
                f"the concept grid has {size:.3g} states, more than the {MAX_DENSE_STATES:,} a "
                "barycenter's grid_mass (an array shaped like the grid) holds; read its "
                "grid_states and grid_state_mass (the states with mass) instead"
            )
        grid = np.zeros(size)
        grid[self.grid_states] = self.grid_state_mass
        return grid.reshape(self.shape)
