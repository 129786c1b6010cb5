"""Training pairs for a fine-tuner: which fine-tuning input, under which concept state.

The data is (input id, concept state) pairs, not images: the fine-tuner rebuilds each batch's
inputs with the task's concepts on the target's device (as discovery did), so nothing is stored
and every epoch can draw fresh states. Each epoch visits every input of the fine-tuning split
once, in a new seeded order; exactly ``clean_share`` of them stay unchanged (the neutral state),
which keeps the model good at what it already did, and the rest take a targeted state drawn by
the plan's weights.

An epoch's pairs are a pure function of (seed, epoch), so a resumed fine-tune sees the very batches
an uninterrupted one would: :meth:`TrainingPairs.resume_after` skips the batches its checkpoint
had trained on, and the next iteration starts at the epoch and batch where training stopped.

Under data parallelism (``--trainer.devices 2 --trainer.strategy ddp``) every rank draws the same
epoch and takes its share of the batches (:meth:`TrainingPairs.shard`): rank r of N trains on
batches r, r + N, r + 2N, ... Lightning does not shard this data (it is no DataLoader), so before
this every rank trained on every batch: N devices did N times the work for one device's result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset

from ffade.errors import require_at_least, require_share

SHARE_MEANS = "the share of unchanged fine-tuning inputs"


@dataclass
class TrainingBatch:
    """One training batch: the changed inputs, their references, and where they came from.

    Attributes:
        inputs: the inputs with each row's concept state applied, on the target's device.
        references: what the model should answer, on the target's device.
        input_ids: each row's index in the finetune split (B,).
        states: each row's concept state (B, k).
        clean: rows left unchanged (the neutral state), as a bool tensor (B,) on the device.
    """

    inputs: Any
    references: Any
    input_ids: np.ndarray
    states: np.ndarray
    clean: torch.Tensor


class TrainingPairs(IterableDataset):
    """Batches of (input ids (B,), states (B, k)), a fresh draw each epoch; see the module doc.

    Args:
        num_inputs: inputs in the fine-tuning split.
        states: targeted states (m, k).
        weights: probability of each targeted state (m,).
        neutral: the state that changes nothing (k,).
        clean_share: share of each epoch's inputs left unchanged, in [0, 1).
        batch_size: pairs per batch.
        seed: fixes every epoch's order and draws.
    """

    def __init__(
        self,
        num_inputs: int,
        states: np.ndarray,
        weights: np.ndarray,
        neutral: np.ndarray,
        clean_share: float,
        batch_size: int,
        seed: int = 0,
    ) -> None:
        require_share("clean_share", clean_share, SHARE_MEANS, one=False)
        require_at_least(1, whole=True, batch_size=batch_size)
        self.num_inputs = num_inputs
        self.states = np.asarray(states, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.neutral = np.asarray(neutral, dtype=np.int64)
        self.clean_share = clean_share
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0
        self.first_batch = 0
        self.rank = 0
        self.world_size = 1

    def shard(self, rank: int, world_size: int) -> None:
        """Take rank ``rank``'s share of each epoch's batches, of ``world_size`` ranks: batches
        rank, rank + world_size, ... Every rank steps the same number of times (DDP all-reduces
        each step's gradients, so a rank with a step fewer would leave the others waiting): where
        the batches do not divide evenly, the last ranks take the epoch's first batches again, as
        Lightning's DistributedSampler repeats inputs. One rank takes every batch, in order."""
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} of {world_size} ranks")
        self.rank, self.world_size = rank, world_size

    def resume_after(self, batches_trained: int) -> None:
        """Start the next iteration after ``batches_trained`` batches (this rank's steps), counted
        from the first epoch.

        Lightning resumes a checkpoint from the middle of an epoch by running only that epoch's
        remaining batches, whatever the data yields: the data must yield those batches, not the
        epoch's first ones (nor the first epoch's).
        """
        self.epoch, self.first_batch = divmod(batches_trained, len(self))

    def __len__(self) -> int:
        """This rank's batches per epoch (what Lightning counts as the epoch's steps)."""
        return -(-self.num_batches() // self.world_size)

    def num_batches(self) -> int:
        """Batches in one epoch's draw, all ranks together."""
        return -(-self.num_inputs // self.batch_size)

    def batch_numbers(self) -> list[int]:
        """Which of an epoch's batches this rank trains on, in order (see :meth:`shard`)."""
        total = self.num_batches()
        return [(step * self.world_size + self.rank) % total for step in range(len(self))]

    def draw(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """One epoch's pairs: every input once, ``clean_share`` of them neutral."""
        rng = np.random.default_rng([self.seed, epoch])
        ids = rng.permutation(self.num_inputs)
        chosen = rng.choice(len(self.states), size=self.num_inputs, p=self.weights)
        states = self.states[chosen]
        clean = rng.permutation(self.num_inputs) < round(self.clean_share * self.num_inputs)
        states[clean] = self.neutral
        return ids, states

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        ids, states = self.draw(self.epoch)
        numbers = self.batch_numbers()[self.first_batch :]
        self.epoch, self.first_batch = self.epoch + 1, 0
        for number in numbers:
            part = slice(number * self.batch_size, (number + 1) * self.batch_size)
            yield torch.from_numpy(ids[part]), torch.from_numpy(states[part])
