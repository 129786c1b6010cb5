"""Pictures of a landscape: failure rates and action probabilities over up to three concepts.

Three concepts are drawn as a 3D scatter (colour and size by value, as in the paper's figures),
two as a heatmap, one as bars (failure rates with their Wilson 95% intervals). Grids with more
concepts are shown over the chosen axes with the others pooled (:meth:`Landscape.marginal`). Axis
ticks show the concept values, text for discrete operators, so a picture reads without a legend.

Figures are built on matplotlib's object API with the Agg canvas, never pyplot: no global backend
is switched and no window is opened, so this runs on servers and in tests.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ffade.figure_text import axis_label, fonts, literal
from ffade.records import atomic_path
from ffade.summarize.cell_text import cell_probability, text_shade
from ffade.summarize.chosen_axes import default_axes
from ffade.summarize.crowded import highest
from ffade.summarize.evidence_marks import evidence_size, hatch_few, size_legend
from ffade.summarize.landscape import Landscape, percent
from ffade.summarize.policy_marks import mark_uniform, preference_size, uniform_text
from ffade.summarize.regions import format_value
from ffade.summarize.value_ticks import (
    FLOOR_TICK_CHARACTERS,
    MAX_LEVEL_WORDS,
    MAX_ROW_TICKS,
    Z_WORD_CHARACTERS,
    value_ticks,
    z_word,
)

Kind = Literal["failure", "policy"]

MAX_POINTS = 4000
"""A 3D scatter shows at most this many states, the highest values: more are slow and unreadable."""

TITLE_CHARACTERS = 90
"""A title line longer than this wraps (long concept labels): a picture is about 100 wide."""

LABEL_3D_CHARACTERS = 28
"""A 3D axis's label wraps at this (two lines, then ``...``): longer ones ran into the next
axis's label and the colour bar."""

TITLE_LINE_INCHES = 0.17
"""A title line's height at 10 points (1.2 line spacing)."""

UNBIASED_EXPLORERS = ("random", "grid", "")
"""Explorers whose failure rates estimate the model's; a picture of any other's says its rates
are over the inputs it chose ("" : a run that does not say, drawn as before)."""

MAX_ANNOTATED_CELLS = 100  # heatmaps up to this many cells print each cell's value


def plot_landscape(
    landscape: Landscape,
    kind: Kind = "failure",
    axes: Sequence[int | str] | None = None,
    run: str | None = None,
    top: float | None = None,
) -> Figure:
    """One picture of a landscape's failure rates or action probabilities.

    Args:
        landscape: the landscape to draw.
        kind: "failure" (failure rate per state; unevaluated states left blank) or "policy".
        axes: up to three concepts (indices or labels) to draw; others are pooled. Default:
            :func:`default_axes`.
        run: a last title line naming the run ("compared run: runs/fixed/version_0"): a
            comparison's two pictures are alike, and a PNG is often seen without its caption.
        top: the top of a policy's colour scale (bars: its axis), for pictures read side by side
            (:func:`policy_top`); default the highest probability drawn. Failure rates are
            always 0 to 1.
    """
    with fonts():
        return _plot_landscape(landscape, kind, axes, run, top)


def policy_top(landscapes: Sequence[Landscape], axes: Sequence[int | str]) -> float | None:
    """The highest action probability any of ``landscapes`` draws over ``axes`` (None: no policy):
    compared runs' policies share this scale (each to its own highest, one colour read 0.0095 in
    one picture and 0.0103 in the other), as their failure rates share 0 to 1."""
    tops = [
        float(np.nanmax(view.policy))
        for view in (landscape.marginal(list(axes)) for landscape in landscapes)
        if view.policy is not None and np.any(np.isfinite(view.policy))
    ]
    return max(tops) if tops else None


def _plot_landscape(
    landscape: Landscape,
    kind: Kind,
    axes: Sequence[int | str] | None,
    run: str | None,
    top: float | None,
) -> Figure:
    axes = default_axes(landscape) if axes is None else list(axes)
    if not 1 <= len(axes) <= 3:
        raise ValueError(f"plot_landscape draws 1 to 3 concepts; got axes={list(axes)}")
    view = landscape.marginal(axes)
    if kind == "policy":
        if view.policy is None:
            raise ValueError(f"{landscape.source}: no policy to plot (no policy.npy)")
        values, name = view.policy, "action probability"
    else:
        values, name = view.failure_rate, "failure rate"

    title = f"{name.capitalize()} by {', '.join(view.labels)}" + _pooled_line(landscape, view)
    if kind == "failure" and landscape.explorer not in UNBIASED_EXPLORERS:
        # seen without the docs (TensorBoard), "75%" at the unchanged state read as the model's
        title += f"\nof the inputs the {landscape.explorer} explorer chose: it seeks failures"
    if kind == "policy" and landscape.explorer:  # seen alone (TensorBoard): whose, and when
        title += f"\nof the {landscape.explorer} explorer, as its run ended"
    shown = int(np.isfinite(values).sum())
    if view.num_concepts == 3 and shown > MAX_POINTS:
        title += f"\n(the {MAX_POINTS} highest of {shown} states shown)"
    if run is not None:
        title += f"\n{run}"
    draw = {1: _bars, 2: _heatmap, 3: _scatter3d}[view.num_concepts]
    figure = draw(view, values, kind, name, _limits(values, kind, top))
    # a long label wraps, not runs past the picture's edge (90 characters span 7 inches: a 6
    # inch picture's ran past both); every character drawn as it is
    characters = int(TITLE_CHARACTERS * min(1.0, figure.get_figwidth() / 7))
    title = literal("\n".join(textwrap.fill(line, characters) for line in title.split("\n")))
    # a 3D box fills the middle of its square axes: a title at the figure's top sat a fifth of
    # the picture above it, so it is lowered onto the box (each further line a little less)
    top = 0.98 if view.num_concepts < 3 else 0.86 + 0.035 * (title.count("\n") - 1)
    figure.suptitle(title, fontsize=10, y=top)
    if view.num_concepts < 3:
        _below_title(figure, title.count("\n") + 1)
    return figure


def _pooled_line(landscape: Landscape, view: Landscape) -> str:
    """The title's line on the concepts not drawn: those pooled over, and those of one value,
    which pool nothing ("pooled over brightness" of a grid whose brightness is always 1 told a
    reader the picture mixed brightnesses)."""
    one = {
        label: values[0]
        for label, values in zip(landscape.labels, landscape.values, strict=True)
        if len(values) == 1 and label not in view.labels
    }
    pooled = [label for label in view.pooled if label not in one]
    parts = [f"pooled over {', '.join(pooled)}"] * bool(pooled)
    parts += [
        ", ".join(f"{label} = {format_value(value)}" for label, value in one.items())
        + " in every state"
    ] * bool(one)
    return f"\n({'; '.join(parts)})" if parts else ""


def _below_title(figure: Figure, lines: int) -> None:
    """Moves a flat picture's axes (and colour bar) down, squeezed, below a title of ``lines``
    lines: matplotlib leaves room for about two, and a fourth ran into the heatmap."""
    height = figure.get_figheight()
    top = 0.98 - (0.05 + TITLE_LINE_INCHES * lines) / height  # the title's 10 points a line
    boxes = [ax.get_position() for ax in figure.axes]
    bottom, highest = min(b.y0 for b in boxes), max(b.y1 for b in boxes)
    if top >= highest:
        return
    squeeze = (top - bottom) / (highest - bottom)
    for ax, box in zip(figure.axes, boxes, strict=True):
        y0 = bottom + (box.y0 - bottom) * squeeze
        ax.set_position([box.x0, y0, box.width, box.height * squeeze])


def landscape_figures(
    landscape: Landscape,
    axes: Sequence[int | str] | None = None,
    run: str | None = None,
    top: float | None = None,
) -> dict[str, Figure]:
    """The standard pictures of a run: failure rates, and action probabilities if logged (on a
    colour scale to ``top``, see :func:`plot_landscape`)."""
    figures = {"failure_rate": plot_landscape(landscape, "failure", axes, run)}
    if landscape.policy is not None:
        figures["action_probabilities"] = plot_landscape(landscape, "policy", axes, run, top)
    return figures


def save_figure(figure: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Render a figure to PNG with the Agg canvas (a temporary file renamed over ``path``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    with atomic_path(path) as tmp, fonts():
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    return path


def _colormap(kind: Kind) -> str:
    """Failures dark on light (what matters stands out); probabilities in viridis."""
    return "magma_r" if kind == "failure" else "viridis"


def _limits(values: np.ndarray, kind: Kind, top: float | None = None) -> tuple[float, float]:
    """The colour scale: a failure rate's 0 to 1; a policy's 0 to ``top``, else its highest."""
    if kind == "failure":
        return 0.0, 1.0
    if top is None:
        top = float(np.nanmax(values)) if np.any(np.isfinite(values)) else 1.0
    return 0.0, top if top > 0 else 1.0


def _bars(
    view: Landscape, values: np.ndarray, kind: Kind, name: str, limits: tuple[float, float]
) -> Figure:
    figure = Figure(figsize=(6, 4))
    ax = figure.add_subplot()
    positions = np.arange(view.shape[0])
    heights = np.nan_to_num(values, nan=0.0)
    if kind == "failure":
        low, high = view.confidence_interval
        errors = np.nan_to_num(np.stack([heights - low, high - heights]), nan=0.0)
        ax.bar(positions, heights, yerr=errors, capsize=3, color="tab:red", alpha=0.8)
        ax.set_ylim(0, 1.05)
        for position in positions[np.isnan(values)]:  # no bar is not a 0% bar
            ax.text(position, 0.02, "not evaluated", ha="center", rotation=90, fontsize=8)
    else:
        ax.bar(positions, heights, color="tab:blue", alpha=0.8)
        ax.set_ylim(0, limits[1] * 1.05)
        if 1.0 / view.num_states <= limits[1]:  # a reference for "preferred", as in 3D
            ax.axhline(1.0 / view.num_states, color="black", linewidth=1, linestyle="--")
            name += f"\n(dashed line: uniform, {uniform_text(view.num_states)})"
    value_ticks(ax.set_xticks, ax.set_xticklabels, view.values[0], flat=True)
    ax.set_xlabel(axis_label(view.labels[0]))
    ax.set_ylabel(name + " (whiskers: 95% CI)" * (kind == "failure"))  # a PNG seen alone
    return figure


def _heatmap(
    view: Landscape, values: np.ndarray, kind: Kind, name: str, limits: tuple[float, float]
) -> Figure:
    figure = Figure(figsize=(6.5, 5))
    ax = figure.add_subplot()
    low, high = limits
    cmap = colormaps[_colormap(kind)].with_extremes(bad="lightgrey")
    image = ax.imshow(
        np.ma.masked_invalid(values.T),
        origin="lower",
        aspect="auto",
        cmap=cmap,
        vmin=low,
        vmax=high,
    )
    if values.size <= MAX_ANNOTATED_CELLS:
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                text = percent(value) if kind == "failure" else cell_probability(value)
                shade = text_shade(cmap((value - low) / (high - low)))
                ax.text(i, j, text, ha="center", va="center", fontsize=7, color=shade)
    value_ticks(ax.set_xticks, ax.set_xticklabels, view.values[0], flat=True)
    value_ticks(ax.set_yticks, ax.set_yticklabels, view.values[1], left=True, most=MAX_ROW_TICKS)
    ax.set_xlabel(axis_label(view.labels[0]))
    ax.set_ylabel(axis_label(view.labels[1]))
    label = name  # a failure rate of 1 evaluation read as strongly as one of hundreds
    if kind == "policy":
        label += f" (white line: uniform,\n{uniform_text(view.num_states)})"
    if kind == "failure":  # a probability's cells are not rates: nothing to hatch
        label += f" (grey: not evaluated{hatch_few(ax, view.evaluations)})"
    bar = figure.colorbar(image, ax=ax, label=label)
    if kind == "policy":
        mark_uniform(bar.ax, 1.0 / view.num_states, high)
    return figure


def _scatter3d(
    view: Landscape, values: np.ndarray, kind: Kind, name: str, limits: tuple[float, float]
) -> Figure:
    figure = Figure(figsize=(7, 6))
    ax = figure.add_subplot(projection="3d")
    states = np.argwhere(np.isfinite(values))
    shown = values[tuple(states.T)]
    crowded = len(shown) > MAX_POINTS
    if crowded:
        top = highest(shown, MAX_POINTS)  # ties at the cut spread evenly, not a block
        states, shown = states[top], shown[top]
    counts = view.evaluations[tuple(states.T)]
    low, high = limits
    uniform = 1.0 / view.num_states  # a pooled policy sums to 1 over the states drawn
    points = ax.scatter(
        states[:, 0],
        states[:, 1],
        states[:, 2],
        c=shown,
        s=evidence_size(counts) if kind == "failure" else preference_size(shown, uniform, high),
        cmap=_colormap(kind),
        vmin=low,
        vmax=high,
        depthshade=False,
        edgecolors="black",
        linewidths=0.3,
    )
    for i, (set_ticks, set_labels, set_label) in enumerate(
        [
            (ax.set_xticks, ax.set_xticklabels, ax.set_xlabel),
            (ax.set_yticks, ax.set_yticklabels, ax.set_ylabel),
            (ax.set_zticks, ax.set_zticklabels, ax.set_zlabel),
        ]
    ):
        # the floor's numbers lie level along slanted axes: twelve of 7 characters ran together
        room = FLOOR_TICK_CHARACTERS if i < 2 else None
        value_ticks(set_ticks, set_labels, view.values[i], room=room)
        grid = view.values[i]
        pad = None  # numbers: matplotlib's
        if i == 2 and any(isinstance(v, str) for v in grid):
            # the upright axis's ticks stand one above the other: its words lie flat (turned,
            # they ran into each other), and its label moves out past the longest
            width = 14 if len(grid) <= MAX_LEVEL_WORDS else Z_WORD_CHARACTERS
            flat = [z_word(format_value(v), width, len(grid)) for v in grid]
            chosen = [flat[int(t)] for t in ax.get_zticks()]
            set_labels(chosen, rotation=0, ha="left", va="center", fontsize=8)
            pad = 8 + 2.8 * max(len(line) for word in chosen for line in word.split("\n"))
        elif any(isinstance(v, str) for v in grid):
            # words turned 45 degrees in 3D ran into the axis label: few fit upright, and the
            # label of more, still turned, moves out past the longest
            pad = 14
            if len(grid) <= MAX_LEVEL_WORDS:
                upright = [literal(textwrap.fill(format_value(v), 14)) for v in grid]
                set_labels(upright, rotation=0, ha="center", va="top", fontsize=8)
            else:
                pad = 8 + 2.5 * min(30, max(len(format_value(v)) for v in grid))
        text = axis_label(view.labels[i], LABEL_3D_CHARACTERS)
        if "\n" in text:  # a wrapped label's lines centre on its place: moved out off the ticks
            pad = (4 if pad is None else pad) + 10 * text.count("\n")
        set_label(text, labelpad=pad)
        if i == 2:  # the colour bar moves right past the upright axis's ticks and label
            # (inches: a 3D label pad of 1 moves this box's label about 1.65 points)
            offset = (0 if pad is None else pad - 4) * 1.65 / 72 + 0.15 * text.count("\n")
    # a failure rate's colour is the rate and its size the evaluations it rests on (a key
    # below the colour bar); a probability's colour and size both grow with it. A blank grid
    # point was never evaluated, or, of a crowded grid, fell below the highest drawn (not
    # "never evaluated": it may have passed)
    below = f"below the {MAX_POINTS} highest" * crowded  # a policy gives every state a value
    unseen = "; no point: not evaluated" + f",\nor {below}" * crowded
    unseen = unseen if kind == "failure" else f";\nno point: {below}" * crowded
    sized = f"; size: above uniform,\n{uniform_text(view.num_states)}, the white line"
    label = f"{name}\n(colour{sized * (kind != 'failure')}{unseen})"
    # placed by hand, in inches (where ``colorbar(ax=ax, shrink=0.6, pad=0.1)`` puts them): the
    # picture widens by what the upright axis's ticks and label need, and the colour bar moves
    # right by as much, so neither runs under the other and the 3D box keeps its size
    width = 7 + offset
    figure.set_size_inches(width, 6)
    ax.set_position([0.875 / width, 0.156, 4.069 / width, 0.678])
    bar = figure.add_axes([(5.486 + offset) / width, 0.264, 0.139 / width, 0.462])
    figure.colorbar(points, cax=bar, label=label)
    if kind == "failure":
        size_legend(figure, counts, (5.3 + offset) / width, 0.25)
    else:
        mark_uniform(bar, uniform, high)
    return figure
