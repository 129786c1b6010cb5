"""``eval_batch_size: auto``: find the evaluation batch size at which the target runs fastest.

How many inputs a forward pass should take depends on the model, the input size and the
device: a small CNN on a CPU stops gaining at a few dozen, a ResNet-50 on an H200 keeps gaining
into the thousands, and too many runs out of memory. Rather than make the user guess, the
explorer can probe: batches of 8, 16, 32, ... real inputs of the discovery split, changed by
random concept states, are built and run through the target as an evaluation runs them, until
a batch runs out of memory, a doubling raises inputs per second by less than ``MIN_GAIN``, a
batch takes longer than ``MAX_PROBE_SECONDS``, or ``MAX_BATCH_SIZE`` is reached. The fastest
size wins and is recorded in summary.json with what was measured. The probes are off the record
(not logged, memoized or counted) and draw from random generators of their own, so the run's
choices are those of a run given that batch size by hand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ffade.errors import FfadeError, refused
from ffade.evaluator import Evaluator
from ffade.rng import torch_random_kept
from ffade.threads import one_thread

AUTO = "auto"
FIRST_SIZE = 8
MAX_BATCH_SIZE = 4096
MIN_GAIN = 1.1
"""A doubling must raise inputs per second by 10% over the best so far, or probing stops."""
MAX_PROBE_SECONDS = 5.0
"""A batch slower than this ends the probe: a bigger one would only make steps long."""


@dataclass
class BatchSizeProbe:
    """What ``auto`` measured: inputs per second per batch size, the choice, and why it stopped."""

    batch_size: int = 0
    inputs_per_second: dict[int, float] = field(default_factory=dict)
    stopped: str = ""

    def to_dict(self) -> dict[str, Any]:
        rates = {str(size): round(rate, 1) for size, rate in self.inputs_per_second.items()}
        return {"batch_size": self.batch_size, "inputs_per_second": rates, "stopped": self.stopped}


def batch_size_summary(evaluator: Evaluator | None, probe: BatchSizeProbe | None) -> dict[str, Any]:
    """summary.json's ``eval_batch_size``, and what ``auto`` measured when it chose it."""
    summary: dict[str, Any] = {"eval_batch_size": evaluator.batch_size if evaluator else None}
    if probe is not None:
        summary["eval_batch_size_probe"] = probe.to_dict()
    return summary


def checkpoint_state(evaluator: Evaluator, probe: BatchSizeProbe | None) -> dict[str, Any]:
    """The batch size a run cuts, and what ``auto`` measured, as plain data for a checkpoint."""
    return {"size": evaluator.batch_size, "probe": probe.to_dict() if probe else None}


def restore(
    evaluator: Evaluator, checkpoint: dict[str, Any], probe: BatchSizeProbe | None
) -> BatchSizeProbe | None:
    """Give a resumed run the batch size its checkpoint was cut with, and that run's probe.

    Probing times batches, so a resumed ``auto`` run's own probe may choose another size, and a
    target may round a batch of 16 differently from one of 64: the resumed log would then go
    apart from the uninterrupted run's. A checkpoint from before sizes were kept: ``probe``.
    """
    state = checkpoint.get("batch_size")
    if state is None:
        return probe
    evaluator.batch_size = int(state["size"])
    kept = state["probe"]
    if kept is None:
        return None
    rates = {int(size): float(rate) for size, rate in kept["inputs_per_second"].items()}
    return BatchSizeProbe(int(kept["batch_size"]), rates, str(kept["stopped"]))


def check_eval_batch_size(value: Any) -> None:
    """A positive integer or "auto"; anything else is a one-line FfadeError."""
    if value == AUTO or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return
    raise refused("eval_batch_size", "a positive integer or 'auto'", value)  # as its siblings


def choose(evaluator: Evaluator, value: int | str, seed: int) -> BatchSizeProbe | None:
    """Give ``evaluator`` the batch size ``value``, or the one probed for "auto" (then returned)."""
    if value != AUTO:
        evaluator.batch_size = value
        return None
    # under data parallelism every rank must cut the same batches: rank 0's choice holds
    probe = evaluator.ranks.gather(probe_batch_size(evaluator, seed))[0]
    evaluator.batch_size = probe.batch_size
    return probe


def probe_batch_size(evaluator: Evaluator, seed: int) -> BatchSizeProbe:
    """Time doubling batches through ``evaluator``'s target; the fastest size (see module)."""
    probe = BatchSizeProbe(stopped=f"reached the largest size probed, {MAX_BATCH_SIZE}")
    rng = np.random.default_rng([seed, 0xBA7C])
    device = torch.device(evaluator.task.target.device)
    size = FIRST_SIZE
    with torch_random_kept(device):
        while size <= MAX_BATCH_SIZE:
            try:
                seconds = _batch_seconds(evaluator, rng, size, device)
            except (torch.cuda.OutOfMemoryError, MemoryError):
                probe.stopped = f"a batch of {size} ran out of memory"
                if device.type == "cuda":
                    torch.cuda.empty_cache()
                break
            best = max(probe.inputs_per_second.values(), default=0.0)
            probe.inputs_per_second[size] = size / seconds
            if best and size / seconds < MIN_GAIN * best:
                probe.stopped = f"a batch of {size} was not {MIN_GAIN:g}x faster per input"
                break
            if seconds > MAX_PROBE_SECONDS:
                probe.stopped = f"a batch of {size} took {seconds:.1f} s"
                break
            size *= 2
    if not probe.inputs_per_second:
        raise FfadeError(
            f"model.init_args.eval_batch_size: auto found no batch size that fits "
            f"({probe.stopped}); set a small integer instead"
        )
    rates = probe.inputs_per_second
    probe.batch_size = max(rates, key=rates.__getitem__)
    return probe


def _batch_seconds(
    evaluator: Evaluator, rng: np.random.Generator, size: int, device: torch.device
) -> float:
    """Seconds to build and run one batch of ``size`` random pairs (best of two, after one)."""
    space = evaluator.space
    input_ids = rng.integers(0, evaluator.num_inputs, size)
    states = rng.integers(0, space.sizes, (size, space.num_concepts))
    timings = []
    for _ in range(3):  # the first run pays for lazy set-up (caches, kernels, compilation)
        start = time.perf_counter()
        with one_thread(device):  # as the evaluator builds them (see ffade.threads)
            inputs, _ = evaluator.changes.build(input_ids, states)
        with torch.inference_mode():
            evaluator.task.target.predict(inputs)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        timings.append(time.perf_counter() - start)
    return min(timings[1:])
