"""Text in ffade's pictures drawn as it is: concept labels, values and captions, whatever their
characters.

Matplotlib reads a text with two ``$`` as math (a label ``cost $5`` beside a value ``$9``
stopped ``ffade report`` with a parse error), so :func:`literal` escapes them. Its default font
has no Chinese or Japanese characters: :func:`fonts` lets a figure fall back to an installed
font that has them, and where none has, the picture shows boxes for them, which one note says
once, in place of a matplotlib warning per character and picture.
"""

from __future__ import annotations

import sys
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

FALLBACK_FAMILIES = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "MS Gothic",
    "PingFang SC",
    "Hiragino Sans",
    "Arial Unicode MS",
)
"""Fonts with CJK characters, tried after matplotlib's default where installed."""

LABEL_CHARACTERS = 40
"""An axis label longer than this wraps (at most 2 lines, then ``...``), so it does not run into
the next axis's label or the colour bar."""

_noted: set[str] = set()


def literal(text: Any) -> str:
    """``text`` as a string that matplotlib draws character for character (``$`` escaped)."""
    return str(text).replace("$", r"\$")


def axis_label(text: Any, width: int = LABEL_CHARACTERS, lines: int = 2) -> str:
    """An axis label or title part: literal, wrapped at ``width``, at most ``lines`` lines."""
    return literal(textwrap.fill(str(text), width, max_lines=lines, placeholder=" ..."))


@contextmanager
def fonts() -> Iterator[None]:
    """Build and draw a figure inside this: its texts fall back to installed fonts that have the
    characters the default lacks; characters none has are noted once on stderr."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    families = list(matplotlib.rcParams["font.family"])
    families += [family for family in FALLBACK_FAMILIES if family in installed]
    missing: list[str] = []
    with (
        matplotlib.rc_context({"font.family": families}),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.filterwarnings("always", message="Glyph .* missing from font")
        yield
    for warning in caught:
        words = str(warning.message).split()
        if words[0] == "Glyph" and "missing from font" in str(warning.message):
            missing.append(chr(int(words[1])) if words[1].isdigit() else words[1])
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    new = [character for character in dict.fromkeys(missing) if character not in _noted]
    if new:
        _noted.update(new)
        print(
            f"ffade: note: no installed font draws {' '.join(new)}; the pictures show a box for "
            "each (the reports' text has them): install a font that has them, such as Noto Sans "
            "CJK (fonts-noto-cjk)",
            file=sys.stderr,
        )
