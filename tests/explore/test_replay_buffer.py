"""The DQN's replay buffer: rows written in ring order, without indexed assignment."""

from __future__ import annotations

import torch
from torch.profiler import ProfilerActivity, profile

from ffade.explore.replay_buffer import ReplayBuffer


def _batch(start: int, n: int, k: int = 2) -> dict[str, torch.Tensor]:
    ids = torch.arange(start, start + n)
    return {
        "input_id": ids,
        "coords": ids[:, None].float().repeat(1, k),
        "action": ids[:, None].float().repeat(1, k + 1),
        "reward": ids.float(),
        "next_state": ids[:, None].repeat(1, k),
        "done": torch.zeros(n),
    }


def test_rows_wrap_around_the_ring_and_a_batch_larger_than_it_keeps_its_last_rows() -> None:
    buffer = ReplayBuffer(capacity=5, num_concepts=2, action_flags=1)
    buffer.add(**_batch(0, 3))
    buffer.add(**_batch(3, 4))  # rows 3, 4, then 0, 1
    assert buffer.data["input_id"].tolist() == [5, 6, 2, 3, 4]
    assert (buffer.size, buffer.position) == (5, 2)
    buffer.add(**_batch(10, 7))  # 7 rows from position 2: 15 and 16 overwrite 10 and 11
    assert buffer.data["input_id"].tolist() == [13, 14, 15, 16, 12]
    assert buffer.data["next_state"][:, 1].tolist() == [13, 14, 15, 16, 12]
    assert (buffer.size, buffer.position) == (5, 4)


def test_add_copies_rows_without_indexed_assignment() -> None:
    """``data[rows] = value`` (aten::index_put_) opens a thread pool region per call, 20 ms a
    call on a busy two-core machine against microseconds for ``index_copy_``."""
    buffer = ReplayBuffer(capacity=4096, num_concepts=4)
    with profile(activities=[ProfilerActivity.CPU]) as run:
        buffer.add(**_batch(0, 1024, k=4))
    ops = {event.key for event in run.key_averages()}
    assert "aten::index_copy_" in ops
    assert not {"aten::index_put_", "aten::_index_put_impl_"} & ops
