"""One writer at a time of a file's fixed temporary path: a lock held while it is written.

Every file is written to ``NAME.tmp`` and then renamed over ``NAME``
(:func:`ffade.records.atomic_path`). Two processes writing one file at once (two ``ffade report``
of one run, two ``ffade feedback`` answering into one ``feedback.yaml``) shared that temporary
path: one renamed the other's half-written file into place, and the other's rename then found
no file ("file not found: ...", exit 2), as did the report's folder of pictures for TensorBoard,
which each report emptied under the other. The writer now holds an exclusive ``flock`` on the
temporary path while it writes and renames it; the other waits for it, then writes its own.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

_NO_LOCKS = (errno.ENOLCK, errno.EINVAL, errno.EOPNOTSUPP)
"""A file system that takes no lock (some network ones): written unlocked, as before."""


@contextlib.contextmanager
def writing_alone(tmp: Path, folder: bool = False) -> Iterator[None]:
    """Hold ``tmp`` (a file, or with ``folder`` a directory, made if missing) for this writer.

    Blocks while another process holds it. The one that held it renames or removes ``tmp`` as
    it ends, so the lock taken on the old one is checked against the path: when ``tmp`` is no
    longer that file, it is opened and locked again. Without ``fcntl`` (Windows) nothing is held.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    while True:
        if folder:
            tmp.mkdir(exist_ok=True)
            handle = os.open(tmp, os.O_RDONLY)
        else:
            try:
                handle = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o666)
            except FileNotFoundError:  # its folder is not made yet (diffusers' save_lora_weights
                yield  # makes it as it writes): no other writer can be in it, nothing to hold
                return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(handle)
            if exc.errno not in _NO_LOCKS:
                raise
            yield
            return
        try:
            same = os.stat(tmp).st_ino == os.fstat(handle).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)  # renamed or removed by the writer before: take the new one
    try:
        yield
    finally:
        os.close(handle)  # closing the descriptor drops its lock
