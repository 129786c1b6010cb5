"""A run's evaluations.jsonl checked, before each append, to be the file the run has been
writing: an ``rm -rf`` of the run folder (or of the log) or a log cut short (``: > log``)
while the run went on was not noticed. The run kept appending to a file no folder held, or
after the cut, ended with exit 0 and a summary.json whose counts its log no longer matched.

One ``fstat`` of the open log per batch (a microsecond): its link count (0 once the file was
removed or replaced) and its size against the bytes the run wrote.

The run folder itself is known by its identity (device and inode) from the moment the run takes
it: a folder removed before the log was opened (while a model loads) was made again by the next
write there (Lightning's TensorBoard logger, ffade's summary.json), and the run ended exit 0 in
a folder without its config.yaml. :func:`check_run_folder` compares it at each config.yaml and
summary.json write: one ``stat``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.shell_words import shell_path
from ffade.writable import folder_removed

FolderIdentity = tuple[int, int]
"""A folder's ``(st_dev, st_ino)``: a folder removed and made again under its name differs."""


class RunDirDamaged(FfadeError):
    """The run's folder or log was removed or cut while the run wrote it: the run stops, and
    its closing line offers no resume from a run that is no longer whole."""


def check_log(fd: int, path: Path, written: int) -> None:
    """Raise :class:`RunDirDamaged` when the open log ``fd`` (at ``path``) is no longer linked
    there, or no longer holds the ``written`` bytes the run left in it."""
    stat = os.fstat(fd)
    folder, file = shell_path(path.parent), shell_path(path)  # each one word, as typed
    if stat.st_nlink == 0 and not path.parent.is_dir():
        raise RunDirDamaged(
            f"the folder {folder} was removed while the run wrote there (what was in it is "
            "gone); the run stops: run the command again"
        )
    if stat.st_nlink == 0:
        raise RunDirDamaged(
            f"{file} was removed or replaced while the run wrote it; the run stops, as what it "
            f"logs would go nowhere: run the command again (the run folder is {folder})"
        )
    if stat.st_size != written:
        how = "cut short" if stat.st_size < written else "written by something else"
        raise RunDirDamaged(
            f"{file} was {how} while the run wrote it ({stat.st_size} bytes where the run wrote "
            f"{written}): its lines no longer match the run's counts; the run stops: run the "
            f"command again (the run folder is {folder})"
        )


def folder_identity(folder: Path) -> FolderIdentity | None:
    """``folder``'s identity, or None where nothing is there."""
    try:
        stat = os.stat(folder)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def check_run_folder(module: Any, folder: Path, file: Path) -> None:
    """Before ``module``'s run writes ``file`` in its run ``folder``: raise
    :class:`RunDirDamaged` (the line a write into a removed folder gives) when the folder it
    took (``module.run_dir_identity``) was removed since, even if something made it again.
    A run that took none yet (a module fitted outside ``ffade fit``) takes this one."""
    taken = getattr(module, "run_dir_identity", None)
    if taken is None:
        module.run_dir_identity = folder_identity(folder)
    elif folder_identity(folder) != taken:
        raise RunDirDamaged(f"{file}: {folder_removed(folder)}")
