"""Progress bars in a file or a CI log: no redraws, one line when a bar closes.

tqdm redraws a bar with a carriage return. A terminal writes each redraw over the last; a file
(``ffade fit ... > out.txt``, a SLURM job's output, a CI log) keeps every one, hundreds joined
in one line for a search or a fine-tune.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from tqdm import TMonitor, tqdm


class LoggedBar(tqdm):
    """A bar that draws nothing while it runs and one plain ASCII line (no carriage return) when it
    closes, or is reset to count again (a fine-tuner's epochs: a line each): ffade's bars
    when their stream is not a terminal (:func:`on_terminal`)."""

    _closing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """ASCII unless told otherwise (``100%|##########|``): tqdm's Unicode blocks became
        mojibake in a log read in another encoding, and some CI viewers and editors show them
        as boxes; a terminal's bar keeps tqdm's own."""
        kwargs.setdefault("ascii", True)
        super().__init__(*args, **kwargs)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if not self._closing or msg is not None:  # a redraw, or a leave=False bar's clearing
            return False
        self.fp.write(self.__str__())  # tqdm's close() ends the line
        return True

    def clear(self, nolock: bool = False) -> None:
        """Nothing was drawn, so nothing to clear before a line printed meanwhile (tqdm.write)."""

    def reset(self, total: float | None = None) -> None:
        """A bar used again (Lightning's one training bar, each epoch) first leaves its line."""
        if self.n and not self.disable:
            self.fp.write(self.__str__() + "\n")
        super().reset(total)

    def close(self) -> None:
        self._closing = True
        super().close()


def on_terminal(stream: IO[Any] | Any) -> bool:
    """Whether ``stream`` is a terminal, or a notebook's output (ipykernel's stream says it is
    none, but its cell redraws a line on a carriage return), where a bar may redraw itself."""
    if type(stream).__module__.startswith("ipykernel."):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def sized(stream: IO[Any] | Any) -> dict[str, Any]:
    """tqdm's size arguments for a terminal that says it has no size: none for any other stream.

    A terminal made without one (``docker run -t`` or ``script`` started from a CI job, ``ssh -t``
    from a script) has 0 columns and 0 rows; tqdm read that as -1 rows, so every bar sat below
    the screen and drew nothing, not even its last line. Such a terminal gets ``COLUMNS`` and
    ``LINES`` where they are set, else 80 by 24 (:func:`shutil.get_terminal_size`), fixed.
    """
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):  # no file descriptor, no terminal, closed
        return {}
    if size.columns > 0 and size.lines > 0:
        return {}
    fallback = shutil.get_terminal_size()
    return {"dynamic_ncols": False, "ncols": fallback.columns, "nrows": fallback.lines}


def bar_for(stream: IO[Any] | Any, **kwargs: Any) -> tqdm:
    """A tqdm bar on ``stream``: tqdm's own on a terminal, a :class:`LoggedBar` elsewhere."""
    if not on_terminal(stream):
        return LoggedBar(file=stream, **kwargs)
    return tqdm(file=stream, **{**kwargs, **sized(stream)})


@contextmanager
def monitors_closed() -> Iterator[None]:
    """Close the tqdm monitor threads the block started, and only those.

    tqdm starts a daemon thread (``tqdm_monitor``) with its first bar and keeps it for the life
    of the process; after ``ffade.discover`` it stayed alive in the caller's notebook or
    service. One already running (the caller's own bars) is left alone; a later bar starts a
    new one if it needs it (tqdm's class attribute ``monitor`` is None again).
    """
    before = set(_monitors())
    try:
        yield
    finally:
        for monitor in _monitors() - before:
            monitor.exit()
            if getattr(monitor.tqdm_cls, "monitor", None) is monitor:
                monitor.tqdm_cls.monitor = None


def _monitors() -> set[TMonitor]:
    return {thread for thread in threading.enumerate() if isinstance(thread, TMonitor)}
