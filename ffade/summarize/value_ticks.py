"""Value ticks of a landscape picture: the concept values along each axis, legible.

Split from :mod:`ffade.summarize.plots` (which draws the pictures): how many ticks an axis
labels, and how its numbers and words lie so that they do not run together.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from ffade.figure_text import literal, middle_cut
from ffade.summarize.regions import format_value

MAX_TICKS = 12
"""Beyond this many grid values, label every n-th tick so labels stay legible."""
FLOOR_TICK_CHARACTERS = 60  # a 3D floor axis's numbers (count x (longest + 1)) past this thin
MAX_ROW_TICKS = 20  # a heatmap's rows, labels level: 14 labelled every other left rows unnamed
FLAT_TICK_CHARACTERS = 50  # a flat x axis's ticks (count x longest) past this turn, as words do

MAX_LEVEL_WORDS = 5
"""A 3D axis of up to this many words writes them upright (more are turned to fit)."""

Z_WORD_CHARACTERS = 20
"""A word tick of the upright 3D axis, of more than ``MAX_LEVEL_WORDS``, is cut to this (one
line: the ticks stand one above the other)."""


def value_ticks(
    setter: Any,
    set_labels: Any,
    grid: list[Any],
    left: bool = False,
    flat: bool = False,
    most: int = MAX_TICKS,
    room: int | None = None,
) -> None:
    """Value ticks; ``left``: a flat picture's y axis, whose labels end at the axis (centred on
    their tick, "0.889" ran into the heatmap's cells); ``flat``: its x axis, whose numbers and
    words turn where they would run together ("0.11110.22220.3333") and else lie level (a few
    short words turned read worse, a turned ``""`` as a stray mark); ``room``: characters
    numbers may take. A 3D axis's words turn, and its caller sets them again."""
    every = max(1, int(np.ceil(len(grid) / most)))
    if room is not None and not any(isinstance(v, str) for v in grid):  # (words: by the caller)
        longest = max(len(format_value(v)) for v in grid) + 1
        every = max(every, int(np.ceil(len(grid) * longest / room)))
    positions = list(range(0, len(grid), every))
    setter(positions)
    labels = [literal(format_value(grid[i])) for i in positions]
    words = any(isinstance(v, str) for v in grid) and not left and not flat
    turned = words or (flat and len(labels) * max(map(len, labels)) > FLAT_TICK_CHARACTERS)
    set_labels(
        labels,
        rotation=45 if turned else 0,
        ha="right" if turned or left else "center",
        fontsize=8,
    )


def z_word(word: str, width: int, count: int) -> str:
    """A word tick of the upright 3D axis: a few wrap onto two lines, more are cut to one line
    that keeps both ends (``shuffle...number 7``: grid words often differ only at the end)."""
    if count <= MAX_LEVEL_WORDS:
        return literal(textwrap.fill(word, width))
    return literal(middle_cut(word, width))
