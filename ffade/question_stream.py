"""Where questions to a person go: ``ffade feedback``'s and the ``human`` reward's.

On stderr, as git's and pip's prompts are, so ``> out.txt`` keeps only a command's result, unless
stderr is no terminal and stdout is one (``2>log``): then on stdout, where the person sees them.
On stdout alone, ``ffade feedback RUN > log`` hid every question from the person answering; on
stderr alone, ``2>log`` did: the person faced a silent terminal and the command waited for an
answer to a question never seen. Where neither is a terminal (answers piped in, a CI job) they
are on stderr, the closing lines on stdout.
"""

from __future__ import annotations

import sys
from typing import TextIO


def questions() -> TextIO:
    """The stream a question is written to, chosen as the module docstring says."""
    if is_terminal(sys.stderr) or not is_terminal(sys.stdout):
        return sys.stderr
    return sys.stdout


def is_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal; False for a stream replaced, closed or missing."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, OSError, ValueError):  # a stream replaced, or closed (2>&-)
        return False
