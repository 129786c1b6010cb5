"""Each line a command prints to stderr reaches it in one write.

Under ``PYTHONUNBUFFERED=1`` (which many containers, job schedulers and CI systems set) Python
writes a ``print``'s text and its newline in two writes, so the lines that the processes of one
run print at once ran together: the two ranks of a data-parallel run that both refused a task
said "ffade: error: ...ffade: error: ..." on one line. Line buffering writes each line whole and
still shows it as soon as it is printed (progress bars flush themselves).
"""

from __future__ import annotations

import io
import sys


def whole_lines_on_stderr() -> None:
    """Make the process's stderr line-buffered where it writes every piece through at once."""
    stream = sys.stderr
    if isinstance(stream, io.TextIOWrapper) and stream.write_through:
        stream.reconfigure(write_through=False, line_buffering=True)
