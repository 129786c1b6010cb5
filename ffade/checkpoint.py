"""``checkpoints/last.ckpt``: what a killed run resumes from and what a warm start loads."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from typing_extensions import override

from ffade.errors import FfadeError
from ffade.records import atomic_path
from ffade.shell_words import option_path

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
SEED_KEY = "seed_everything"
"""The checkpoint's key for the run's ``seed_everything`` (None in one saved before it was kept)."""


SAVE_SHARE = 0.05
"""The most of a run's time that its step checkpoints take: a save skipped beyond it."""

CHEAP_SAVE = 0.25
"""Seconds under which a save never delays the next: a small run (the quickstart's saves take
hundredths of a second) saves every ``every_n_steps`` steps however loaded the machine is, so
where it resumes does not depend on the load."""


class LastCheckpoint(Callback):
    """Saves the run's ``checkpoints/last.ckpt`` every ``every_n_steps`` steps and when it ends.

    A save writes the whole state, an explorer's memo of every evaluation too, so its cost grows
    with the run (0.23 s at 190,000 evaluations): saved every 10 steps, a long discovery spent a
    third of its time saving, more the longer it ran. So a step's save is skipped while the last
    save took more than ``max_share`` of the time since it ended (and more than ``CHEAP_SAVE``):
    saving never takes much more than that share of the run, and a kill loses at most
    ``every_n_steps`` steps plus the last save's time divided by ``max_share`` (20 times it at
    5%). Where saves are cheap, as on a small run, it saves every ``every_n_steps`` steps, as
    before. Which steps are saved does not change what the run decides: a run resumed from any
    checkpoint goes on as if never stopped.

    Lightning's ModelCheckpoint counts optimizer steps: an explorer without an optimizer (random,
    grid, ε-greedy search) never takes one, so it never saved, and a learner's final Q-network was
    up to ``every_n_steps`` steps newer than its checkpoint. This counts training steps, and
    saves once more at the end, so a finished run's checkpoint is its final state.

    The file is written beside itself and renamed (:func:`~ffade.records.atomic_path`): a kill
    mid-save leaves the previous checkpoint whole and no stray copy elsewhere (Lightning's own
    save stages the file in the system's temporary directory, where a kill left it behind).
    Rank zero writes the whole state, as Lightning's single-device and DDP strategies do.
    """

    def __init__(
        self,
        every_n_steps: int = 10,
        max_share: float = SAVE_SHARE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every_n_steps = every_n_steps
        self.max_share = max_share
        self.clock = clock  # given, so a test can make a save slow without sleeping
        self._steps = 0
        self._last_cost = 0.0  # how long the last save took (none yet: the first is due)
        self._last_end: float | None = None
        self._training = False  # between the run's first step and its end

    def due(self) -> bool:
        """Whether a step save is due: the last was cheap or took at most ``max_share`` of the
        time since."""
        if self._last_end is None or self._last_cost < CHEAP_SAVE:
            return True
        return self._last_cost <= self.max_share * (self.clock() - self._last_end)

    @staticmethod
    def path(trainer: Trainer) -> Path:
        return Path(trainer.log_dir or trainer.default_root_dir) / LAST_CHECKPOINT

    @override
    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, *args: Any, **kwargs: Any
    ) -> None:
        self._steps += 1
        # rank zero's clock decides for every rank: a save waits at a barrier on each
        if self._steps % self.every_n_steps == 0 and trainer.strategy.broadcast(self.due()):
            self.save(trainer)

    @override
    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._training = True

    @override
    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._training = False  # what follows (a fine-tune's check, pictures) is no step
        self.save(trainer)

    @override
    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """A resumed run a trainer limit stops at once (its ``max_steps`` reached already) takes
        no step: Lightning skips the training loop, and :meth:`on_train_end` with it, so the run
        had no checkpoint of its own, and a resume of *it* found none and took the run for
        finished. It saves the state it resumed from instead, now its own."""
        if self._last_end is None and trainer.ckpt_path is not None:
            self.save(trainer)

    def save_where_stopped(self, trainer: Trainer, every_rank: bool = False) -> None:
        """Save the run as a Ctrl-C, SIGTERM or SIGHUP left it, when that was between two steps.

        Those stop a run at the end of the batch under way, where nothing is half done, yet it
        resumed from its last step save, up to ``every_n_steps`` steps back (more where saves are
        slow), and made those steps again. A stop within a step (a second Ctrl-C) keeps the
        last save: Lightning counts the step started and not processed. On several processes
        only when ``every_rank`` stopped at the same step, since each must reach the save's
        barrier: a SIGTERM (or SIGHUP), which rank 0 notes and every rank reads at one step's
        start (:mod:`ffade.sigterm_step`). Ctrl-C reaches each rank where it happens to be, so
        a data-parallel run it stops keeps its last step save. A second Ctrl-C during the save
        drops it, the file written aside (:func:`~ffade.records.atomic_path`), so the last
        checkpoint stands whole, as it does when the save fails (a full disk).
        """
        progress = trainer.fit_loop.epoch_loop.batch_progress.current
        between_steps = progress.started == progress.processed
        alike = trainer.world_size == 1 or every_rank
        if not (self._training and self._steps and between_steps and alike):
            return
        with suppress(KeyboardInterrupt, OSError):
            self.save(trainer)

    def save(self, trainer: Trainer) -> None:
        start = self.clock()
        self._save(trainer)
        self._last_end = self.clock()
        self._last_cost = self._last_end - start

    def _save(self, trainer: Trainer) -> None:
        # the whole state (loops, callbacks, optimizers), not the weights alone: a run resumes
        checkpoint = trainer._checkpoint_connector.dump_checkpoint(weights_only=False)
        # the run's seed, so a resume checks it even when summary.json, which names it too, is lost
        checkpoint[SEED_KEY] = getattr(trainer.lightning_module, "seed", None)
        path = self.path(trainer)  # on every rank: Trainer.log_dir is a broadcast from rank 0
        if trainer.is_global_zero:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                _save(checkpoint, f)
        trainer.strategy.barrier("LastCheckpoint.save")


def save_where_stopped(trainer: Trainer, every_rank: bool = False) -> None:
    """:meth:`LastCheckpoint.save_where_stopped`, by the run's checkpoint callback, if any."""
    for callback in trainer.callbacks:
        if isinstance(callback, LastCheckpoint):
            callback.save_where_stopped(trainer, every_rank)


def _save(checkpoint: dict[str, Any], f: BinaryIO) -> None:
    """``torch.save`` to an open file, closed (and so removed) even when the save fails.

    torch reports a failed write (no space left on the disk) as a ``RuntimeError`` from its
    zip writer; the ``OSError`` that caused it names the file, so that is the one raised.
    Given a path, torch also kept its own handle open while the error rose, so the space the
    partial file took stayed in use and the run's closing summary could not be written either.
    """
    try:
        torch.save(checkpoint, f)
    except RuntimeError as exc:
        cause = exc.__context__
        if isinstance(cause, OSError):
            cause.filename = cause.filename or f.name
            raise cause from None
        raise


def checkpoint_run_dir(path: str | Path, saved: str | None) -> Path | None:
    """The run directory a checkpoint belongs to, where it lies now.

    A checkpoint records its run directory as the run named it, which is relative to the
    working directory of the run and stale once the run is moved or copied: a checkpoint at
    ``RUN/checkpoints/last.ckpt`` is read from that ``RUN``, the recorded one is the fallback.
    """
    path = Path(path)
    if path.parent.name == LAST_CHECKPOINT.parent.name:
        return path.parent.parent
    return Path(saved) if saved else None


def load_checkpoint_file(path: Path, option: str, fix: str) -> Any:
    """A checkpoint's data, read with ``weights_only=True`` (tensors and plain data, no code).

    A damaged, cut-short or foreign file is one line naming ``option`` and ``fix``, not torch's
    traceback.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises anything from EOFError to UnpicklingError here
        raise FfadeError(
            f"{option_path(option, path)}: not a readable checkpoint (damaged, cut short, or not "
            f"one ffade saved: {type(exc).__name__}); {fix}"
        ) from None
