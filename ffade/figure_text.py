"""Text in ffade's pictures drawn as it is: concept labels, values and captions, whatever their
characters.

Matplotlib reads a text with two ``$`` as math (a label ``cost $5`` beside a value ``$9``
stopped ``ffade report`` with a parse error), so :func:`literal` escapes them. Its default font
has no Chinese or Japanese characters: :func:`fonts` lets a figure fall back to an installed
font that has them, and where none has, the picture shows boxes for them, which one note says
once, in place of a matplotlib warning per character and picture. :class:`TextMeasure` wraps a
text by the pixels its lines take, as drawn: a count of characters let CJK, long file paths and
long concept labels run into the next picture.
"""

from __future__ import annotations

import sys
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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
"""An axis label longer than this wraps (at most 2 lines, the last one ``...`` and the label's
end), so it does not run into the next axis's label or the colour bar."""

_noted: set[str] = set()


def literal(text: Any) -> str:
    """``text`` as a string that matplotlib draws character for character (``$`` escaped)."""
    return str(text).replace("$", r"\$")


def axis_label(text: Any, width: int = LABEL_CHARACTERS, lines: int = 2) -> str:
    """An axis label or title part: literal, wrapped at ``width``, at most ``lines`` lines.

    A label longer still keeps its first lines and its end, ``...`` between: labels often share
    their start and differ at the end (``blur_horizontal``, ``blur_vertical``), and cutting the
    end off drew two axes under one name.
    """
    text = str(text)
    wrapped = textwrap.wrap(text, width)
    if len(wrapped) <= lines:
        return literal("\n".join(wrapped))
    head = wrapped[: lines - 1]
    shown = sum(len(line) for line in head)  # at most this much of the start is already drawn
    start = max(shown, len(text) - (width - 3))
    tail = text[start:].strip()
    if " " in tail and text[start - 1] != " ":  # whole words where the end has words
        tail = tail.split(" ", 1)[1]
    return literal("\n".join([*head, f"...{tail}"]))


def middle_cut(text: str, width: int) -> str:
    """``text`` as typed where at most ``width`` characters, else cut to ``width`` at most in
    its middle, ``...`` there: concept labels and grid words often share their start and differ
    at the end (``shuffle ... number 7``, ``rotation ... clockwise``), so both ends stay. A text
    of words keeps whole words at each end where 3 characters or more of them are left."""
    if len(text) <= width:
        return text
    start = (width - 3) // 2
    end = len(text) - (width - 3 - start)
    head, tail = text[:start], text[end:]
    if text[start] != " " and head.rfind(" ") >= 3:  # a word cut at its end: left out
        head = head[: head.rfind(" ") + 1]
    if text[end - 1] != " " and 0 <= tail.find(" ") <= len(tail) - 4:  # cut at its start
        tail = tail[tail.find(" ") :]
    return f"{head}...{tail}"


class TextMeasure:
    """Pixels texts take as a figure at ``dpi`` draws them: one figure, renderer and text for
    all the measurements of a run's pictures (a renderer per caption cost a quickstart's pictures
    a tenth of a second; one renderer also measures each line once, matplotlib caching its
    metrics). Measure inside :func:`fonts`, as the figure measured for is drawn."""

    def __init__(self, dpi: float) -> None:
        figure = Figure(dpi=dpi)
        self._renderer = FigureCanvasAgg(figure).get_renderer()
        self._text = figure.text(0, 0, "", va="top")

    def size(self, text: str, fontsize: float | str) -> tuple[float, float]:
        """(width, height) in pixels of ``text`` (as it is drawn: :func:`literal` it first)."""
        self._text.set_text(text)
        self._text.set_fontsize(fontsize)
        self._text.set_fontfamily(matplotlib.rcParams["font.family"])  # as a new text's
        box = self._text.get_window_extent(self._renderer)
        return box.width, box.height

    def fits(self, line: str, fontsize: float | str, pixels: float) -> bool:
        """Whether ``line`` (as typed: made :func:`literal` here) is at most ``pixels`` wide."""
        return self.size(literal(line), fontsize)[0] <= pixels

    def wrap(
        self, text: Any, characters: int, pixels: float, fontsize: float | str, lines: int | None
    ) -> str:
        """``text`` literal, in at most ``lines`` lines (then ``...``; None: as many as it
        takes), each at most ``pixels`` wide: wrapped at ``characters`` as before where those
        lines fit (most captions), else word by word by measured width, a word wider than a line
        broken where it stops fitting."""
        text = str(text)
        filled = textwrap.fill(text, characters, max_lines=lines, placeholder=" ...")
        if all(self.fits(line, fontsize, pixels) for line in filled.split("\n")):
            return literal(filled)
        wrapped: list[str] = []
        for word in text.split():
            joined = f"{wrapped[-1]} {word}" if wrapped else word
            if wrapped and self.fits(joined, fontsize, pixels):
                wrapped[-1] = joined
                continue
            while word:
                cut = self._longest_start(word, fontsize, pixels)
                wrapped.append(word[:cut])
                word = word[cut:]
        if lines is not None and len(wrapped) > lines:
            last = wrapped[lines - 1]
            while last and not self.fits(last + " ...", fontsize, pixels):
                last = last[:-1]
            wrapped = [*wrapped[: lines - 1], last.rstrip() + " ..."]
        return literal("\n".join(wrapped))

    def pack(self, parts: list[str], fontsize: float | str, pixels: float) -> list[str] | None:
        """``parts`` in lines at most ``pixels`` wide, ``, `` between, each part whole on one
        line (a caption's ``label=value`` not split from its value); None where a part alone is
        wider than a line. Lines as typed: :func:`literal` them to draw them."""
        lines: list[str] = []
        for k, part in enumerate(parts):
            part += "," if k < len(parts) - 1 else ""
            if not self.fits(part, fontsize, pixels):
                return None
            joined = f"{lines[-1]} {part}" if lines else part
            if lines and self.fits(joined, fontsize, pixels):
                lines[-1] = joined
            else:
                lines.append(part)
        return lines

    def _longest_start(self, word: str, fontsize: float | str, pixels: float) -> int:
        """How many of ``word``'s first characters fit in ``pixels`` (at least one)."""
        low, high = 1, len(word)  # widths grow with characters: a binary search
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (
                (middle, high) if self.fits(word[:middle], fontsize, pixels) else (low, middle - 1)
            )
        return low


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
