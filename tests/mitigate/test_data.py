"""Training pairs: every fine-tuning input once per epoch, an exact clean share, targeted states."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffade.errors import FfadeError
from ffade.mitigate.data import TrainingPairs

TARGETED = np.array([[1, 2], [3, 0], [2, 2]])
NEUTRAL = np.array([0, 0])


def epoch(pairs: TrainingPairs) -> tuple[np.ndarray, np.ndarray]:
    batches = list(pairs)
    assert len(batches) == len(pairs)
    ids = np.concatenate([b[0].numpy() for b in batches])
    states = np.concatenate([b[1].numpy() for b in batches])
    return ids, states


@settings(max_examples=40, deadline=None)
@given(
    num_inputs=st.integers(1, 200),
    clean_share=st.floats(0.0, 0.99),
    batch_size=st.integers(1, 64),
    seed=st.integers(0, 10),
)
def test_each_epoch_visits_every_input_once_with_the_exact_clean_share(
    num_inputs: int, clean_share: float, batch_size: int, seed: int
) -> None:
    pairs = TrainingPairs(
        num_inputs, TARGETED, np.full(3, 1 / 3), NEUTRAL, clean_share, batch_size, seed
    )
    ids, states = epoch(pairs)
    assert sorted(ids.tolist()) == list(range(num_inputs))
    clean = (states == NEUTRAL).all(1)
    assert clean.sum() == round(clean_share * num_inputs)
    targeted = {tuple(s) for s in TARGETED}
    assert all(tuple(s) in targeted for s in states[~clean])


def test_states_follow_the_weights_and_epochs_draw_afresh() -> None:
    pairs = TrainingPairs(3000, TARGETED, np.array([0.7, 0.3, 0.0]), NEUTRAL, 0.5, 100, seed=0)
    ids, states = epoch(pairs)
    changed = states[~(states == NEUTRAL).all(1)]
    share = (changed == TARGETED[0]).all(1).mean()
    assert 0.65 < share < 0.75
    assert not (changed == TARGETED[2]).all(1).any()
    again, _ = epoch(pairs)
    assert not np.array_equal(ids, again)
    same = TrainingPairs(3000, TARGETED, np.array([0.7, 0.3, 0.0]), NEUTRAL, 0.5, 100, seed=0)
    assert np.array_equal(epoch(same)[0], ids)


@pytest.mark.parametrize("share", [-0.1, 1.0, 1.5])
def test_a_clean_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(FfadeError, match=r"clean_share must be in \[0, 1\)"):
        TrainingPairs(10, TARGETED, np.full(3, 1 / 3), NEUTRAL, share, 4)


@pytest.mark.parametrize("trained", [0, 3, 5, 7, 12])
def test_resumed_pairs_go_on_with_the_batch_after_those_trained(trained: int) -> None:
    """Five batches an epoch (18 inputs by 4): a resume after any count, mid-epoch or at an
    epoch's end, yields what an uninterrupted run would have yielded next."""

    def pairs() -> TrainingPairs:
        return TrainingPairs(18, TARGETED, np.full(3, 1 / 3), NEUTRAL, 0.5, 4, seed=3)

    whole = pairs()
    batches = [b for _ in range(3) for b in whole]
    resumed = pairs()
    resumed.resume_after(trained)
    rest = [b for _ in range(3 - trained // len(resumed)) for b in resumed]
    assert len(rest) == len(batches) - trained
    for (ids, states), (want_ids, want_states) in zip(rest, batches[trained:], strict=True):
        assert ids.tolist() == want_ids.tolist() and states.tolist() == want_states.tolist()


@pytest.mark.parametrize(("num_inputs", "world_size"), [(18, 2), (18, 3), (16, 2), (4, 3)])
def test_ranks_share_each_epochs_batches_and_step_as_often(
    num_inputs: int, world_size: int
) -> None:
    """Under data parallelism each rank trains on its share of the very batches one process
    trains on (batch r, r + N, ...), every batch by some rank, and all ranks step as often (a
    rank short of a step would leave DDP's all-reduce waiting): the last ranks take the first
    batches again where the batches do not divide evenly."""

    def pairs() -> TrainingPairs:
        return TrainingPairs(num_inputs, TARGETED, np.full(3, 1 / 3), NEUTRAL, 0.5, 4, seed=3)

    one = [(ids.tolist(), states.tolist()) for ids, states in pairs()]
    ranks = []
    for rank in range(world_size):
        shard = pairs()
        shard.shard(rank, world_size)
        ranks.append([(ids.tolist(), states.tolist()) for ids, states in shard])
        assert len(ranks[-1]) == len(shard) == -(-len(one) // world_size)
    for rank, batches in enumerate(ranks):
        want = [one[(step * world_size + rank) % len(one)] for step in range(len(batches))]
        assert batches == want
    assert {str(b) for batches in ranks for b in batches} == {str(b) for b in one}


def test_a_resumed_rank_goes_on_with_its_own_share() -> None:
    """Resumed after 4 of its steps (an epoch and a half: 3 steps an epoch, 5 batches on 2
    ranks), rank 1 yields what its uninterrupted share would have yielded next."""

    def rank_one() -> TrainingPairs:
        pairs = TrainingPairs(18, TARGETED, np.full(3, 1 / 3), NEUTRAL, 0.5, 4, seed=3)
        pairs.shard(1, 2)
        return pairs

    whole = rank_one()
    batches = [ids.tolist() for _ in range(3) for ids, _ in whole]
    resumed = rank_one()
    resumed.resume_after(4)
    rest = [ids.tolist() for _ in range(2) for ids, _ in resumed]
    assert rest == batches[4:]
