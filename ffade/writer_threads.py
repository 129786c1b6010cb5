"""TensorBoard's event writer fails on a thread of its own: said once, by the command, by path.

TensorBoard writes a run's ``events.out.tfevents.*`` from a background thread. When the disk
fills (or the file's folder goes away) that thread dies with an ``OSError`` that names no file,
Python prints its traceback ("Exception in thread Thread-1"), and the same error is raised again
in the run at its next scalar: the user saw a traceback, then ``ffade: error: no space left on
device`` naming no path. The thread's traceback is dropped here (the run raises the error
itself), and :func:`ffade.writable.failed_path` finds the file from the error's frames.
"""

from __future__ import annotations

import threading
from typing import Any

_WRITER_THREAD = "_AsyncWriterThread"  # tensorboard.summary.writer.event_file_writer's
_installed = False


def quiet_writer_threads() -> None:
    """Leave an ``OSError`` in TensorBoard's writer thread to the run, which raises it at its
    next write (a one-line error from the CLI); any other thread's error prints as before."""
    global _installed
    if _installed:
        return
    earlier = threading.excepthook

    def hook(args: Any) -> None:
        thread = args.thread
        if type(thread).__name__ == _WRITER_THREAD and isinstance(args.exc_value, OSError):
            return  # kept on the thread (``thread.exception``): the run raises it, once
        earlier(args)

    threading.excepthook = hook
    _installed = True
