"""A run's summary.json read once per command, with its log, as a run still going is read.

``ffade report``, ``ffade feedback`` and ``ffade export`` read a run's log once
(:func:`ffade.evaluation_log.one_read_per_log`) but read its summary.json each time a part
needed it: a run that ended between the landscape's read (its log, then 4,488 evaluations)
and the summary's later read (finished, 6,000) was reported as a finished run whose log is cut
short ("summary.json says 6000 evaluations but ... holds 4488"), its status 'finished' over a
partial landscape. While :func:`one_summary_read` lasts, the first read of each summary.json
(taken before its log is read) is the one every later reader gets.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_read: dict[Path, dict[str, Any]] | None = None


@contextmanager
def one_summary_read() -> Iterator[None]:
    """While it lasts, each run's summary.json is read from its file once."""
    global _read
    outer = _read
    _read = {} if outer is None else outer
    try:
        yield
    finally:
        _read = outer


def summary_as_first_read(path: Path, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``read()``, or inside :func:`one_summary_read` a copy of the first one of ``path``."""
    if _read is None:
        return read()
    key = path.resolve()
    if key not in _read:
        _read[key] = read()
    return copy.deepcopy(_read[key])  # a reader that adds the log's counts changes its own
