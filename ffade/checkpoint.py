"""``checkpoints/last.ckpt``: what a killed run resumes from and what a warm start loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from typing_extensions import override

from ffade.errors import FfadeError
from ffade.records import atomic_path

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
SEED_KEY = "seed_everything"
"""The checkpoint's key for the run's ``seed_everything`` (None in one saved before it was kept)."""


class LastCheckpoint(Callback):
    """Saves the run's ``checkpoints/last.ckpt`` every ``every_n_steps`` steps and when it ends.

    Lightning's ModelCheckpoint counts optimizer steps: an explorer without an optimizer (random,
    grid, ε-greedy search) never takes one, so it never saved, and a learner's final Q-network was
    up to ``every_n_steps`` steps newer than its checkpoint. This counts training steps, and
    saves once more at the end, so a finished run's checkpoint is its final state.

    The file is written beside itself and renamed (:func:`~ffade.records.atomic_path`): a kill
    mid-save leaves the previous checkpoint whole and no stray copy elsewhere (Lightning's own
    save stages the file in the system's temporary directory, where a kill left it behind).
    Rank zero writes the whole state, as Lightning's single-device and DDP strategies do.
    """

    def __init__(self, every_n_steps: int = 10) -> None:
        self.every_n_steps = every_n_steps
        self._steps = 0

    @staticmethod
    def path(trainer: Trainer) -> Path:
        return Path(trainer.log_dir or trainer.default_root_dir) / LAST_CHECKPOINT

    @override
    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, *args: Any, **kwargs: Any
    ) -> None:
        self._steps += 1
        if self._steps % self.every_n_steps == 0:
            self.save(trainer)

    @override
    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.save(trainer)

    def save(self, trainer: Trainer) -> None:
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
            f"{option} {path}: not a readable checkpoint (damaged, cut short, or not one ffade "
            f"saved: {type(exc).__name__}); {fix}"
        ) from None
