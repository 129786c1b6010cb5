"""SIGTERM stops a run where every rank can stop: at a training step, or between the batches of
a fine-tune's held-out check after training.

Lightning reads its SIGTERM note only between training steps: one that came during a
fine-tune's last held-out check (after training, the check that decides the verdict) was noted
and never read, and the check, the verdict and the exit 0 followed, as if nothing had come
(on one process and on several). :func:`stop_if_sigterm` reads the note where the code calling
it can stop; the fine-tuner calls it before each batch of that check.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import torch
import torch.distributed as dist
from lightning.pytorch import Callback
from lightning.pytorch.utilities.exceptions import SIGTERMException


class SigtermAtAStep(Callback):
    """SIGTERM stops every rank of a data-parallel run at the same step, as on one device.

    Lightning's SIGTERM handler broadcasts from inside the signal handler, wherever the ranks
    are: in the middle of a step's all-gather, say, or twice on a rank that gets the signal from
    the scheduler and again from the launcher (``ddp`` sends it on to its children). The ranks'
    collectives then no longer paired up and every rank waited forever, the run left
    ``running``; and a rank that noted it stopped at the end of its step, alone. Here rank 0
    only notes the signal (the other ranks leave it to rank 0), and at every step's start all
    ranks read rank 0's note (one broadcast) and stop there together, status ``interrupted``. A
    second SIGTERM ends rank 0 at once. One process keeps Lightning's handler.
    """

    def __init__(self) -> None:
        self.pending = False
        self.world_size = 1
        self.noting = False  # whether this callback's handler took SIGTERM (data parallelism)

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        # not earlier: Lightning installs its handler after the setup hooks
        self.pending, self.world_size = False, int(trainer.world_size)
        if self.world_size < 2 or threading.current_thread() is not threading.main_thread():
            return
        launcher, is_zero = trainer.strategy.launcher, bool(trainer.is_global_zero)

        def noted(signum: int, frame: Any) -> None:
            if not is_zero:  # rank 0 decides; a rank gets it twice (from its launcher too)
                return
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second one ends the process
            if launcher is not None:
                launcher.kill(signum)  # ddp's children, when only the command was signalled
            self.pending = True

        signal.signal(signal.SIGTERM, noted)
        self.noting = True

    def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
        if self.world_size > 1:
            self.stop_if_noted(trainer)

    def stop_if_noted(self, trainer: Any) -> None:
        """Raise SIGTERMException if a SIGTERM came: rank 0's note, read by every rank at once
        (each rank must call this as often as the others), or on one process Lightning's."""
        if not self.noting:
            if trainer.received_sigterm:
                raise SIGTERMException
            return
        flag = torch.tensor([int(self.pending)], device=trainer.strategy.root_device)
        dist.broadcast(flag, src=0)
        if flag.item():
            raise SIGTERMException

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self.noting = False  # Lightning puts the handlers it found back


def stop_if_sigterm(trainer: Any) -> None:
    """Raise SIGTERMException, on every rank together, if a SIGTERM came since the run took it
    over: where a run can stop outside a training step (every rank calls it as often)."""
    for callback in trainer.callbacks:
        if isinstance(callback, SigtermAtAStep):
            callback.stop_if_noted(trainer)
            return
    if trainer.received_sigterm:
        raise SIGTERMException
