from __future__ import annotations

import itertools
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ffade.summarize.crowded import highest
from ffade.summarize.landscape import load_landscape
from ffade.summarize.plots import (
    default_axes,
    landscape_figures,
    plot_landscape,
    policy_top,
    save_figure,
)
from ffade.summarize.report_events import log_images

TEXT_GRID = {"edit": ["none", "negate", "shuffle words"], "strength": [1, 2]}


def tick_texts(axis_labels) -> list[str]:
    return [label.get_text() for label in axis_labels]


def test_three_concepts_give_a_3d_scatter_with_value_ticks(image_run, tmp_path) -> None:
    figure = plot_landscape(load_landscape(image_run))
    ax = figure.axes[0]
    assert ax.name == "3d"
    assert tick_texts(ax.get_xticklabels()) == ["0", "10", "20", "30", "40"]
    assert tick_texts(ax.get_zticklabels()) == ["0", "1", "2"]
    assert [ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()] == ["rotation", "brightness", "blur"]
    path = save_figure(figure, tmp_path / "scatter.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_two_concepts_give_a_heatmap_with_text_ticks(make_run) -> None:
    run = make_run("text", TEXT_GRID, lambda s: (4, 3 * (s[0] == 1)), policy=np.ones(6))
    figures = landscape_figures(load_landscape(run))
    assert set(figures) == {"failure_rate", "action_probabilities"}
    ax = figures["failure_rate"].axes[0]
    assert tick_texts(ax.get_xticklabels()) == TEXT_GRID["edit"]
    assert tick_texts(ax.get_yticklabels()) == ["1", "2"]
    assert "75%" in [t.get_text() for t in ax.texts]


def test_a_heatmap_cell_short_of_all_never_reads_100_percent(make_run) -> None:
    """A cell failing 399 of 400 times read "100%" beside cells that always fail; it reads 99%,
    as the report's tables do, and 1 of 400 reads 1%, not "0%" beside cells that never fail."""
    counts = {(0, 0): (400, 399), (1, 0): (400, 400), (0, 1): (400, 1), (1, 1): (400, 0)}
    run = make_run("run", {"a": [0, 1], "b": [0, 1]}, counts)
    ax = plot_landscape(load_landscape(run)).axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["0%", "1%", "100%", "99%"]


def test_a_heatmap_cell_prints_in_the_shade_that_stands_out_on_it(make_run) -> None:
    """A cell's value was black above the middle of the scale's light half and white on its dark
    half, split at 50%: a 50% failure cell (mid purple) read black at 3.8:1 contrast. Each is
    now in whichever of black and white contrasts more with its own colour."""
    counts = {(0, 0): (4, 0), (1, 0): (4, 2), (0, 1): (4, 4), (1, 1): (4, 1)}
    policy = np.array([0.0, 0.2, 0.4, 0.4])  # cell (0, 1) is half the top probability
    run = make_run("shades", {"a": [0, 1], "b": [0, 1]}, counts, policy=policy)
    figures = landscape_figures(load_landscape(run))
    failure = {t.get_text(): t.get_color() for t in figures["failure_rate"].axes[0].texts}
    assert failure == {"0%": "black", "50%": "white", "100%": "white", "25%": "black"}
    shades = {
        t.get_position(): t.get_color() for t in figures["action_probabilities"].axes[0].texts
    }
    assert shades[(0, 0)] == "white" and shades[(0, 1)] == "black"  # viridis: dark at 0


def test_one_concept_gives_bars(make_run) -> None:
    run = make_run("one", {"blur": [0, 0.5, 1]}, lambda s: (4, s[0]))
    ax = plot_landscape(load_landscape(run)).axes[0]
    assert len(ax.patches) == 3
    # the whiskers are Wilson 95% intervals, said on the picture: seen alone (TensorBoard, a
    # PNG in a chat) nothing told a reader what they were
    assert ax.get_xlabel() == "blur"
    assert ax.get_ylabel() == "failure rate (whiskers: 95% CI)"
    assert [round(p.get_height(), 2) for p in ax.patches] == [0, 0.25, 0.5]


def test_a_concept_of_one_value_is_not_drawn_as_an_axis(make_run) -> None:
    """Three concepts, one of a single value: drawn, it was a 3D picture with a flat axis of one
    tick; it changes nothing, so the picture is the heatmap of the other two, rates printed."""
    run = make_run("flat", {"a": [0, 1], "fixed": [0], "b": [0, 1]}, lambda s: (4, s[0] + s[2]))
    landscape = load_landscape(run)
    assert default_axes(landscape) == [0, 2]
    ax = plot_landscape(landscape).axes[0]
    assert ax.name != "3d"
    assert [ax.get_xlabel(), ax.get_ylabel()] == ["a", "b"]
    assert sorted(t.get_text() for t in ax.texts) == ["0%", "25%", "25%", "50%"]


def test_a_concept_of_one_value_is_named_with_its_value_not_as_pooled(make_run) -> None:
    """A one-value concept left out of the picture read "(pooled over fixed)", as if the picture
    mixed its values: it has one, so the title says it ("fixed = 0.5 in every state"), and only
    concepts of several values read as pooled."""
    grid = {"a": [0, 1], "fixed": [0.5], "b": [0, 1], "c": [0, 1, 2]}
    run = make_run("flat4", grid, lambda s: (4, s[0] + s[2]))
    landscape = load_landscape(run)
    title = plot_landscape(landscape, axes=["a", "b"])._suptitle.get_text()
    assert title.splitlines()[1] == "(pooled over c; fixed = 0.5 in every state)"
    title = plot_landscape(landscape, axes=["a", "b", "c"])._suptitle.get_text()
    assert title.splitlines()[1] == "(fixed = 0.5 in every state)"
    assert "pooled" not in title


def test_a_learning_explorers_failure_picture_says_its_rates_are_over_the_inputs_it_chose(
    make_run,
) -> None:
    """The quickstart's heatmap read 75% failure at rotation 0, blur 0 with no word that the DQN
    had chosen inputs that fail (one failing input, 16 times): seen in TensorBoard, without the
    docs, that read as the model's rate. A learning explorer's failure picture now says so; a
    random or grid search's rates estimate the model's and are titled as before."""
    for explorer, noted in (("dqn", True), ("epsilon_greedy", True), ("random", False)):
        run = make_run(explorer, {"a": [0, 1, 2]}, lambda s: (4, s[0]), explorer=explorer)
        figures = landscape_figures(load_landscape(run))
        title = figures["failure_rate"]._suptitle.get_text()
        note = f"of the inputs the {explorer} explorer chose: it seeks failures"
        assert (note in title.splitlines()) == noted
    run = make_run("policy", {"a": [0, 1]}, lambda s: (2, s[0]), explorer="dqn", policy=[0.5, 0.5])
    assert "chose" not in plot_landscape(load_landscape(run), "policy")._suptitle.get_text()


def test_crowded_number_ticks_of_a_flat_picture_turn(make_run) -> None:
    """Ten values such as 0.1111 ran together level under a heatmap or bars
    ("0.11110.22220.3333"): they turn, as crowded words do; a few short numbers stay level."""
    fine = [round(i / 9, 4) for i in range(10)]
    run = make_run("fine", {"a": fine, "b": [0, 1]}, lambda s: (2, s[1]))
    for view in ({}, {"axes": ["a"]}):
        ax = plot_landscape(load_landscape(run), **view).axes[0]
        assert {label.get_rotation() for label in ax.get_xticklabels()} == {45}
        assert {label.get_rotation() for label in ax.get_yticklabels()} == {0}
    ax = plot_landscape(load_landscape(run), axes=["b", "a"]).axes[0]
    assert {label.get_rotation() for label in ax.get_xticklabels()} == {0}


def test_a_few_short_words_under_a_flat_picture_lie_level(make_run) -> None:
    """Every word tick of a heatmap's or bars' x axis was turned 45 degrees: the text-to-image
    quickstart's style words (``""``, thin, slanted, messy, cursive) read slanted where they fit
    level, and the turned ``""`` read as a stray mark. Words that fit lie level, centred on their
    tick; words that would run together still turn."""
    grid = {"style": ["", "thin", "slanted", "messy", "cursive"], "steps": [10, 5]}
    run = make_run("words", grid, lambda s: (2, s[0] > 2))
    for view in ({}, {"axes": ["style"]}):
        ax = plot_landscape(load_landscape(run), **view).axes[0]
        labels = ax.get_xticklabels()
        assert tick_texts(labels) == ['""', "thin", "slanted", "messy", "cursive"]
        assert {label.get_rotation() for label in labels} == {0}
        assert {label.get_horizontalalignment() for label in labels} == {"center"}
    crowded = {**grid, "style": [f"a rather long style word {i}" for i in range(5)]}
    ax = plot_landscape(load_landscape(make_run("crowded", crowded, lambda s: (2, 1)))).axes[0]
    assert {label.get_rotation() for label in ax.get_xticklabels()} == {45}


def test_more_concepts_pool_all_but_the_ones_that_matter(make_run, image_concepts) -> None:
    grid = {**image_concepts, "hue": [-0.1, 0.0, 0.1]}
    run = make_run("four", grid, lambda s: (2, 2 * (s[3] == 2 and s[0] >= 3)))
    landscape = load_landscape(run)
    assert default_axes(landscape, 2) == [0, 3]
    figure = plot_landscape(landscape, axes=["hue", "rotation"])
    assert "pooled over brightness, blur" in figure._suptitle.get_text()
    with pytest.raises(ValueError, match="1 to 3 concepts"):
        plot_landscape(landscape, axes=[0, 1, 2, 3])


def test_the_default_axes_are_those_the_evaluations_show_vary_not_a_few_evaluations(
    make_run,
) -> None:
    """The text quickstart's 3D picture drew keyboard_typo, whose rate ran 0% to 29% over 6 and
    7 evaluations, and pooled drop_stopwords' 20% to 40% over hundreds: the plain range of the
    rates let a handful pick an axis. Here ``noisy``'s third value, evaluated once and failed,
    reads 100% beside ~45% (a range of 0.55); ``weak1`` and ``weak2`` change the rate by 10
    points each over 480 evaluations a value: those are drawn."""
    grid = {
        "typos": [0, 1, 2],
        "noisy": [0, 1, 2],
        "weak1": [0, 1],
        "weak2": [0, 1],
        "flat": [0, 1],
    }

    def counts(state: tuple[int, ...]) -> tuple[int, int]:
        typos, noisy, weak1, weak2, _ = state
        if noisy == 2:
            return (1, 1) if not any(state[:1] + state[2:]) else (0, 0)
        return 20, round(20 * (0.1 + 0.2 * typos + 0.1 * weak1 + 0.1 * weak2))

    landscape = load_landscape(make_run("evidence", grid, counts))
    noisy = landscape.marginal(["noisy"]).failure_rate
    assert noisy[2] == 1.0 and np.nanmax(noisy) - np.nanmin(noisy) > 0.5  # as planted
    assert default_axes(landscape) == [0, 2, 3]
    ax = plot_landscape(landscape).axes[0]
    assert [ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()] == ["typos", "weak1", "weak2"]
    assert "pooled over noisy, flat" in plot_landscape(landscape)._suptitle.get_text()


def test_a_crowded_3d_scatter_shows_only_the_highest_values(image_run, monkeypatch) -> None:
    import ffade.summarize.plots as plots

    monkeypatch.setattr(plots, "MAX_POINTS", 10)
    figure = plot_landscape(load_landscape(image_run))
    assert "\n(the 10 highest of 75 states shown)" in figure._suptitle.get_text()
    assert len(figure.axes[0].collections[0].get_offsets()) == 10
    # a missing point may have been evaluated, and passed: the colour bar does not say otherwise
    assert figure.axes[1].get_ylabel() == (
        "failure rate\n(colour; no point: not evaluated,\nor below the 10 highest)"
    )


def test_a_crowded_level_policy_is_drawn_spread_over_the_grid(
    make_run, image_concepts, monkeypatch
) -> None:
    """A uniform policy of 75 states, 10 drawn: the first 10 in grid order were drawn, a block at
    rotation 0 that read as the explorer's preference; now they spread over the whole grid."""
    import ffade.summarize.plots as plots

    monkeypatch.setattr(plots, "MAX_POINTS", 10)
    run = make_run("level", image_concepts, lambda s: (1, 0), policy=np.full((5, 5, 3), 1 / 75))
    figure = plot_landscape(load_landscape(run), kind="policy")
    drawn = figure.axes[0].collections[0]._offsets3d[0]  # the rotation index of each point
    assert len(drawn) == 10 and sorted(set(np.asarray(drawn).tolist())) == [0, 1, 2, 3, 4]
    # no point here is a state below the 10 drawn (every state has a probability)
    assert figure.axes[1].get_ylabel() == (
        "action probability\n(colour; size: above uniform,\n1/75 = 0.013, the white line;\n"
        "no point: below the 10 highest)"
    )


def test_the_highest_states_keep_those_above_the_cut_and_spread_the_tied() -> None:
    values = np.array([0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0])
    assert highest(values, 4).tolist() == [0, 2, 6, 8]  # 0.9, 0.5, then two 0s at the ends
    assert highest(values, 3).tolist() == [0, 2, 6]
    assert highest(values, 2).tolist() == [2, 6]
    assert highest(values, 9).tolist() == list(range(9))


def test_a_report_events_write_that_fails_keeps_the_previous_one_whole(tmp_path) -> None:
    """The report's TensorBoard file is replaced only by a whole new one: a report killed or
    failing mid-write leaves the last report's pictures, and no half-written events file."""
    figure = Figure()
    figure.add_subplot().plot([0, 1])
    picture = save_figure(figure, tmp_path / "a.png")
    log_images(tmp_path, {"a": picture})
    (before,) = tmp_path.glob("events.out.tfevents.*")
    logged = before.read_bytes()
    with pytest.raises(FileNotFoundError):
        log_images(tmp_path, {"a": picture, "b": tmp_path / "missing.png"})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.png", before.name])
    assert before.read_bytes() == logged
    log_images(tmp_path, {"a": picture})  # a whole one replaces it
    (after,) = tmp_path.glob("events.out.tfevents.*")
    assert after != before and sorted(p.name for p in tmp_path.iterdir()) == ["a.png", after.name]


def test_a_3d_failure_picture_says_a_missing_point_was_not_evaluated(make_run) -> None:
    """A blank grid point in the 3D scatter is a state never evaluated, not a 0% one: the
    colourbar's label says so, as the heatmap's does (grey)."""
    grid = {"a": [0, 1], "b": [0, 1], "c": [0, 1]}
    run = make_run("gaps", grid, lambda s: (0, 0) if s == (1, 1, 1) else (4, s[0]))
    figure = plot_landscape(load_landscape(run))
    assert len(figure.axes[0].collections[0].get_offsets()) == 7
    assert figure.axes[1].get_ylabel() == "failure rate\n(colour; no point: not evaluated)"


def test_a_bar_of_a_value_never_evaluated_says_so(make_run) -> None:
    """One concept's bars: a value with no evaluation has no bar, and says 'not evaluated' where
    the bar would be, so it does not read as a 0% failure rate."""
    run = make_run("gap", {"blur": [0, 0.5, 1]}, lambda s: (0, 0) if s == (1,) else (4, s[0]))
    ax = plot_landscape(load_landscape(run)).axes[0]
    labels = [(text.get_position()[0], text.get_text()) for text in ax.texts]
    assert labels == [(1, "not evaluated")]


def test_a_3d_picture_s_title_sits_on_its_box_and_lower_for_one_line(image_run) -> None:
    """The 3D box fills the middle of its axes: a title at the figure's top left a fifth of the
    picture empty under it. Flat pictures keep it at the top."""
    three = plot_landscape(load_landscape(image_run))
    assert three._suptitle.get_position()[1] == pytest.approx(0.825)
    compared = plot_landscape(load_landscape(image_run), run="compared run: x")
    assert compared._suptitle.get_position()[1] == pytest.approx(0.86)
    flat = plot_landscape(load_landscape(image_run), axes=["rotation", "blur"])
    assert flat._suptitle.get_position()[1] == pytest.approx(0.98)


def test_3d_word_ticks_stay_clear_of_the_axis_label(make_run) -> None:
    """Words turned 45 degrees on a 3D axis ran into its label: a few are written upright
    (long ones on two lines), more stay turned and the label moves out past the longest."""
    few = {"edit": ["none", "negate", "swap adjectives"], "strength": [1, 2], "typos": [0, 1]}
    ax = plot_landscape(load_landscape(make_run("few", few, lambda s: (4, s[0])))).axes[0]
    labels = ax.get_xticklabels()
    assert [label.get_text() for label in labels] == ["none", "negate", "swap\nadjectives"]
    assert {label.get_rotation() for label in labels} == {0}
    assert ax.xaxis.labelpad == 14
    many = {**few, "edit": [f"edit number {i}" for i in range(8)]}
    ax = plot_landscape(load_landscape(make_run("many", many, lambda s: (4, 1)))).axes[0]
    assert {label.get_rotation() for label in ax.get_xticklabels()} == {45}
    assert ax.xaxis.labelpad == pytest.approx(8 + 2.5 * len("edit number 0"))
    assert ax.yaxis.labelpad < 14  # numbers keep matplotlib's


def test_a_heatmap_s_y_labels_end_left_of_its_cells(make_run) -> None:
    """Centred on their ticks, y labels such as "0.889" or "shuffle words" ran into the
    heatmap's first column of cells; they end at the axis, as matplotlib writes them."""
    grid = {"x": [0, 1, 2], "y": [0.0, 0.111, 0.889, 1.0]}
    for values in (grid, {"x": [0, 1, 2], "y": TEXT_GRID["edit"]}):
        run = make_run(f"heat{len(values['y'])}", values, lambda s: (4, s[0]))
        figure = plot_landscape(load_landscape(run), axes=["x", "y"])
        renderer = FigureCanvasAgg(figure).get_renderer()
        ax = figure.axes[0]
        left = ax.get_window_extent(renderer).x0
        ends = [label.get_window_extent(renderer).x1 for label in ax.get_yticklabels()]
        assert max(ends) <= left, (ends, left)


def test_labels_with_dollars_are_drawn_as_typed_not_as_math(make_run, tmp_path) -> None:
    """Two '$' in a picture's text made matplotlib parse it as math: a report of concepts
    labelled 'price $5' and 'tax $1' stopped with a ParseException."""
    grid = {"price $5": [0, 1], "tax $1": ["a$", "b"], "c": [0, 1]}
    for axes in (None, ["price $5", "tax $1"], ["price $5"]):
        figure = plot_landscape(load_landscape(make_run("d", grid, lambda s: (2, s[0]))), axes=axes)
        save_figure(figure, tmp_path / "d.png")  # draws every text
        text = figure._suptitle.get_text()
        assert "price \\$5" in text and not figure._suptitle._preprocess_math(text)[1]
        assert figure.axes[0].get_xlabel() == "price \\$5"


def test_long_labels_wrap_instead_of_running_into_each_other(make_run) -> None:
    """An 80-character label ran across the next axis's label and the colour bar."""
    long = "a very long concept label that goes on and on " * 2
    grid = {long.strip(): [0, 1], "b": [0, 1], "c": [0, 1]}
    figure = plot_landscape(load_landscape(make_run("long", grid, lambda s: (2, s[0]))))
    label = figure.axes[0].get_xlabel()
    assert 1 <= label.count("\n") <= 1 and max(len(line) for line in label.split("\n")) <= 28
    assert label.split("\n")[1].startswith("...") and label.endswith("goes on and on")
    assert figure.axes[0].xaxis.labelpad > 4  # moved out off the ticks
    assert all(len(line) <= 90 for line in figure._suptitle.get_text().split("\n"))
    flat = plot_landscape(
        load_landscape(make_run("flat", grid, lambda s: (2, s[0]))), axes=["b", 0]
    )
    assert max(len(line) for line in flat.axes[0].get_ylabel().split("\n")) <= 40
    assert {t.get_ha() for t in flat.axes[0].get_yticklabels()} == {"right"}


def test_characters_no_font_has_are_one_note_not_a_warning_each(make_run, tmp_path, capsys) -> None:
    import warnings

    import ffade.figure_text as figure_text

    figure_text._noted.discard("\u4e2d")
    grid = {"blur \u4e2d": [0, 1], "b": [0, 1]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph warning would raise here
        for _ in range(2):
            save_figure(
                plot_landscape(load_landscape(make_run("cjk", grid, lambda s: (2, 1)))),
                tmp_path / "c.png",
            )
    from matplotlib import font_manager

    if any("CJK" in font.name for font in font_manager.fontManager.ttflist):
        pytest.skip("a font with CJK characters is installed: nothing to note")
    assert capsys.readouterr().err.count("no installed font draws \u4e2d;") == 1


def test_a_ctrl_c_while_the_report_events_file_is_swapped_leaves_one(tmp_path, monkeypatch) -> None:
    """The new report's events file was renamed in, then the last report's deleted: a Ctrl-C
    between the two left both (the same pictures twice in TensorBoard) until the next report.
    Here a real SIGINT comes right after the rename: the swap ends, then the Ctrl-C acts."""
    import ffade.summarize.report_events as events

    figure = Figure()
    figure.add_subplot().plot([0, 1])
    picture = save_figure(figure, tmp_path / "a.png")
    log_images(tmp_path, {"a": picture})
    (before,) = tmp_path.glob("events.out.tfevents.*")
    renamed: list[str] = []
    replace = os.replace

    def rename_then_ctrl_c(source: Any, target: Any) -> None:
        replace(source, target)
        if Path(target).parent == tmp_path:  # the swap's rename, not the staging file's
            renamed.append(Path(target).name)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(events.os, "replace", rename_then_ctrl_c)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            log_images(tmp_path, {"a": picture})
    finally:
        signal.signal(signal.SIGINT, previous)
    assert renamed and renamed[0] != before.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.png", renamed[0]])


def _overlap(first: Any, second: Any) -> bool:
    """Whether two display boxes share more than a pixel's edge."""
    return (
        first.x0 < second.x1 - 1
        and second.x0 < first.x1 - 1
        and first.y0 < second.y1 - 1
        and (second.y0 < first.y1 - 1)
    )


@pytest.mark.parametrize(
    "upright",
    [
        ["none", "swap adjectives", "negate"],
        [f"shuffle words number {i}" for i in range(8)],
        [f"word number {i} of many" for i in range(30)],
        "a_rather_long_concept_label_that_names_the_thing_exactly",
    ],
    ids=["few words", "many words", "every third of 30 words", "long label"],
)
def test_the_upright_3d_axis_s_ticks_and_label_stay_clear_of_the_colour_bar(
    make_run, upright
) -> None:
    """The upright (z) axis's label ran under the colour bar when it wrapped or moved out past
    word ticks, and its words, turned 45 degrees, lay across each other: the words now lie
    flat, and the picture widens so that the colour bar stands right of them and the label."""
    label = upright if isinstance(upright, str) else "edit"
    values = upright if isinstance(upright, list) else [0, 1]
    grid = {"a": [0, 1], "b": [0, 1], label: values}
    figure = plot_landscape(load_landscape(make_run("z", grid, lambda s: (2, s[0]))))
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    ax, bar = figure.axes
    colour_bar = bar.get_tightbbox(renderer)
    # the labels as drawn (``get_zticklabels`` would move them back to where 2D axes put them)
    drawn = [tick.label1 for tick in ax.zaxis.majorTicks if tick.label1.get_text()]
    texts = [ax.zaxis.label, *drawn]
    boxes = [text.get_window_extent(renderer) for text in texts]
    assert not any(_overlap(box, colour_bar) for box in boxes), [t.get_text() for t in texts]
    ticks = boxes[1:]
    assert not any(_overlap(one, other) for one, other in itertools.combinations(ticks, 2))
    assert not any(_overlap(boxes[0], tick) for tick in ticks)
    assert {text.get_rotation() for text in texts[1:]} == {0}


def test_long_labels_alike_but_at_their_end_stay_apart_on_3d_axes(make_run) -> None:
    """Cut after two lines with ``...``, labels sharing their first 40 characters drew two
    axes under one name; the cut keeps each label's end, as word ticks cut short do."""
    stem = "a_rather_long_concept_label_that_names_the_thing_it_changes"
    grid = {
        f"{stem}_x": [0, 1],
        f"{stem}_y": [0, 1],
        "edit": [f"shuffle words number {i}" for i in range(8)],
    }
    ax = plot_landscape(load_landscape(make_run("alike", grid, lambda s: (2, 1)))).axes[0]
    assert ax.get_xlabel() != ax.get_ylabel()
    assert ax.get_xlabel().endswith("_x") and ax.get_ylabel().endswith("_y")
    ticks = tick_texts(ax.get_zticklabels())
    assert len(set(ticks)) == len(ticks) == 8 and ticks[7].endswith("7")


def test_a_heatmap_cell_of_probability_short_of_one_never_reads_1(make_run) -> None:
    """An action probability of 0.996 read "1" (two significant digits) in the action
    probabilities' heatmap, as if the explorer always chose that state; it reads 0.99, as a
    failure rate short of all reads 99%, and small ones keep their digits."""
    policy = np.array([0.996, 0.0025, 0.001, 0.0005])
    run = make_run("run", {"a": [0, 1], "b": [0, 1]}, {(0, 0): (2, 1)}, policy=policy)
    ax = landscape_figures(load_landscape(run))["action_probabilities"].axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["0.0005", "0.001", "0.0025", "0.99"]


@pytest.mark.parametrize("kind", ["failure", "policy"])
@pytest.mark.parametrize("drawn", [["a"], ["a", "b"]])
@pytest.mark.parametrize("explorer", ["grid", "dqn"])  # a DQN's failure title has a line more
def test_a_flat_picture_s_long_title_stays_above_its_axes(make_run, kind, drawn, explorer) -> None:
    """Long labels wrapped the title of a heatmap or bars to four lines, and its last line ran
    into the picture (action probabilities by two labels of 40 characters, pooled over two
    more): the axes move down by the lines the title takes."""
    long = {
        "a": "contrast factor applied to the digit image",
        "b": "gaussian blur sigma in pixels of the image",
        "c": "rotation of the handwritten digit in degrees clockwise",
        "d": "brightness factor applied to every pixel",
    }
    grid = {long[k]: [0, 1] for k in "abcd"}
    run = make_run("run", grid, lambda s: (2, s[0]), policy=np.full(16, 1 / 16), explorer=explorer)
    figure = plot_landscape(load_landscape(run), kind, [long[k] for k in drawn])
    renderer = FigureCanvasAgg(figure).get_renderer()
    title = figure._suptitle.get_window_extent(renderer)
    assert figure._suptitle.get_text().count("\n") >= 2
    for ax in figure.axes:
        assert title.y0 > ax.get_tightbbox(renderer).y1 - 1, ax
    assert title.y1 <= figure.bbox.y1 and title.x0 >= 0 and title.x1 <= figure.bbox.x1


def _colour_limits(figure: Figure) -> tuple[float, float]:
    """The colour scale of a heatmap picture (its image's)."""
    return tuple(figure.axes[0].images[0].get_clim())


def test_compared_policies_share_one_colour_scale(make_run, tmp_path, monkeypatch) -> None:
    """`ffade report --compare` drew each run's action probabilities on a scale to its own
    highest (quickstart seeds 0 and 1: 0 to 0.0095 beside 0 to 0.0103), so one colour meant two
    probabilities in pictures meant to be read side by side. Both now run to the higher top, as
    both failure-rate pictures run 0 to 1; a report of one run keeps its own scale."""
    import ffade.summarize.report as report_module

    grid = {"a": [0, 1], "b": [0, 1]}
    counts = {(0, 0): (4, 0), (1, 0): (4, 2), (0, 1): (4, 4), (1, 1): (4, 1)}
    this = make_run("this", grid, counts, policy=np.array([0.1, 0.2, 0.3, 0.4]))
    other = make_run("other", grid, counts, policy=np.array([0.05, 0.05, 0.1, 0.8]))
    limits: dict[str, tuple[float, float]] = {}
    save = report_module.save_figure

    def recording(figure: Figure, path: str | Path, dpi: int = 100) -> Path:
        limits[Path(path).stem] = _colour_limits(figure)
        return save(figure, path, dpi)

    monkeypatch.setattr(report_module, "save_figure", recording)
    report_module.build_report(this, other, out=tmp_path / "compared", tensorboard=False)
    assert limits["action_probabilities"] == pytest.approx((0.0, 0.8))
    assert limits["compare_action_probabilities"] == pytest.approx((0.0, 0.8))
    assert limits["failure_rate"] == limits["compare_failure_rate"] == (0.0, 1.0)
    report_module.build_report(this, out=tmp_path / "alone", tensorboard=False)
    assert limits["action_probabilities"] == pytest.approx((0.0, 0.4))


def test_one_concept_policy_bars_share_the_given_top(make_run) -> None:
    """Bars of a policy run to the shared top too (their axis is their scale)."""
    run = make_run(
        "bars", {"blur": [0, 0.5, 1]}, lambda s: (4, s[0]), policy=np.array([0.2, 0.3, 0.5])
    )
    landscape = load_landscape(run)
    assert policy_top([landscape], ["blur"]) == pytest.approx(0.5)
    ax = plot_landscape(landscape, "policy", top=0.9).axes[0]
    assert ax.get_ylim()[1] == pytest.approx(0.9 * 1.05)


def test_a_heatmap_names_every_row_it_has_room_for(make_run) -> None:
    """A heatmap of 14 rows labelled every other one (0.001, 0.005, ...), leaving rows such as
    0.0025 unnamed beside their printed rates; level labels fit one per row up to 20 rows, and
    none of them overlap."""
    strength = [round(0.0025 * i, 4) for i in range(1, 15)]
    grid = {"edit": ["none", "negate", "typo"], "strength": strength}
    figure = plot_landscape(load_landscape(make_run("rows", grid, lambda s: (4, s[1] % 5))))
    ax = figure.axes[0]
    assert tick_texts(ax.get_yticklabels()) == [str(v) for v in strength]
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    boxes = [label.get_window_extent(renderer) for label in ax.get_yticklabels()]
    assert not any(_overlap(one, other) for one, other in itertools.combinations(boxes, 2))
    many = {"edit": ["none", "typo"], "strength": list(range(30))}
    ax = plot_landscape(load_landscape(make_run("more", many, lambda s: (4, 1)))).axes[0]
    assert tick_texts(ax.get_yticklabels()) == [str(v) for v in range(0, 30, 2)]


def test_3d_floor_axes_numbers_do_not_run_together(make_run) -> None:
    """Twelve values of seven characters (0.00125 ... 0.015) on a 3D floor axis drew as one run
    of digits ("0.001250.0025..."): such an axis now names every n-th value, so that no two
    drawn labels overlap; short numbers (the quickstart's rotation) keep every tick."""
    noise = [round(0.00125 * i, 5) for i in range(1, 13)]
    grid = {"noise_std": noise, "rotation": list(range(-20, 25, 5)), "scale": [0.5, 1.0]}
    figure = plot_landscape(load_landscape(make_run("floor", grid, lambda s: (2, s[0] % 3))))
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    ax = figure.axes[0]
    for axis in (ax.xaxis, ax.yaxis):
        drawn = [tick.label1 for tick in axis.majorTicks if tick.label1.get_text()]
        boxes = [text.get_window_extent(renderer) for text in drawn]
        pairs = itertools.combinations(zip(drawn, boxes, strict=True), 2)
        overlapping = [(a.get_text(), b.get_text()) for (a, x), (b, y) in pairs if _overlap(x, y)]
        assert not overlapping
    assert tick_texts(ax.get_xticklabels()) == [str(v) for v in noise[::2]]
    assert tick_texts(ax.get_yticklabels()) == [str(v) for v in range(-20, 25, 5)]
