"""``ffade fit --help``'s own preamble wrapped to the terminal, as argparse wraps the help after it.

Unwrapped, its lines ran up to 360 characters: a terminal folded them mid-word at its edge, and
the argument names at the start of each row were lost among the folded text. Lines break at
spaces only, so a key, a class path or a ``--option`` is never cut, and a span in backquotes or
double quotes (```ffade plugins```, ``"estimated_remaining < 10"``) stays on one line; a token
longer than the width stands alone on its line. A row's continuation lines hang under its text
(after the name's column), so the names still read down the left edge.
"""

from __future__ import annotations

import re
import shutil
import textwrap

_COLUMN = re.compile(r"^( *\S+(?: {2,}| (?=\((?:default |required\)))))(?=\S)")
"""A row's name and the spaces that align what follows: ``  budget                 (default``
(one space after a name too long for the column: ``target_network_frequency (default``)."""
_QUOTED = re.compile(r"`[^`]*`|\"[^\"]*\"")
"""Spans kept on one line: ```ffade plugins```, ``"new_failures_per_1000 < 5"``."""
_KEEP = "\x00"  # stands for a space inside a kept span while the line is wrapped


def help_width() -> int:
    """The width argparse wraps its help to: the terminal's columns (``COLUMNS`` wins) less 2."""
    return max(shutil.get_terminal_size().columns - 2, 20)


def wrapped(text: str, width: int | None = None) -> str:
    """``text`` with each line longer than ``width`` (default :func:`help_width`) broken at its
    spaces, continuation lines indented under the line's text."""
    width = help_width() if width is None else width
    return "\n".join(out for line in text.split("\n") for out in _wrap_line(line, width))


def _wrap_line(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    column = _COLUMN.match(line)
    hang = len(column.group(1)) if column else len(line) - len(line.lstrip(" "))
    hang = min(hang, width // 2)  # a narrow terminal still gets words on each line
    kept = _QUOTED.sub(lambda m: m.group(0).replace(" ", _KEEP), line)
    lines = textwrap.wrap(
        kept,
        width=width,
        subsequent_indent=" " * hang,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [part.replace(_KEEP, " ") for part in lines]
