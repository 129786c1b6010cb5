"""The run directory ``ffade fit`` is about to make, claimed and checked before the Trainer
writes there: a ``version_N`` two runs started at once cannot share, a file or an unmakable
folder on its way said as one line naming the key that placed it, and a directory holding another
run refused (ffade never writes over a run)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lightning.pytorch import Trainer

from ffade.errors import FfadeError, broken_link
from ffade.fresh_run_dir import has_evaluations
from ffade.records import SUMMARY_FILE
from ffade.shell_words import shell_path


def picks_version(trainer: Trainer) -> bool:
    """Whether the run's logger will pick its ``version_N`` itself, from the folders there: no
    ``version`` given, no directory made yet, one process (data-parallel ranks share one)."""
    logger = trainer.logger
    return (
        logger is not None
        and getattr(logger, "_version", 0) is None
        and getattr(logger, "_experiment", 0) is None
        and trainer.world_size == 1
    )


def claim_version(trainer: Trainer, run_dir: Path) -> Path:
    """Make the run's ``version_N`` with one ``mkdir``, or the next one free.

    Lightning's logger picks the number from the folders already there, so two ``ffade fit``
    started at the same moment on one ``save_dir`` could pick the same one and write into one
    directory (both logs appended to one file, one config over the other). A folder another run
    made first is passed over: the logger picks again, from the folders there now.
    """
    for _ in range(1000):
        try:
            run_dir.mkdir(parents=True)
            return run_dir
        except FileExistsError:  # the next number, or more if the folders there say so
            logger: Any = trainer.logger
            taken, logger._version = logger._version, None
            logger._version = max(logger.version, taken + 1)
            run_dir = Path(trainer.log_dir or trainer.default_root_dir)
    return run_dir  # a thousand runs started at once: Lightning's pick, as before


def check_run_dir(run_dir: Path, ckpt_path: str | None, model: Any, trainer: Trainer) -> None:
    """Refuse a run directory that cannot be made, or that holds another run already.

    A logger given a ``version`` (or a ``save_dir`` that is a file) names its directory itself:
    a new run there would append to the old run's log and replace its summary and config. A
    resume with such a config (a loop stage's, say) continues its run in that very directory.
    """
    refuse_a_file_on_the_way(run_dir, trainer)
    replayed = getattr(model, "_replay_dir", None)
    source = Path(ckpt_path).parent.parent if ckpt_path else replayed
    if source is not None and Path(source).resolve() == run_dir.resolve():
        return
    if (run_dir / SUMMARY_FILE).is_file() or has_evaluations(run_dir):
        raise FfadeError(
            f"run directory {shell_path(run_dir)} already holds a run; leave trainer.logger's "
            "version unset (each run gets a new version_N) or give it a new one; ffade never "
            "writes over a run"
        )


def refuse_a_file_on_the_way(run_dir: Path, trainer: Trainer) -> None:
    link = broken_link(run_dir)  # a runs folder linked to a disk not mounted: name the link
    if link:
        raise FfadeError(f"run directory {shell_path(run_dir)}: {link}")
    for path in (run_dir, *run_dir.parents):
        # as the OS will walk it once the folders are made: in ``x/../my file/sub``, with no
        # ``x`` yet, ``my file`` (a file) could not be seen, then mkdir made ``x`` and raised
        # NotADirectoryError as a traceback; an existing ``x`` that is a link is followed
        seen = Path(os.path.realpath(path))
        if seen.exists() and not seen.is_dir():
            raise FfadeError(
                f"run directory {shell_path(run_dir)}: {shell_path(path)} is a file, not a "
                f"directory; choose another {placing_key(trainer)}"
            )


def not_made(run_dir: Path, trainer: Trainer) -> FfadeError:
    """A run directory under a folder that takes no new ones (``/proc``): the OS says "no such
    file" of the folder it refused to make, which read as a file ffade had lost."""
    there = next(folder for folder in run_dir.parents if folder.exists())
    return FfadeError(
        f"run directory {shell_path(run_dir)}: cannot create it ({shell_path(there)} takes no "
        f"new folders); choose another {placing_key(trainer)}"
    )


def placing_key(trainer: Trainer) -> str:
    """The key that placed the run, as the user typed it: ``--trainer.default_root_dir X``
    becomes the logger's ``save_dir`` (:func:`ffade.trainer.use_root_dir`), and Lightning's own
    logger saves there too, so "choose another trainer.logger save_dir" named a key never typed.
    Lightning keeps ``default_root_dir`` normalised (``a/../b`` as ``b``): compared so."""
    save_dir = getattr(trainer.logger, "save_dir", None)
    if save_dir is None or os.path.normpath(save_dir) == trainer.default_root_dir:
        return "trainer.default_root_dir"
    return "trainer.logger save_dir"
