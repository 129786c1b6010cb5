from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import proj3d

from ffade.summarize.landscape import load_landscape
from ffade.summarize.plots import plot_landscape
from ffade.summarize.policy_marks import DOT, LARGEST, preference_size

QUICKSTART_GRID = {
    "rotation": [-20, -15, -10, -5, 0, 5, 10, 15, 20],
    "brightness": [0.7, 0.8, 0.9, 1.0],
    "gaussian_blur": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5],
}


def _quickstart_like_policy() -> np.ndarray:
    """216 states, as the digits quickstart's policy pooled over contrast: every state between
    0.45 and 2 times uniform (seeded), none near 0, summing to 1 (the quickstart's: 0.55 to 2.1)."""
    weights = np.random.default_rng(0).uniform(0.45, 2.0, size=(9, 4, 6))
    return weights / weights.sum()


def _points_running_into_a_neighbour(figure: Figure) -> float:
    """The share of a 3D scatter's points whose disc, as drawn, overlaps another's."""
    ax = figure.axes[0]
    points = ax.collections[0]
    sizes = points.get_sizes().copy()  # grid order: drawing sorts them by depth
    FigureCanvasAgg(figure).draw()
    xs, ys, zs = (np.asarray(c, dtype=float) for c in points._offsets3d)
    x2, y2, _ = proj3d.proj_transform(xs, ys, zs, ax.get_proj())
    pixels = ax.transData.transform(np.column_stack([x2, y2]))
    radii = np.broadcast_to(np.sqrt(sizes) / 2 * figure.dpi / 72, len(pixels))
    apart = np.linalg.norm(pixels[:, None] - pixels[None], axis=-1)
    touching = apart < radii[:, None] + radii[None]
    np.fill_diagonal(touching, False)
    return float(touching.any(axis=1).mean())


def test_a_spread_policy_s_3d_points_stand_apart_and_its_favourites_stand_out(make_run) -> None:
    """The digits quickstart's action-probability picture was crowded: sizes grew from 0, so every
    one of its 216 states (0.0025 to 0.0095) drew 60 points squared or more and 54% of the points
    ran into a neighbour. States no likelier than a uniform choice are dots now."""
    policy = _quickstart_like_policy()
    run = make_run("spread", QUICKSTART_GRID, lambda s: (1, 0), policy=policy.ravel())
    figure = plot_landscape(load_landscape(run), kind="policy")
    sizes = figure.axes[0].collections[0].get_sizes().copy()  # before drawing sorts them
    assert _points_running_into_a_neighbour(figure) < 0.3
    drawn = policy.ravel()  # every state has a probability: all are drawn, in grid order
    uniform = 1 / 216
    assert np.all(sizes[drawn <= uniform] == DOT)
    assert sizes[np.argmax(drawn)] == pytest.approx(LARGEST)
    # the colour bar says where sizes start to grow, and marks it
    bar = figure.axes[1]
    assert "size: above uniform,\n1/216 = 0.0046, the white line" in bar.get_ylabel()
    assert [line.get_ydata()[0] for line in bar.lines] == [pytest.approx(uniform)] * 2


def test_a_uniform_policy_is_all_dots() -> None:
    """No state preferred: nothing grows (a scale topped at uniform divides by nothing)."""
    uniform = 1 / 8
    assert preference_size(np.full(8, uniform), uniform, uniform).tolist() == [DOT] * 8
    half = preference_size(np.array([uniform, 0.5 * (uniform + 0.5), 0.5]), uniform, 0.5)
    assert half.tolist() == pytest.approx([DOT, (DOT + LARGEST) / 2, LARGEST])


def test_flat_policy_pictures_mark_the_uniform_level_too(make_run) -> None:
    """A heatmap's or bar chart's probabilities had no reference: 0.019 of 54 cells read as low
    or high alike. Both now mark uniform, as the 3D picture does."""
    grid = {"rotation": [-10, 0, 10], "blur": [0, 1]}
    policy = np.array([0.05, 0.05, 0.1, 0.1, 0.2, 0.5])  # by (rotation, blur)
    landscape = load_landscape(make_run("flat", grid, lambda s: (1, 0), policy=policy))
    heatmap = plot_landscape(landscape, kind="policy")
    bar = heatmap.axes[1]
    assert bar.get_ylabel() == "action probability (white line: uniform,\n1/6 = 0.17)"
    assert [line.get_ydata()[0] for line in bar.lines] == [pytest.approx(1 / 6)] * 2
    bars = plot_landscape(landscape, kind="policy", axes=["rotation"]).axes[0]
    assert bars.get_ylabel() == "action probability\n(dashed line: uniform, 1/3 = 0.33)"
    assert [line.get_ydata()[0] for line in bars.lines] == [pytest.approx(1 / 3)]


def test_a_policy_picture_s_title_names_whose_policy_and_when(make_run) -> None:
    """Seen alone (TensorBoard's Images tab), "Action probability by a, b" did not say whose
    probabilities these are, nor that they are the explorer's last (policy.npy:
    at the run's end)."""
    grid = {"a": [0, 1], "b": [0, 1]}
    run = make_run("dqn", grid, lambda s: (1, 0), policy=np.full(4, 0.25), explorer="dqn")
    title = plot_landscape(load_landscape(run), kind="policy")._suptitle.get_text()
    assert title == "Action probability by a, b\nof the dqn explorer, as its run ended"
