"""Run an explorer from Python the way ``ffade fit`` does: the benchmarks' and tests' helper.

It changes the process as a one-run command may: it reseeds the global generators (Python's,
numpy's, torch's), leaves ``PL_GLOBAL_SEED`` set, and leaves Lightning's loggers and warnings
quieted. From a notebook, a pipeline or a service, use :func:`ffade.discover`, which runs the
same kind of search from a task and puts all of that back.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lightning.pytorch import Callback, Trainer, seed_everything
from lightning.pytorch.loggers import TensorBoardLogger

from ffade.checkpoint import LastCheckpoint
from ffade.errors import FfadeError
from ffade.explore.base import Explorer
from ffade.progress import BudgetProgressBar, quiet_lightning
from ffade.resume import plan_resume
from ffade.trainer import trainer_defaults


def discover(
    explorer: Explorer,
    save_dir: str | Path,
    seed: int = 0,
    name: str = "ffade",
    progress: bool = False,
    checkpoints: bool = False,
    callbacks: list[Callback] | None = None,
    ckpt_path: str | Path | None = None,
) -> Explorer:
    """Seed, then fit ``explorer`` until its budget is spent; the run lands in ``save_dir/name``.

    For benchmarks and tests, not notebooks: the seed, Lightning's loggers (``lightning.pytorch``
    at WARNING when ``progress`` is False) and its warnings filters stay as set after it returns;
    :func:`ffade.discover` keeps the caller's (see this module's docstring).

    ``callbacks`` are added to the run's own (a benchmark's timer, say); ``ckpt_path`` resumes
    a run from its ``checkpoints/last.ckpt`` (or its run directory), as ``ffade fit --ckpt_path``
    does, and raises FfadeError where that command would refuse or say the run already ended.
    """
    quiet_lightning()
    if not progress:  # from code: no device banner either
        logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    seed_everything(seed, verbose=False)
    settings = trainer_defaults()
    defaults = [
        c
        for c in settings.pop("callbacks")
        if (checkpoints or not isinstance(c, LastCheckpoint))
        and (progress or not isinstance(c, BudgetProgressBar))
    ]
    settings.pop("logger")
    trainer = Trainer(
        **settings,
        callbacks=defaults + list(callbacks or []),
        logger=TensorBoardLogger(str(save_dir), name=name),
        enable_progress_bar=progress,
    )
    resume = plan_resume(ckpt_path, explorer)  # checked as ffade fit --ckpt_path checks it
    if resume.finished:
        raise FfadeError(resume.finished)
    if resume.replay_dir is not None:
        explorer.replay_from(resume.replay_dir)
    explorer.resume_note = resume.allow_the_rest(trainer)  # said as it starts
    trainer.fit(explorer, ckpt_path=resume.ckpt_path, weights_only=True)
    return explorer
