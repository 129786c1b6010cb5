"""A step's scalars to the run's logger: one TensorBoard event a step, not one per scalar.

Lightning's ``TensorBoardLogger.log_metrics`` writes each scalar as its own event, and torch's
writer hands every event to its writer thread through a queue of ten: a search step's dozen
scalars filled it, so every step waited on that thread, and on busy cores each wait lasted as
long as the scheduler made it (docs/discovery.md, "Where the DQN's loop goes"). One ``Summary``
of all of a step's values is one event, which TensorBoard reads as the same scalars.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from tensorboard.compat.proto.summary_pb2 import Summary


def log_step_scalars(logger: Any, scalars: dict[str, float], step: int) -> None:
    """Log ``scalars`` at ``step``: as one event to a TensorBoard logger's writer, else (another
    logger, or a TensorBoard logger whose ``prefix`` renames them) through ``log_metrics``."""
    if not isinstance(logger, TensorBoardLogger) or getattr(logger, "_prefix", ""):
        logger.log_metrics(scalars, step=step)
        return
    if rank_zero_only.rank != 0:  # as log_metrics: only the rank that keeps the log writes
        return
    values = [Summary.Value(tag=tag, simple_value=float(value)) for tag, value in scalars.items()]
    logger.experiment.file_writer.add_summary(Summary(value=values), step)
