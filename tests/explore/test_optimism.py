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
    return FailureCounts(space, num_inputs=4, frontier_size=4)


def test_hits_outrank_the_untried_which_outrank_misses() -> None:
    counts = counts_on_a_5x5_grid()
    misses = np.array([[4, 4], [4, 3], [3, 4]] * 3)
    counts.add(np.zeros(9, int), misses, np.zeros(9, bool), np.zeros(9, bool))
    counts.add(np.array([1]), np.array([[0, 0]]), np.array([True]), np.array([True]))
    hit, untried, missed = counts.state_bonus(np.array([[0, 0], [2, 0], [4, 4]]))
    assert hit > untried > missed
    # a neighbour of the hit (one step along one concept) is brighter than an untried state
    assert counts.state_bonus(np.array([[0, 1]]))[0] > untried


def test_a_state_missed_for_one_input_dims_below_its_failing_neighbour() -> None:
    """Own evidence weighs as much as all neighbours': the ring around a region is ruled out."""
    counts = counts_on_a_5x5_grid()
    counts.add(np.arange(4), np.array([[2, 2]] * 4), np.ones(4, bool), np.eye(4, dtype=bool)[0])
    before = counts.state_bonus(np.array([[2, 3]]))[0]
    counts.add(np.array([0]), np.array([[2, 3]]), np.array([False]), np.array([False]))
    assert counts.state_bonus(np.array([[2, 3]]))[0] < before - 0.2


def test_the_frontier_offers_the_neighbours_of_recent_failures_still_open() -> None:
    counts = counts_on_a_5x5_grid()
    counts.add(np.array([0, 0]), np.array([[2, 2], [0, 0]]), np.ones(2, bool), np.ones(2, bool))
    offered = set(counts.frontier_states(num_inputs=1, limit=100).tolist())
    flat = counts.space.flat
    expected = {flat(np.array(s)).item() for s in ([1, 2], [3, 2], [2, 1], [2, 3], [1, 0], [0, 1])}
    assert offered == expected  # the failing states themselves were evaluated for every input
    assert len(counts.frontier_states(num_inputs=1, limit=3)) == 3


def test_counts_and_frontier_survive_a_checkpoint() -> None:
    counts = counts_on_a_5x5_grid()
    states = np.array([[1, 1], [3, 3], [3, 3]])
    counts.add(np.arange(3), states, np.array([True, False, True]), np.ones(3, bool))
    restored = counts_on_a_5x5_grid()
    restored.load_state_dict(counts.state_dict())
    assert np.array_equal(restored.counts, counts.counts)
    assert np.array_equal(restored.frontier, counts.frontier)
    inputs, states = np.arange(4), np.array([[0, 0], [1, 2], [3, 4]])
    assert np.array_equal(restored.bonus(inputs, states), counts.bonus(inputs, states))


def test_an_input_that_never_fails_gets_less_bonus() -> None:
    counts = counts_on_a_5x5_grid()
    states = np.array([[i, j] for i in range(5) for j in range(5)])
    failing = states.sum(1) >= 7  # 3 of 25 states fail for input 0; input 1 fails nowhere
    for input_id in (0, 1):
        failed = failing & (input_id == 0)
        counts.add(np.full(25, input_id), states, failed, failed)
    bonus = counts.bonus(np.array([0, 1]), np.array([[4, 4], [0, 0]]))
    assert (bonus[0] > bonus[1]).all()


def test_a_hashed_grid_of_four_values_tells_its_first_concept_apart() -> None:
    """Past 2^22 states counts are hashed; modulo 2^22, twelve concepts of four values (strides
    4^i) put all of the first concept's values in one cell, so a never-tried state three steps
    from a failing one rated exactly like it (and above the failure's own neighbour)."""
    space = ConceptSpace([Axis(i, [0.0, 1 / 3, 2 / 3, 1.0]) for i in range(12)])
    counts = FailureCounts(space, num_inputs=4, frontier_size=4)
    misses = np.array([[1] * 12] * 9)  # elsewhere: the prior is low, as in test 1
    counts.add(np.zeros(9, int), misses, np.zeros(9, bool), np.zeros(9, bool))
    failing = np.array([[3] + [0] * 11] * 4)
    counts.add(np.arange(4), failing, np.ones(4, bool), np.ones(4, bool))
    hit, far, neighbour = counts.state_bonus(
        np.array([[3] + [0] * 11, [0] * 12, [3] + [0] * 10 + [1]])
    )
    assert hit > neighbour > far
    restored = FailureCounts(space, num_inputs=4, frontier_size=4)
    restored.load_state_dict(counts.state_dict())
    assert np.array_equal(restored.counts, counts.counts)


def test_the_frontier_is_sorted_and_unique_under_and_over_its_limit() -> None:
    """The plan's setdiff1d(near, sampled, assume_unique=True) keeps near's order: sorted and
    each state once, or the step's candidates (and so its ties) would change."""
    counts = counts_on_a_5x5_grid()
    failing = np.array([[1, 1], [1, 2], [3, 3], [2, 2]])  # neighbours shared, e.g. [2, 1]
    counts.add(np.zeros(4, int), failing, np.ones(4, bool), np.ones(4, bool))
    everything = counts.frontier_states(num_inputs=4, limit=100)
    assert len(everything) == 13  # the 4 failing states (one input of 4 each) and 9 around
    for near in (everything, counts.frontier_states(num_inputs=4, limit=5)):
        assert (np.diff(near) > 0).all()
