"""Where a command will write, checked and made before the work it writes: a file in the way,
a folder that cannot be made or written, is one line naming the option, not an OSError
traceback after the work is done; and a refused command leaves no empty folder behind."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ffade.errors import FfadeError
from ffade.shell_words import option_path

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
"""A write refused with one of these is a full disk (or quota): the CLI names the file."""


def no_space(error: BaseException) -> bool:
    """Whether ``error`` is a write refused for want of space (a full disk, a quota)."""
    return isinstance(error, OSError) and error.errno in NO_SPACE


def failed_path(error: OSError) -> str | None:
    """The file an ``OSError`` was about: its ``filename``, or, for one that names none (a write
    TensorBoard's writer made, failing as its file closed), the ``filename`` that the frame
    which raised it held; None when neither says."""
    if error.filename is not None:
        return str(error.filename)
    frame_path = None
    trace = error.__traceback__
    while trace is not None:  # the deepest frame holding a file name: the one that wrote
        name = trace.tb_frame.f_locals.get("filename")  # bytes in TensorBoard's gfile
        if isinstance(name, str | bytes) and "tensorboard" in trace.tb_frame.f_code.co_filename:
            frame_path = os.fsdecode(name)
        trace = trace.tb_next
    return frame_path


def no_space_said(error: OSError) -> str:
    """``PATH: no space left on device``, naming the file being written, not the ``NAME.tmp``
    it is written to first (the CLI's line and summary.json's ``error`` say it alike)."""
    failed = failed_path(error)
    return f"{failed.removesuffix('.tmp')}: " * bool(failed) + "no space left on device"


def folder_gone(path: str | bytes | Path) -> str | None:
    """``cannot write it: the folder FOLDER was removed ...`` for a file being written (its
    ``NAME.tmp``, or TensorBoard's events file, which it names in bytes) whose folder no longer
    exists: a run directory removed while the run went on said "file not found:
    .../summary.json.tmp", which read as a file ffade had lost. None otherwise (an input file
    that is missing is said as such)."""
    path = Path(os.fsdecode(path))
    written = path.suffix == ".tmp" or ".tfevents." in path.name  # TensorBoard's, by name
    if not written or path.parent.exists():
        return None
    return folder_removed(path.parent)


def folder_removed(folder: Path) -> str:
    """What a write into ``folder``, removed while ffade wrote there, says after the file's
    name: the highest folder removed is named (``rm -rf runs/x`` took ``version_0`` with it)."""
    gone = folder
    while not gone.parent.exists():
        gone = gone.parent
    return (
        f"cannot write it: the folder {gone} was removed while ffade wrote there "
        "(what was in it is gone); run the command again"
    )


def writable_dir(path: str | Path, option: str, hint: str = "") -> Path:
    """Make the directory a command writes into, before it computes anything to write there.

    A file in its place, or a folder the user may not create, is one line naming ``option``
    (``--out``; empty for a default the user never typed, then ``hint`` says what to give), not
    an OSError traceback after the work is done.
    """
    path = Path(path)
    named = option_path(option, path)
    if path.exists() and not path.is_dir():
        raise FfadeError(f"{named}: a file is there, not a directory; give a directory{hint}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FfadeError(f"{named}: cannot create the directory ({exc.strerror}){hint}") from exc
    if not os.access(path, os.W_OK | os.X_OK):  # chmod a-w, a read-only mount
        raise FfadeError(f"{named}: cannot write in this directory ({why_not(path)}){hint}")
    return path


def why_not(path: Path) -> str:
    """Why ``os.access`` refused: a read-only mount is no permission to change (chmod cannot
    help), so it is named as what it is."""
    try:
        read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return "read-only file system" if read_only else "permission denied"


@contextmanager
def written(path: str | Path, option: str, hint: str = "; choose another path") -> Iterator[None]:
    """Say an OSError while writing ``path`` as one line naming ``option``, the path and the
    OS's reason: the checks before the work cannot see every failure (``/proc`` passes
    ``os.access`` as root, then refuses the file), and the cause was hidden behind "file not
    found" for the temporary file written beside ``path``."""
    try:
        yield
    except OSError as exc:
        if no_space(exc):  # the CLI says a full disk one way for every file (exit 1)
            raise
        named = option_path(option, path)
        raise FfadeError(f"{named}: cannot write it ({exc.strerror or exc}){hint}") from exc


def missing_dirs(path: str | Path) -> list[Path]:
    """The folders of ``path`` that do not exist yet, deepest first: what making it creates."""
    path = Path(path).absolute()
    return [folder for folder in (path, *path.parents) if not folder.exists()]


def remove_if_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first, as :func:`missing_dirs` lists them) while they are
    empty: a command refused after making its output folder leaves no empty folder behind, and
    one that wrote anything keeps all of it."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): what is left was written, keep it
            return


@contextmanager
def removed_if_refused(path: str | Path) -> Iterator[None]:
    """Remove the folders of ``path`` made inside the block (:func:`writable_dir` makes them
    before the work) when the block raises: a refused command leaves no empty folder behind."""
    made = missing_dirs(path)
    try:
        yield
    except BaseException:
        remove_if_empty(made)
        raise


def partial_write(path: str | Path) -> Path:
    """Where :func:`ffade.records.atomic_path` writes ``path`` before renaming it over ``path``."""
    return Path(path).with_name(Path(path).name + ".tmp")


def writable_file(path: str | Path, option: str) -> Path:
    """Check, before the work, that the file a command will write (``--to``, ``--junit``) can be
    written: not a directory, nor one where its ``NAME.tmp`` is written first (that failed only
    after the work), in a directory that exists or can be made (it is made here). ``option``
    is empty for a path the user never typed (a report's files in its run directory)."""
    path = Path(path)
    named = option_path(option, path)
    if path.is_dir():
        raise FfadeError(f"{named}: a directory is there; give a file name inside it")
    if partial_write(path).is_dir():
        raise FfadeError(
            f"{named}: a directory is at {partial_write(path)}, where the file is written "
            "before it is renamed into place; remove it or choose another path"
        )
    writable_dir(path.parent, option)
    _probe(path, named)
    return path


def _probe(path: Path, named: str) -> None:
    """Create and remove a file beside ``path``: ``os.access`` says yes to root everywhere, and
    ``/proc`` refuses a new file only when one is made, which was after all the work."""
    try:
        handle, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
    except OSError as exc:
        if no_space(exc):  # the CLI says a full disk one way for every file (exit 1)
            raise
        # /proc says "no such file" of the file it would not make, in a folder that is there
        gone = exc.errno == errno.ENOENT and path.parent.is_dir()
        why = "its folder takes no new files" if gone else exc.strerror or exc
        raise FfadeError(f"{named}: cannot write it ({why}); choose another path") from exc
    os.close(handle)
    os.unlink(probe)
