"""A failure-rate picture shows how many evaluations each state's rate rests on: a 3D point's
size grows with them (with a key), a heatmap hatches cells of few; colour stays the rate."""

from __future__ import annotations

import numpy as np

from ffade.summarize.evidence_marks import FEW_EVALUATIONS, evidence_size
from ffade.summarize.landscape import load_landscape
from ffade.summarize.plots import plot_landscape

CUBE = {"a": [0, 1], "b": [0, 1], "c": [0, 1]}


def one_and_many(state: tuple[int, ...]) -> tuple[int, int]:
    """The text quickstart's case: one state fails its only evaluation, one fails 350 of 400,
    one passes 25 of 25; the rest are never evaluated."""
    return {(1, 1, 1): (1, 1), (0, 0, 0): (400, 350), (1, 0, 0): (25, 0)}.get(state, (0, 0))


def drawn(figure) -> dict[tuple[int, ...], tuple[float, float]]:
    """Each drawn 3D point's grid state -> (size, colour value)."""
    points = figure.axes[0].collections[0]
    xs, ys, zs = (np.asarray(c).astype(int) for c in points._offsets3d)
    return {
        (x, y, z): (float(size), float(value))
        for x, y, z, size, value in zip(
            xs, ys, zs, points.get_sizes(), points.get_array(), strict=True
        )
    }


def test_a_3d_point_of_one_evaluation_is_drawn_smaller_than_one_of_many(make_run) -> None:
    """Before, size grew with the rate: the state failing its one evaluation was the largest
    point, larger than the one failing 350 of 400."""
    figure = plot_landscape(load_landscape(make_run("run", CUBE, one_and_many)))
    points = drawn(figure)
    assert set(points) == {(1, 1, 1), (0, 0, 0), (1, 0, 0)}
    assert points[(1, 1, 1)][1] == 1.0  # colour: the rate, as before
    assert points[(0, 0, 0)][1] == 350 / 400
    sizes = {state: size for state, (size, _) in points.items()}
    assert sizes[(1, 1, 1)] < sizes[(1, 0, 0)] < sizes[(0, 0, 0)]  # 1 < 25 < 400 evaluations
    assert sizes == {s: float(evidence_size(np.array([one_and_many(s)[0]]))[0]) for s in sizes}


def test_the_3d_size_key_names_the_evaluations_a_size_stands_for(make_run) -> None:
    figure = plot_landscape(load_landscape(make_run("run", CUBE, one_and_many)))
    (legend,) = figure.legends
    assert legend.get_title().get_text() == "evaluations\n(size)"
    assert [t.get_text() for t in legend.get_texts()] == ["1", "10", "100", "400"]
    # each key's marker is as large as a point of that many evaluations (diameter = sqrt(area))
    diameters = [handle.get_markersize() for handle in legend.legend_handles]
    assert np.allclose(np.square(diameters), evidence_size(np.array([1, 10, 100, 400])))
    assert figure.axes[1].get_ylabel() == "failure rate\n(colour; no point: not evaluated)"


def test_compared_runs_draw_a_count_at_one_size(make_run) -> None:
    """The size scale is fixed, as the colour scale is: 25 evaluations are one size in a run
    whose most is 400 and in one whose most is 25."""
    first = drawn(plot_landscape(load_landscape(make_run("first", CUBE, one_and_many))))
    second = drawn(plot_landscape(load_landscape(make_run("second", CUBE, lambda s: (25, 5)))))
    assert first[(1, 0, 0)][0] == second[(1, 0, 0)][0]
    assert len({size for size, _ in second.values()}) == 1


def test_a_policy_picture_sizes_by_probability_and_has_no_size_key(make_run) -> None:
    policy = np.arange(1, 9, dtype=float).reshape(2, 2, 2) / 36
    run = make_run("policy", CUBE, lambda s: (1 + 99 * s[0], 0), policy=policy)
    figure = plot_landscape(load_landscape(run), kind="policy")
    assert figure.legends == []
    points = drawn(figure)
    assert points[(1, 1, 1)][0] > points[(0, 0, 0)][0]  # the most probable, the largest
    assert figure.axes[1].get_ylabel() == (
        "action probability\n(colour; size: above uniform,\n1/8 = 0.12, the white line)"
    )


def hatched(ax) -> list[tuple[float, float]]:
    """The centres of the heatmap's hatched cells (one path of squares of five vertices)."""
    return sorted(
        (float(x) + 0.5, float(y) + 0.5)
        for patch in ax.patches
        if patch.get_hatch()
        for x, y in patch.get_path().vertices.reshape(-1, 5, 2).min(axis=1)
    )


def test_a_heatmap_hatches_cells_of_few_evaluations_and_says_so(make_run) -> None:
    counts = {(0, 0): (1, 1), (1, 0): (FEW_EVALUATIONS - 1, 0), (0, 1): (FEW_EVALUATIONS, 5)}
    run = make_run("run", {"a": [0, 1], "b": [0, 1]}, lambda s: counts.get(s, (0, 0)))
    figure = plot_landscape(load_landscape(run))
    assert hatched(figure.axes[0]) == [(0, 0), (1, 0)]  # not (0, 1): 10; not (1, 1): none
    assert figure.axes[1].get_ylabel() == (
        "failure rate (grey: not evaluated;\nhatched: fewer than 10 evaluations)"
    )


def test_a_heatmap_of_well_measured_cells_neither_hatches_nor_mentions_it(make_run) -> None:
    run = make_run("run", {"a": [0, 1], "b": [0, 1]}, lambda s: (50, s[0]))
    figure = plot_landscape(load_landscape(run))
    assert hatched(figure.axes[0]) == []
    assert figure.axes[1].get_ylabel() == "failure rate (grey: not evaluated)"


def test_a_policy_heatmap_hatches_nothing(make_run) -> None:
    """Hatching marks failure rates resting on few evaluations; a probability is no such rate
    (its colour bar says nothing of hatching), so few-evaluation cells stay plain there."""
    counts = {(0, 0): (1, 1), (1, 0): (FEW_EVALUATIONS - 1, 0)}
    policy = np.full((2, 2), 0.25)
    run = make_run(
        "policy", {"a": [0, 1], "b": [0, 1]}, lambda s: counts.get(s, (0, 0)), policy=policy
    )
    figure = plot_landscape(load_landscape(run), kind="policy")
    assert hatched(figure.axes[0]) == []
    assert "hatched" not in figure.axes[1].get_ylabel()
