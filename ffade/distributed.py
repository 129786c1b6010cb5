"""Data-parallel discovery under Lightning's DDP strategies: who evaluates what, who writes.

``ffade fit ... --trainer.devices N --trainer.strategy ddp`` (or torchrun, or SLURM) starts N
processes that each run the whole explorer. They stay identical by construction, not by messages:
the same seed gives the same random streams, and every rank learns from the same evaluations, so
every rank decides the same next step. Only what costs target time is split: each step's fresh
(input, state) pairs are cut into ``eval_batch_size`` batches exactly as one process would cut
them, the batches are dealt round robin to the ranks, and each batch's scores are all-gathered so
that every rank's memo, counts and learner see all of them (:class:`Ranks`). Rank 0 alone writes
the run directory. Because a batch holds the same pairs as on one device, a target gives the same
numbers, and the run's evaluations.jsonl is line for line the one a single process writes, given
the same torch threads per process on CPU (a kernel may round a batch differently on more).

See docs/scale.md for how to launch it on N GPUs and N nodes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from ffade.errors import FfadeError


@dataclass(frozen=True)
class Ranks:
    """This process's place among the processes that share one search.

    Attributes:
        rank: this process's global rank (0 writes the run directory).
        world_size: processes that share the search; 1 without data parallelism.
    """

    rank: int = 0
    world_size: int = 1

    @property
    def is_global_zero(self) -> bool:
        return self.rank == 0

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order, on every rank (a collective: all ranks call it)."""
        if self.world_size == 1:
            return [obj]
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, obj)
        return gathered

    def check_same(self, digest: str, what: str) -> None:
        """Raise on every rank if the ranks' ``digest`` differ: they no longer run one search.

        Ranks that disagree would write rank 0's search alone and could wait on each other's
        collectives forever. Every rank sees every digest, so all raise and none is left waiting.

        Args:
            digest: this rank's digest of what must be the same everywhere.
            what: what differs, for the error ("chose different pairs at step 12").
        """
        if self.world_size == 1:
            return
        digests = self.gather(digest)
        apart = [rank for rank, other in enumerate(digests) if other != digests[0]]
        if apart:
            raise FfadeError(
                f"data-parallel ranks {apart} {what} than rank 0: every rank must decide the "
                "same (same seed and config; on GPUs add --trainer.deterministic true)"
            )


SINGLE_PROCESS = Ranks()


def keys_digest(keys: np.ndarray) -> str:
    """A hash of an array of (input, state) keys: what a rank is about to evaluate."""
    return hashlib.sha256(np.ascontiguousarray(keys, np.int64).tobytes()).hexdigest()


def state_digest(module: torch.nn.Module, *values: Any) -> str:
    """A hash of a module's parameters and buffers, bit for bit, and of ``values``' reprs."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    digest.update(repr(values).encode())
    return digest.hexdigest()


def check_ranks_ended_alike(explorer: Any) -> None:
    """At the end of a search: every rank holds the same parameters, counts and random streams
    (one FfadeError on every rank otherwise, rather than a log that one rank would contradict)."""
    ev = explorer.evaluator
    rngs = (explorer.rng.bit_generator.state, explorer.env.np_random.bit_generator.state)
    counts = (
        ev.evaluations,
        ev.failures,
        ev.invalid,
        explorer.iterations,
        explorer.gradient_updates,
    )
    ev.ranks.check_same(state_digest(explorer, counts, rngs), "ended in a different state")


def wait_for_rank_0(model: Any) -> None:
    """After a data-parallel fit from Python, hold every rank until rank 0 has ended it.

    Lightning's ``ddp`` runs the calling script on every rank, so the code after
    ``ffade.discover`` (or ``ffade.mitigate``) runs on every rank too. The other ranks leave the
    fit as soon as the search ends, while rank 0 still writes the run directory: their ``Run``
    read a summary.json still ``running`` (640 of 800 evaluations) and a ``run.report()`` there
    would write the report beside rank 0's. A barrier after the fit gives every rank the
    finished run. One process (or a caller's own process group around a one-device fit) waits
    for nothing.
    """
    trainer = getattr(model, "_trainer", None)
    if trainer is None or int(trainer.world_size) < 2:
        return
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def trainer_ranks(trainer: Any) -> Ranks:
    """The Trainer's global rank and world size (set up before a LightningModule's ``setup``)."""
    return Ranks(int(trainer.global_rank), int(trainer.world_size))


def keep_module_unwrapped(strategy: Any) -> None:
    """Stop a DDP strategy from wrapping the explorer in ``DistributedDataParallel``.

    DDP's wrapper averages gradients across ranks. An explorer needs none of that: every rank
    learns from the same gathered evaluations, so its gradients are already the same everywhere.
    The wrapper would refuse explorers without trainable parameters (random, grid, ε-greedy),
    broadcast the DQN's buffers (the inputs' features) at every step, and, on a world size that
    is not a power of two, average equal gradients into slightly different ones. Lightning's
    strategy keeps everything else: launching, the cluster environment, the process group.
    Called from the explorer's ``setup``, which Lightning runs before the strategy wraps.
    """
    from lightning.pytorch.strategies import DDPStrategy

    if isinstance(strategy, DDPStrategy):
        strategy.configure_ddp = _leave_unwrapped


def _leave_unwrapped() -> None:
    """``DDPStrategy.configure_ddp`` for explorers: the module stays as it is."""
