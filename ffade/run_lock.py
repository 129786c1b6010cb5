"""One run writes in a run directory at a time: a lock held on the directory while it runs.

A logger given a ``version`` names its directory itself, and the check that it holds no run
yet (no summary.json, no log) sees nothing when two ``ffade fit`` start there at the same
moment: both ran to the end in one directory, their evaluations interleaved in one log, one
config and summary over the other's. The first to start holds an exclusive ``flock`` on the
directory until it ends (the system drops it for a killed one); the other is refused in one
line before it evaluates anything.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ffade.errors import FfadeError
from ffade.shell_words import option_path, shell_path

IN_USE = "is in use: another ffade run is writing there now"
"""What both refusals of a locked run directory say is happening (a new run there, a resume)."""

_held: dict[Path, int] = {}
"""Directories this process holds, each with its open descriptor (the lock is on it)."""


def hold_run_dir(run_dir: Path) -> bool:
    """Lock ``run_dir`` (made if missing) for this run, or refuse it: another run is in it.
    False when it was not locked here: held already by this process (a run within a run), or
    a system without ``fcntl`` (Windows) or a folder that takes no lock (some network file
    systems), which run unlocked, as before."""
    try:
        import fcntl
    except ImportError:
        return False
    key = run_dir.resolve()
    if key in _held:
        return False
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = os.open(run_dir, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(handle)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False  # no locks there (ENOLCK, EINVAL): unlocked, as before
        raise FfadeError(
            f"run directory {run_dir} {IN_USE}; leave trainer.logger's version unset (each run "
            "gets a new version_N), give it a new one, or wait for that run to end"
        ) from exc
    _held[key] = handle
    return True


def release_run_dir(run_dir: Path) -> None:
    """Let go of ``run_dir`` as its run ends: a resume may start there next."""
    handle = _held.pop(run_dir.resolve(), None)
    if handle is not None:
        with contextlib.suppress(OSError):
            os.close(handle)  # closing the descriptor drops its lock


def refuse_a_run_still_going(source: str | Path | None) -> None:
    """Refuse to resume from a run another process is still writing (``source``: its
    directory, or a checkpoint in its ``checkpoints/``): its lock is held. Such a resume went
    on in a new version_N from the last checkpoint while the run itself went on too, two runs
    doing one's work, where a user took a run still going (another shell, ``nohup``) for one
    killed. Nothing is checked where no lock can be taken (see :func:`hold_run_dir`)."""
    if source is None:
        return
    run_dir = Path(source)
    if not run_dir.is_dir():
        run_dir = run_dir.parent.parent if run_dir.parent.name == "checkpoints" else run_dir
    if run_dir.resolve() in _held or not run_dir.is_dir():
        return  # this process's own run, or no run directory to ask
    try:
        import fcntl

        handle = os.open(run_dir, os.O_RDONLY)
    except (ImportError, OSError):
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise FfadeError(
                f"{option_path('--ckpt_path', source)}: run directory {shell_path(run_dir)} "
                f"{IN_USE}; wait for that run to end, or stop it (Ctrl-C) and resume then"
            ) from None
    finally:
        os.close(handle)  # closing the descriptor drops a lock taken here
