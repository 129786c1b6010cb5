"""Speed options of a target's forward pass: bf16 autocast, channels_last, ``torch.compile``,
CPU threads.

Every torch target runs its model the same way during discovery: many batches, no gradients.
:class:`FastForward` wraps that forward once with the options a user asked for, so a target
takes four arguments (``precision``, ``channels_last``, ``compile``, ``cpu_threads``) and hands
them here instead of re-implementing each. The options change speed, not what is computed,
except that bf16 rounds: outputs can differ in about the third significant digit, and a pair
whose margin is that close to zero can flip between pass and failure. Measured effects:
plugins/vision/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn

from ffade.devices import usable_device
from ffade.errors import PluginError
from ffade.threads import cpu_threads as threads_of
from ffade.threads import require_cpu_threads

PRECISIONS = {"32": None, "bf16": torch.bfloat16}
"""``precision`` values: full float32, or bfloat16 autocast (matrix products and convolutions)."""


class FastForward:
    """A model's inference forward with the speed options applied; call it on a batch.

    Args:
        model: the network (or any function of a batch); with ``channels_last`` a network's
            weights are converted in place (its parameters stay the same objects, so
            fine-tuning the model keeps working).
        device: where the model runs; autocast follows its type.
        precision: "32" (default) or "bf16": run under ``torch.autocast`` in bfloat16. Fast on
            GPUs with bf16 units (Ampere and later); on CPUs without AMX or AVX512-BF16 it can
            be slower than float32.
        channels_last: store 4-D weights and inputs as NHWC, the layout cuDNN's and oneDNN's
            fastest convolutions use; no effect on models without convolutions.
        compile: ``torch.compile`` the model on its first batch (slow start: seconds to
            minutes; a new batch shape compiles again once).
        cpu_threads: torch CPU threads while the model runs (None: torch's default, one per
            core), restored after each call. When other processes share the cores, each split
            of a kernel waits for its slowest thread, so a small model can run several times
            faster on one thread on a busy machine (and somewhat slower on an idle one).
        target: the target's name, for error messages.
    """

    def __init__(
        self,
        model: nn.Module | Callable[[Any], Any],
        device: torch.device,
        precision: str | int = "32",
        channels_last: bool = False,
        compile: bool = False,
        target: str = "target",
        cpu_threads: int | None = None,
    ) -> None:
        precision = str(precision)
        if precision not in PRECISIONS:
            raise PluginError(
                f"target '{target}': precision {precision!r} is not allowed; choose "
                f"{' or '.join(PRECISIONS)}"
            )
        for name, value in (("channels_last", channels_last), ("compile", compile)):
            if not isinstance(value, bool):
                raise PluginError(f"target '{target}': {name} must be true or false, got {value!r}")
        require_cpu_threads(cpu_threads, target)
        self.cpu_threads = cpu_threads
        self.model = model
        self.device = usable_device(
            device, "target" if target == "target" else f"target '{target}'"
        )
        self.dtype = PRECISIONS[precision]
        self.channels_last = channels_last
        if channels_last and isinstance(model, nn.Module):
            model.to(memory_format=torch.channels_last)
        self.compiled = torch.compile(model) if compile else None

    def autocast(self) -> Any:
        """The autocast context of ``precision`` (none for "32")."""
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def inputs(self, batch: Any) -> Any:
        """The batch in the model's memory format (NHWC for 4-D tensors under channels_last)."""
        if self.channels_last and isinstance(batch, torch.Tensor) and batch.dim() == 4:
            return batch.contiguous(memory_format=torch.channels_last)
        return batch

    def __call__(self, batch: Any, compiled: bool = True) -> Any:
        """The model's outputs on ``batch``; ``compiled=False`` runs the plain model (hooks)."""
        model = self.compiled if compiled and self.compiled is not None else self.model
        with threads_of(self.device, self.cpu_threads), self.autocast():
            return model(self.inputs(batch))
