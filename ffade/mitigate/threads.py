"""Fine-tuning on the target's CPU threads (its ``cpu_threads``), as its predictions run.

A target's ``cpu_threads`` says how many torch CPU threads its model should use; its ``predict``
honours it, and so must training the same model, or a fine-tune on shared cores waits on split
kernels: the tiny text-to-image LoRA fine-tune (30 epochs) took 71-72 s on the target's one
thread and 289 s on torch's two, beside two other busy processes on this project's 2-core machine
(docs/mitigation.md). A callback, not the module's hooks, because Lightning tells only
callbacks about a crash or Ctrl-C, after which the process's thread count must be restored.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from lightning.pytorch import Callback
from typing_extensions import override

from ffade.plugin_names import plugin_label
from ffade.threads import cpu_threads, require_cpu_threads


class TrainOnTargetThreads(Callback):
    """From fit start to fit end (or an exception), torch runs on the target's ``cpu_threads``."""

    def __init__(self) -> None:
        self._threads = ExitStack()

    @override
    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        target = pl_module.task.target
        count = getattr(target, "cpu_threads", None)
        require_cpu_threads(count, plugin_label(target))
        self._threads.enter_context(cpu_threads(pl_module.device, count))

    @override
    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self._threads.close()

    @override
    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._threads.close()
