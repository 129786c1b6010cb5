"""Each line a command prints to stderr reaches it in one write, and a reader gone is no error.

Under ``PYTHONUNBUFFERED=1`` (which many containers, job schedulers and CI systems set) Python
writes a ``print``'s text and its newline in two writes, so the lines that the processes of one
run print at once ran together: the two ranks of a data-parallel run that both refused a task
said "ffade: error: ...ffade: error: ..." on one line. Line buffering writes each line whole and
still shows it as soon as it is printed (progress bars flush themselves).

A stderr whose reader went away (``ffade fit ... 2>&1 | head -3``, a ``tee`` killed) raised
``BrokenPipeError`` at the next line said there, wherever that was: the progress bar's closing
line, as a search that had done every evaluation ended, turned the run into one ``failed``
(summary.json), and the exit status 0 of ``ffade``'s own handler for a closed stdout.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Any


class ReaderGoneQuiet:
    """A process's stderr that drops what it is given once its reader is gone.

    stderr carries progress and diagnostics, never a command's result: losing its reader must
    change neither what the command does nor its exit status. The stream's descriptor is then
    pointed at os.devnull, so what is still buffered for it (and Python's own flush at exit,
    which said "Exception ignored ... BrokenPipeError" and exit status 120) goes nowhere.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            to_devnull(self._stream)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            to_devnull(self._stream)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding: the stream's own
        if name == "_stream":  # copied or unpickled without __init__: no endless lookup
            raise AttributeError(name)
        return getattr(self._stream, name)


def to_devnull(stream: Any) -> None:
    """Point ``stream``'s descriptor at os.devnull, its reader gone, and flush what it still
    holds there: Python's own flush at exit said "Exception ignored ... BrokenPipeError" and
    ended a command with status 120, whatever its own."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)
    stream.flush()


def whole_lines_on_stderr() -> None:
    """Make the process's stderr line-buffered where it writes every piece through at once, and
    quiet once its reader is gone (:class:`ReaderGoneQuiet`)."""
    stream = sys.stderr
    if isinstance(stream, io.TextIOWrapper) and stream.write_through:
        stream.reconfigure(write_through=False, line_buffering=True)
    if isinstance(stream, io.TextIOWrapper):
        sys.stderr = ReaderGoneQuiet(stream)


def flush_stdout() -> None:
    """Flush stdout before ``ffade`` returns; a stdout closed from the start (``>&-``: Python's
    ``sys.stdout`` is None, so nothing was printed) has nothing to flush. Its ``flush`` raised
    AttributeError, a traceback and exit 1 after a command that did all it was asked."""
    if sys.stdout is not None:
        sys.stdout.flush()


@contextlib.contextmanager
def stdout_reader_gone_quiet() -> Iterator[None]:
    """Within it, stdout drops what it is given once its reader is gone, as stderr does
    (:class:`ReaderGoneQuiet`), and a stdout closed from the start (``>&-``) takes it too.

    For a command whose work goes on without anyone reading it: ``ffade feedback`` with answers
    piped in and its transcript piped to ``head -1`` stopped at its next prompt with exit 0 and
    the answers not saved, and with stdout closed ``input()`` raised "lost sys.stdout".
    """
    found = sys.stdout
    with contextlib.ExitStack() as closed:
        nowhere = closed.enter_context(open(os.devnull, "w")) if found is None else found
        sys.stdout = ReaderGoneQuiet(nowhere)  # type: ignore[assignment]
        try:
            yield
        finally:
            sys.stdout = found
