"""The optimism bonus ranks states by what their counts say; the frontier follows new failures."""

from __future__ import annotations

import numpy as np
from ffade_synthetic.concept import Axis

from ffade.concepts import ConceptSpace
from ffade.explore.optimism import FailureCounts


def counts_on_a_5x5_grid() -> FailureCounts:
    space = ConceptSpace(
        [Axis(0, [0.0, 0.25, 0.5, 0.75, 1.0]), Axis(1, [0.0, 0.25, 0.5, 0.75, 1.0])]
    )
    return FailureCounts(space, frontier_size=4)


def test_hits_outrank_the_untried_which_outrank_misses() -> None:
    counts = counts_on_a_5x5_grid()
    misses = np.array([[4, 4], [4, 3], [3, 4]] * 3)
    counts.add(misses, np.zeros(9, bool), np.zeros(9, bool))
    counts.add(np.array([[0, 0]]), np.array([True]), np.array([True]))
    hit, untried, missed = counts.bonus(np.array([[0, 0], [2, 0], [4, 4]]))
    assert hit > untried > missed
    # a neighbour of the hit (one step along one concept) is brighter than an untried state
    assert counts.bonus(np.array([[0, 1]]))[0] > untried


def test_a_state_missed_for_one_input_dims_below_its_failing_neighbour() -> None:
    """Own evidence weighs as much as all neighbours': the ring around a region is ruled out."""
    counts = counts_on_a_5x5_grid()
    counts.add(np.array([[2, 2]] * 4), np.ones(4, bool), np.array([True, False, False, False]))
    before = counts.bonus(np.array([[2, 3]]))[0]
    counts.add(np.array([[2, 3]]), np.array([False]), np.array([False]))
    assert counts.bonus(np.array([[2, 3]]))[0] < before - 0.2


def test_the_frontier_offers_the_neighbours_of_recent_failures_still_open() -> None:
    counts = counts_on_a_5x5_grid()
    counts.add(np.array([[2, 2], [0, 0]]), np.ones(2, bool), np.ones(2, bool))
    offered = set(counts.frontier_states(num_inputs=1, limit=100).tolist())
    flat = counts.space.flat
    expected = {flat(np.array(s)).item() for s in ([1, 2], [3, 2], [2, 1], [2, 3], [1, 0], [0, 1])}
    assert offered == expected  # the failing states themselves were evaluated for every input
    assert len(counts.frontier_states(num_inputs=1, limit=3)) == 3


def test_counts_and_frontier_survive_a_checkpoint() -> None:
    counts = counts_on_a_5x5_grid()
    counts.add(np.array([[1, 1], [3, 3], [3, 3]]), np.array([True, False, True]), np.ones(3, bool))
    restored = counts_on_a_5x5_grid()
    restored.load_state_dict(counts.state_dict())
    assert np.array_equal(restored.counts, counts.counts)
    assert np.array_equal(restored.frontier, counts.frontier)
    states = np.array([[0, 0], [1, 2], [3, 4]])
    assert np.array_equal(restored.bonus(states), counts.bonus(states))
