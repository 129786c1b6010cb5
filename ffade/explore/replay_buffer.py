"""The DQN's replay buffer: transitions kept as tensors, sampled uniformly."""

from __future__ import annotations

from typing import Any

import torch


class ReplayBuffer:
    """A fixed-size ring of transitions, stored as tensors.

    A transition keeps its input's index, not its features: an episode's input is the same before
    and after a step, and features can be thousands wide (two copies of AlexNet's 4,096 per
    transition made the default buffer 1.6 GB, in memory and in every checkpoint).
    """

    def __init__(self, capacity: int, num_concepts: int, action_flags: int = 1) -> None:
        self.capacity = capacity
        self.size = 0
        self.position = 0
        k = num_concepts
        self.data = {
            "input_id": torch.zeros(capacity, dtype=torch.long),
            "coords": torch.zeros(capacity, k),
            "action": torch.zeros(capacity, k + action_flags),
            "reward": torch.zeros(capacity),
            "next_state": torch.zeros(capacity, k, dtype=torch.long),
            "done": torch.zeros(capacity),
        }

    def add(self, **batch: torch.Tensor) -> None:
        """Write a batch at the ring's position; of a batch larger than the ring, the last rows.

        ``index_copy_``, not ``data[rows] = value``: torch's indexed assignment starts a thread
        pool region on every call, which on a busy CPU cost 20 ms a call for a thousand rows
        (a quarter of a DQN step of the synthetic task), where a copy takes microseconds.
        """
        n = len(batch["reward"])
        skip = max(0, n - self.capacity)  # rows that later ones in the batch overwrite
        rows = (self.position + torch.arange(skip, n)) % self.capacity
        for key, value in batch.items():
            self.data[key].index_copy_(0, rows, value[skip:].to(self.data[key].dtype).cpu())
        self.position = int((self.position + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        rows = torch.randint(0, self.size, (batch_size,), generator=generator)
        return {key: value[rows] for key, value in self.data.items()}

    def state_dict(self) -> dict[str, Any]:
        """The filled rows only: a checkpoint early in a run need not carry the empty capacity."""
        data = {key: value[: self.size].clone() for key, value in self.data.items()}
        return {"data": data, "size": self.size, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.size, self.position = state["size"], state["position"]
        for key, value in state["data"].items():
            self.data[key][: self.size] = value
