"""How an action-probability picture sizes its 3D points: by how far the explorer prefers a state
over choosing uniformly.

A point grew with its probability from 0 (10 to 200 points squared). A policy spreads its mass
over every state, so no state is near 0: the digits quickstart's, pooled to 216 states of 0.0025 to
0.0095, drew every point 60 or larger, more than half of them ran into a neighbour on screen, and
the states the explorer favours did not stand out of the crowd. A point now is a dot up to the
uniform level (one over the states drawn, the probability of a choice with no preference) and
grows above it to :data:`LARGEST` at the top of the colour scale; the colour still reads the
probability from 0. Compared runs share the top and, over one grid, the uniform level, so their
sizes read alike, as their colours do. A heatmap's colour bar and a bar chart mark the same
level, so every policy picture says which states are favoured over chance.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

DOT = 6.0
"""A point's area (points squared) at or below the uniform level: seen, not in the way."""

LARGEST = 160.0
"""A point's area at the top of the colour scale."""


def uniform_text(states: int) -> str:
    """The uniform level as a picture names it: ``1/216 = 0.0046``."""
    return f"1/{states:,} = {1.0 / states:.2g}"


def preference_size(probabilities: np.ndarray, uniform: float, top: float) -> np.ndarray:
    """A policy point's area: :data:`DOT` up to ``uniform``, growing linearly to :data:`LARGEST`
    at ``top`` (a scale whose top is at or below uniform, a uniform policy's, draws dots)."""
    above = np.asarray(probabilities, dtype=float) - uniform
    share = np.clip(above / (top - uniform), 0.0, 1.0) if top > uniform else np.zeros_like(above)
    return DOT + (LARGEST - DOT) * share


def mark_uniform(bar: Axes, uniform: float, top: float) -> None:
    """A white line, edged black so it shows on any colour, across the colour bar at the
    uniform level (where points start to grow); left out when the scale's top is below it."""
    if uniform <= top:
        bar.axhline(uniform, color="black", linewidth=3.0)
        bar.axhline(uniform, color="white", linewidth=1.5)
