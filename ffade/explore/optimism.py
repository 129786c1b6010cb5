"""Optimism about concept states: a count-based bonus and a frontier around recent failures.

Once epsilon has decayed, a DQN's greedy choice follows what its Q-network has learned, and a
network fit on a few hundred updates learns big failure regions first: a small region that gave
a few hits is ranked below the edges of the big ones and never visited again (on five planted
islands the DQN took 0-7% of three of them). Two cheap, vectorized aids keep it honest:

- **A bonus from counts** (count-based exploration in the spirit of MBIE-EB and UCB): each
  concept state's failure rate gets a Beta posterior from the evaluations at the state and at
  its grid neighbours (one step away along one concept; all of them together weigh as much as
  the state itself); the prior's mean is the failure rate of everything evaluated so far. The
  bonus is the posterior mean plus one posterior standard deviation: high where a few hits were
  found and few misses, high (through the prior) where nothing was tried, and low where misses
  accumulated. A state's own misses outweigh its neighbours' hits, so the ring around a
  region is ruled out after a miss or two, while the region's unevaluated states stay bright.
- **A frontier**: the states of the most recent new failures. Their neighbours (and they) that
  still hold unevaluated inputs join the step's candidates, the highest bonus first, so a hit is
  followed up the next step instead of waiting for random sampling to offer its neighbours.

Counts are per state up to :data:`MAX_COUNTED_STATES`; a larger grid shares cells by the flat
index modulo a prime table size (:data:`HASHED_CELLS`), as hashed counts do (Tang et al.,
#Exploration).
"""

from __future__ import annotations

import numpy as np
import torch

from ffade.concepts import ConceptSpace

MAX_COUNTED_STATES = 2**22
"""States counted one by one up to this many (two int64 tables, 64 MB); beyond, hashed cells."""
HASHED_CELLS = 4_194_301
"""The cells of a larger grid: the largest prime below 2^22. Modulo 2^22 itself, a grid of 4
values per concept (strides 4^i) put every value of its first concepts in one cell: 12 such
concepts rated a never-tried state like the failing one three steps away along the first."""
PRIOR_STRENGTH = 2.0
"""Pseudo-evaluations of the prior: a neighbourhood's own evidence outweighs it after two."""


class FailureCounts:
    """Evaluations and failures per concept state, an optimistic bonus, and the frontier.

    Args:
        space: the concept grid (its strides and sizes give each state's neighbours).
        num_inputs: inputs of the discovery split (each has its own counts too).
        frontier_size: how many recent failing states the frontier keeps.
    """

    def __init__(self, space: ConceptSpace, num_inputs: int, frontier_size: int) -> None:
        self.space = space
        self.input_counts = np.zeros((2, num_inputs), np.int64)  # evaluations, failures
        self.frontier_size = frontier_size
        self.hashed = space.num_states > MAX_COUNTED_STATES
        self.counts = np.zeros((2, HASHED_CELLS if self.hashed else space.num_states), np.int64)
        k = space.num_concepts
        strides = space.flat(np.eye(k, dtype=np.int64))  # one step up each concept, flattened
        self.flat_offsets = np.concatenate([[0], -strides, strides])
        self.weights = np.full(1 + 2 * k, 1.0 / (2 * k))
        self.weights[0] = 1.0  # the state's own evidence weighs as much as all its neighbours'
        self.frontier = np.zeros(0, np.int64)  # flat states, most recent failure first

    def add(
        self, inputs: np.ndarray, states: np.ndarray, failed: np.ndarray, new_failure: np.ndarray
    ) -> None:
        """Count evaluated pairs; put the newly failing states first in the frontier."""
        np.add.at(self.input_counts[0], inputs, 1)
        np.add.at(self.input_counts[1], inputs, failed.astype(np.int64))
        cells = self._cells(self.space.flat(states))
        np.add.at(self.counts[0], cells, 1)
        np.add.at(self.counts[1], cells, failed.astype(np.int64))
        new = np.unique(self.space.flat(states[new_failure]))
        older = self.frontier[~np.isin(self.frontier, new)]
        self.frontier = np.concatenate([new, older])[: self.frontier_size]

    def _neighbourhoods(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices (n, 1 + 2k) of each state and its neighbours, and which are on the grid."""
        inside = np.concatenate(
            [np.ones((len(states), 1), bool), states > 0, states < self.space.sizes - 1], 1
        )
        moved = self.space.flat(states)[:, None] + self.flat_offsets
        return np.where(inside, moved, 0), inside

    def _cells(self, flat: np.ndarray) -> np.ndarray:
        """Count-table cells of flat states: the states themselves unless the grid is hashed."""
        return flat % self.counts.shape[1] if self.hashed else flat

    def _near(self, flat: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """(2, n): weighted evaluations and failures in each neighbourhood."""
        return np.where(inside, self.counts[:, self._cells(flat)], 0) @ self.weights

    def bonus(self, inputs: np.ndarray, states: np.ndarray) -> np.ndarray:
        """(inputs, states): the state's optimistic failure rate times the input's.

        The product treats input and state as independent causes; the input's factor keeps the
        bonus from spending budget on inputs that never fail (each is counted alone).
        """
        return np.outer(
            _upper_bound(*self.input_counts[:, inputs], self._prior()), self.state_bonus(states)
        )

    def state_bonus(self, states: np.ndarray) -> np.ndarray:
        """Posterior mean plus one standard deviation of each state's failure rate, (n,)."""
        return _upper_bound(*self._near(*self._neighbourhoods(states)), self._prior())

    def _prior(self) -> float:
        total, failed = self.input_counts.sum(1)
        return (failed + 1.0) / (total + 2.0)

    def frontier_states(self, num_inputs: int, limit: int) -> np.ndarray:
        """Up to ``limit`` flat states next to recent failures, sorted, each once.

        States already evaluated for every input are left out: nothing there is left to find;
        past ``limit``, those of the highest bonus are kept. Sorted and unique, so the plan's
        ``setdiff1d`` against the sampled candidates skips its own sorting.
        """
        if not len(self.frontier):
            return self.frontier
        flat, inside = self._neighbourhoods(self.space.unflat(self.frontier))
        near = np.unique(flat[inside])
        near = near[self.counts[0, self._cells(near)] < num_inputs]
        if len(near) > limit:
            bonus = self.state_bonus(self.space.unflat(near))
            near = near[np.sort(np.argpartition(-bonus, limit)[:limit])]
        return near

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Sparse: the counted cells and their counts, the inputs' counts, and the frontier
        (as tensors: checkpoints are loaded with ``weights_only``, which refuses numpy arrays)."""
        cells = np.flatnonzero(self.counts[0])
        arrays = {
            "cells": cells,
            "counts": self.counts[:, cells],
            "input_counts": self.input_counts,
            "frontier": self.frontier,
        }
        return {key: torch.from_numpy(value.copy()) for key, value in arrays.items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.counts[:] = 0
        # a checkpoint of a hashed grid from before HASHED_CELLS may name cells up to 2^22
        cells = state["cells"].numpy() % self.counts.shape[1]
        np.add.at(self.counts, (slice(None), cells), state["counts"].numpy())
        self.input_counts[:] = state["input_counts"].numpy()
        self.frontier = state["frontier"].numpy().copy()


def _upper_bound(evaluations: np.ndarray, failures: np.ndarray, prior: float) -> np.ndarray:
    """Mean plus one standard deviation of a Beta posterior on a failure rate."""
    mean = (failures + PRIOR_STRENGTH * prior) / (evaluations + PRIOR_STRENGTH)
    return mean + np.sqrt(mean * (1 - mean) / (evaluations + PRIOR_STRENGTH + 1))
