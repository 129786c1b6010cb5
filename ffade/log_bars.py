"""Progress bars in a file or a CI log: no redraws, one line when a bar closes, and a line now
and then on a long one.

tqdm redraws a bar with a carriage return. A terminal writes each redraw over the last; a file
(``ffade fit ... > out.txt``, a SLURM job's output, a CI log) keeps every one, hundreds joined
in one line for a search or a fine-tune.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from tqdm import TMonitor, tqdm

LINE_SECONDS = 60.0
"""The least time between two of a long bar's lines in a log (``TQDM_MININTERVAL``, tqdm's own
setting, changes it): a run shorter than this keeps its one closing line."""

LINE_TENTHS = 10
"""A long bar's log line marks each tenth of its total that it passed."""


def line_seconds() -> float:
    """``TQDM_MININTERVAL`` where it is set (tqdm's own setting of its least time between
    redraws, here between lines), else :data:`LINE_SECONDS`."""
    try:
        return float(os.environ["TQDM_MININTERVAL"])
    except (KeyError, ValueError):
        return LINE_SECONDS


class LoggedBar(tqdm):
    """A bar that draws one plain ASCII line (no carriage return) when it closes, or is reset to
    count again (a fine-tuner's epochs: a line each), and while it runs a line each time it passes
    a tenth of its total, at most one a minute (:func:`line_seconds`): a search of 14 minutes in a
    CI log or a ``nohup`` file showed no sign of life until it ended. ffade's bars when their
    stream is not a terminal (:func:`on_terminal`)."""

    _closing = False
    _tenths_shown = 0
    _line_time = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """ASCII unless told otherwise (``100%|##########|``): tqdm's Unicode blocks became
        mojibake in a log read in another encoding, and some CI viewers and editors show them
        as boxes; a terminal's bar keeps tqdm's own."""
        kwargs.setdefault("ascii", True)
        self._line_seconds = line_seconds()
        super().__init__(*args, **kwargs)
        self._line_time = time.monotonic()

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg is not None:  # a leave=False bar's clearing: it drew nothing
            return False
        if not self._closing:
            return self._now_and_then()
        self.fp.write(self.__str__())  # tqdm's close() ends the line
        return True

    def _now_and_then(self) -> bool:
        """A line when the bar passed a tenth of its total it has not marked yet, and the last
        line (or the bar's start) is :func:`line_seconds` ago; none for a bar that leaves no
        line when it closes (a validation's), none at 100% (its closing line says it)."""
        if not self.leave or not self.total or self.disable:
            return False
        tenths = int(LINE_TENTHS * self.n / self.total)
        now = time.monotonic()
        if not 0 < tenths < LINE_TENTHS or tenths <= self._tenths_shown:
            return False
        if now - self._line_time < self._line_seconds:
            return False
        self._tenths_shown, self._line_time = tenths, now
        self.fp.write(self.__str__() + "\n")
        self.fp.flush()
        return True

    def clear(self, nolock: bool = False) -> None:
        """Nothing was drawn, so nothing to clear before a line printed meanwhile (tqdm.write)."""

    def reset(self, total: float | None = None) -> None:
        """A bar used again (Lightning's one training bar, each epoch) first leaves its line."""
        if self.n and not self.disable:
            self.fp.write(self.__str__() + "\n")
        super().reset(total)
        self._tenths_shown, self._line_time = 0, time.monotonic()

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
