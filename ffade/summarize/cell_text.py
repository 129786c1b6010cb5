"""How a heatmap cell prints its value: the number's digits and the shade it is written in.

Kept apart from :mod:`ffade.summarize.plots` (which lays pictures out) as one small job.
"""

from __future__ import annotations


def text_shade(colour: tuple[float, ...]) -> str:
    """Black or white, whichever stands out more on a cell of ``colour`` (WCAG contrast of the
    relative luminance): split at the middle of the scale, a 50% cell's black stood on mid purple
    at 3.8:1, where white reads at 5.6:1 (magma_r and viridis cross over near 44%)."""
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in colour[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "black"


def cell_probability(value: float) -> str:
    """A heatmap cell's probability in two digits, "1" kept for a certain choice: 0.996 read
    "1" as if the explorer always chose that state (as
    :func:`~ffade.summarize.landscape.percent` keeps 99.6% at 99%)."""
    return "0.99" if 0.99 < value < 1 and f"{value:.2g}" == "1" else f"{value:.2g}"
