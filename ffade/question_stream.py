"""Where questions to a person go: ``ffade feedback``'s and the ``human`` reward's.

On stderr, as git's and pip's prompts are, so ``> out.txt`` keeps only a command's result, unless
stderr is no terminal and stdout is one (``2>log``): then on stdout, where the person sees them.
On stdout alone, ``ffade feedback RUN > log`` hid every question from the person answering; on
stderr alone, ``2>log`` did: the person faced a silent terminal and the command waited for an
answer to a question never seen. Where neither is a terminal but standard input is, both were
redirected (``&>log``) while the person types the answers: the questions go to the controlling
terminal (``/dev/tty``, as ssh's and sudo's password prompts do), not into the log. Where none is
a terminal (answers piped in, a CI job), or ``/dev/tty`` cannot be opened (no controlling
terminal, Windows), they are on stderr, the closing lines on stdout.
"""

from __future__ import annotations

import functools
import sys
from typing import TextIO


def questions() -> TextIO:
    """The stream a question is written to, chosen as the module docstring says."""
    if is_terminal(sys.stderr):
        return sys.stderr
    if is_terminal(sys.stdout):
        return sys.stdout
    if is_terminal(sys.stdin):
        return controlling_terminal() or sys.stderr
    return sys.stderr


@functools.cache
def controlling_terminal() -> TextIO | None:
    """The process's terminal, opened once to write to; None where it has none to open."""
    try:
        return open("/dev/tty", "w", buffering=1, errors="replace")  # kept open: asked again
    except OSError:  # no controlling terminal (a daemon, setsid), or no /dev/tty (Windows)
        return None


def is_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal; False for a stream replaced, closed or missing."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, OSError, ValueError):  # a stream replaced, or closed (2>&-)
        return False
