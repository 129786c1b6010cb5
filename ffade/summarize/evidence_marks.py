"""How a failure-rate picture shows how much evidence each state's rate rests on.

A 3D point coloured by its failure rate alone drew a state failing its one evaluation as black and
larger than one of 139 evaluations: the report names failure regions with confidence intervals,
and its picture read a single evaluation as proof. A failure-rate point's size now grows with its
evaluations (colour stays the rate), on a fixed scale so that compared runs' pictures read alike,
with a size legend; a heatmap hatches its cells of fewer than :data:`FEW_EVALUATIONS`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path

SIZE_OF_ONE = 8.0
"""A point's area (points squared) at one evaluation: small, still seen."""

SIZE_PER_DECADE = 60.0
"""The area a point gains for each tenfold of evaluations (1: 8, 10: 68, 100: 128)."""

MOST_DECADES = 4
"""Past 10,000 evaluations a point grows no more (248): it stays among its neighbours."""

FEW_EVALUATIONS = 10
"""A heatmap cell of fewer evaluations is hatched: 10 of 10 failures read 72-100% (95% CI), 1 of 1
reads 21-100%."""


def evidence_size(evaluations: np.ndarray) -> np.ndarray:
    """A failure-rate point's area from its evaluations: log-scaled (counts run from 1 to
    thousands), the same in every picture."""
    decades = np.log10(np.maximum(np.asarray(evaluations, dtype=float), 1.0))
    return SIZE_OF_ONE + SIZE_PER_DECADE * np.minimum(decades, MOST_DECADES)


def size_legend(figure: Figure, evaluations: np.ndarray, left: float, top: float) -> Legend:
    """The 3D picture's key to its point sizes: 1, 10, 100, ... evaluations up to the most a
    drawn point has, and that most where it is over twice the last (a key of 1 and 10 under
    points of 49 told little), at least two entries; placed with its upper left at (``left``,
    ``top``) in figure coordinates."""
    most = max(1, int(np.max(evaluations))) if len(evaluations) else 1
    counts = [10**d for d in range(MOST_DECADES + 1) if 10**d <= most]
    if most > 2 * counts[-1] and counts[-1] < 10**MOST_DECADES:
        counts.append(most)
    if len(counts) == 1:
        counts.append(10)
    handles = [
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markersize=float(np.sqrt(evidence_size(np.array([count]))[0])),
            markerfacecolor="grey",
            markeredgecolor="black",
            markeredgewidth=0.3,
            label=f"{count:,}" + "+" * (count == 10**MOST_DECADES),
        )
        for count in counts
    ]
    return figure.legend(
        handles=handles,
        title="evaluations\n(size)",
        loc="upper left",
        bbox_to_anchor=(left, top),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
        labelspacing=1.0,
        borderpad=0.2,
    )


def hatch_few(ax: Axes, evaluations: np.ndarray) -> str:
    """Hatches the heatmap cells evaluated at least once but fewer than
    :data:`FEW_EVALUATIONS` times (cell (i, j) at x=i, y=j); returns the colour bar's words for
    them ("" when there are none)."""
    few = np.argwhere((evaluations > 0) & (evaluations < FEW_EVALUATIONS))
    if len(few):  # one path of every cell: a patch each took seconds on a grid of thousands
        corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
        vertices = (few[:, None, :] + corners[None]).reshape(-1, 2)
        square = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
        codes = np.tile(np.array(square, dtype=Path.code_type), len(few))
        cells = PathPatch(
            Path(vertices, codes), facecolor="none", edgecolor="grey", hatch="///", linewidth=0
        )
        ax.add_artist(cells)  # on the cells' own coordinates; the image set the axes' limits
    return f";\nhatched: fewer than {FEW_EVALUATIONS} evaluations" * bool(len(few))
