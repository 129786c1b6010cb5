"""The worst failing examples: each changed picture saved beside its original."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.transforms import Bbox
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ffade.env import Evaluator
from ffade.explore.example_captions import caption
from ffade.explore.examples import (
    MIN_PAIR_HEIGHT,
    PAIR_WIDTH,
    PANEL_PIXELS,
    _grid_figure,
    _pair_figure,
    _panel,
    _text_table,
    save_worst_examples,
    worst_failures,
)
from ffade.figure_text import fonts
from ffade.task import build_task
from tests.helpers import synthetic_spec

SIDE = 4
"""Pixels per side of the pictures the synthetic target is given here."""


def _render(inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Pictures of synthetic inputs: each colour channel shows one concept axis's coordinate."""
    colours = torch.sigmoid(inputs["coords"][:, :3])
    return colours[:, :, None, None].expand(-1, -1, SIDE, SIDE)


def test_each_example_png_shows_the_original_left_and_the_changed_input_right(
    tmp_path: Path,
) -> None:
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    evaluator.task.target.render = _render
    ids, states = np.array([0, 1]), np.array([[9, 9, 0], [9, 9, 0]])
    assert evaluator.evaluate(ids, states).failed.any()
    assert save_worst_examples(evaluator, tmp_path) >= 1
    entries = json.loads((tmp_path / "examples" / "examples.json").read_text())
    scale = MIN_PAIR_HEIGHT // SIDE
    for entry in entries:
        png = imread(tmp_path / "examples" / entry["file"])[:, :, :3]
        width = (2 * SIDE + 1) * scale  # original, a one-pixel gap, changed; under its caption
        left = (png.shape[1] - width) // 2
        png = png[-MIN_PAIR_HEIGHT:, left : left + width][::scale, ::scale]
        one = np.array([entry["input_id"]])
        state = np.array([evaluator.space.index_of(entry["concepts"])])
        original = _render(evaluator.changes.unchanged(one)[0])[0].permute(1, 2, 0).numpy()
        changed = _render(evaluator.changes.inputs(one, state))[0].permute(1, 2, 0).numpy()
        assert not np.allclose(original, changed, atol=0.05)
        assert np.allclose(png[:, :SIDE], original, atol=1 / 255)
        assert np.allclose(png[:, SIDE + 1 :], changed, atol=1 / 255)
    assert (tmp_path / "examples" / "worst_failures.png").stat().st_size > 5_000


def test_each_example_png_is_captioned_as_the_grid_is(tmp_path: Path) -> None:
    """A failure_NN.png was two bare pictures: which input, what changed and what the model said
    were only in examples.json. Now the grid's caption is drawn above the pair, and kept as the
    PNG's Description, the reward that ranks it included (the Description lacked it: a digits
    quickstart's failure_13.png drew "predicted 4 (p=0.76), reward 11.8" over its pair while its
    Description read "predicted 4 (p=0.76); changed: ...")."""
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    evaluator.task.target.render = _render
    evaluator.evaluate(np.array([0, 1]), np.array([[9, 9, 0], [9, 9, 0]]))
    assert save_worst_examples(evaluator, tmp_path) >= 1
    entries = json.loads((tmp_path / "examples" / "examples.json").read_text())
    for entry in entries:
        said = f"{entry['reference_word']} {entry['reference']}"  # synthetic's margins: reference
        label = f"input {entry['input_id']} ({said}): {entry['output']}"
        changes = ", ".join(f"{k}={v:g}" for k, v in entry["changed"].items())
        assert changes
        with Image.open(tmp_path / "examples" / entry["file"]) as png:
            ranked = f"{label.strip()} reward {entry['reward']:.3g}"  # synthetic says no output
            assert png.text["Description"] == f"{ranked}; changed: {changes}"
            assert png.height > MIN_PAIR_HEIGHT + 30  # room for the caption's three lines
            header = np.asarray(png.convert("L"))[: png.height - MIN_PAIR_HEIGHT]
        assert (header < 128).sum() > 200  # the caption is drawn, not only stored
    picture = np.random.default_rng(0).random((SIDE, SIDE, 3))
    texts = [t.get_text() for t in _pair_figure(picture, picture, entries[-1]).texts]
    ranked = f"{label.strip()} reward {entries[-1]['reward']:.3g}"  # synthetic says no output
    assert texts == [ranked, "original", changes]  # the last entry's


def test_the_worst_failures_are_logged_at_the_step_given(tmp_path: Path) -> None:
    """At step 0 TensorBoard showed the grid with the run's first scalars; the explorer gives
    its last step, where the scalars end."""
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    evaluator.task.target.render = _render
    evaluator.evaluate(np.array([0, 1]), np.array([[9, 9, 0], [9, 9, 0]]))
    logger = TensorBoardLogger(tmp_path, name="tb")
    assert save_worst_examples(evaluator, tmp_path, logger=logger, step=37) >= 1
    logger.experiment.flush()
    events = EventAccumulator(logger.log_dir, size_guidance={"images": 0})
    events.Reload()
    assert [e.step for e in events.Images("discovery/worst_failures")] == [37]
    # the saved PNG itself, not the pixels decoded and encoded again
    png = (tmp_path / "examples" / "worst_failures.png").read_bytes()
    assert events.Images("discovery/worst_failures")[0].encoded_image_string == png


def test_a_logger_without_pictures_gets_none_and_the_files_are_still_written(
    tmp_path: Path,
) -> None:
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    evaluator.task.target.render = _render
    evaluator.evaluate(np.array([0, 1]), np.array([[9, 9, 0], [9, 9, 0]]))
    logger = CSVLogger(tmp_path)  # its writer takes metrics only: no add_image, no add_text
    assert save_worst_examples(evaluator, tmp_path, logger=logger) >= 1
    assert (tmp_path / "examples" / "worst_failures.png").is_file()


def test_references_are_named_as_the_target_names_them(tmp_path: Path) -> None:
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    target = evaluator.task.target
    target.render = _render
    target.describe_references = lambda refs: [f"class {r!r}" for r in refs]
    evaluator.evaluate(np.array([0, 1]), np.array([[9, 9, 0], [9, 9, 0]]))
    assert save_worst_examples(evaluator, tmp_path) >= 1
    entries = json.loads((tmp_path / "examples" / "examples.json").read_text())
    references = [evaluator.task.inputs[e["input_id"]][1] for e in entries]
    assert [e["reference"] for e in entries] == [f"class {r!r}" for r in references]


def test_examples_json_keeps_each_examples_metric_and_reward_as_evaluated(tmp_path: Path) -> None:
    """README: examples.json gives each example's ``metric`` and ``reward``, the numbers of its
    line in evaluations.jsonl; rounded to 4 and 3 decimals, a digit's p = 0.00062 read 0.0006,
    and a metric under 0.00005 read 0."""
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    evaluator.task.target.render = _render
    ids, states = np.array([0, 1, 2]), np.array([[9, 9, 0], [9, 8, 0], [8, 9, 1]])
    scored = evaluator.evaluate(ids, states)
    assert save_worst_examples(evaluator, tmp_path) >= 1
    evaluated = {
        (int(i), tuple(s)): (float(m), float(r))
        for i, s, m, r in zip(ids, states.tolist(), scored.metric, scored.reward, strict=True)
    }
    entries = json.loads((tmp_path / "examples" / "examples.json").read_text())
    for entry in entries:
        state = tuple(int(i) for i in evaluator.space.index_of(entry["concepts"]))
        assert (entry["metric"], entry["reward"]) == evaluated[entry["input_id"], state]


def test_grid_panels_fill_their_size_small_pictures_by_whole_pixels_large_ones_smoothly() -> None:
    digit = np.random.default_rng(0).random((28, 28, 3))
    enlarged = _panel(digit)
    assert enlarged.shape == (168, 168, 3)  # 6 times, each pixel a 6 x 6 block
    assert np.array_equal(enlarged[::6, ::6], digit)
    photo = np.zeros((224, 300, 3))
    photo[:, ::2] = 1.0  # one-pixel stripes: subsampling by 2 would keep only the white ones
    smaller = _panel(photo)
    assert smaller.shape == (134, PANEL_PIXELS, 3)
    assert np.allclose(smaller.mean(), 0.5, atol=0.05)


def test_failures_that_change_the_meaning_come_after_all_others() -> None:
    """A negated sentence fails by design (reports set such failures apart), yet the text
    quickstart's worst examples were nearly all negations."""
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=256)
    space = evaluator.space
    space.concepts[2].keeps_meaning = False  # as the text plugin's negate declares
    states = np.stack([space.unflat(flat) for flat in range(space.num_states)])
    for input_id in range(4):
        evaluator.evaluate(np.full(len(states), input_id), states)
    worst = worst_failures(evaluator, count=10**6)
    apart = [bool(state[2] != space.neutral[2]) for _, state, _, _ in worst]
    assert 0 < sum(apart) < len(apart)
    assert apart == sorted(apart)  # every meaning-keeping failure first
    kept_rewards = [reward for (*_, reward), a in zip(worst, apart, strict=True) if not a]
    assert max(kept_rewards) == worst[0][3]


def test_the_grid_is_as_tall_as_its_captions_and_panels_need() -> None:
    """Rows of 28 px digits under one-line captions: a fixed 290 px row left a fifth of the
    quickstart's grid blank. Every pair still gets its caption and two panel titles."""
    entries = [
        {"input_id": i, "reference": 2, "output": "predicted 3", "changed": {"blur": 1.5}}
        for i in range(8)
    ]
    digits = np.random.default_rng(0).random((8, 28, 28, 3))
    figure = _grid_figure(digits, digits, entries)
    panel = _panel(digits[0]).shape[0]  # 168
    row = figure.get_size_inches()[1] * figure.dpi - 40  # two rows under a 40 px heading
    assert 2 * panel < row < 2 * (panel + 80)  # one-line captions: less than 80 px of text
    assert len(figure.images) == 16
    texts = [text.get_text() for text in figure.texts]
    assert texts.count("original") == 8 and texts.count("blur=1.5") == 8
    assert "input 7 (label 2): predicted 3" in texts
    assert not _layout_faults(figure)


@pytest.mark.parametrize("count", [1, 4])
def test_the_grid_heading_says_the_order_is_the_rewards(count: int) -> None:
    """The digits quickstart's grid showed "predicted 8 (p=0.25)" among misses at p >= 0.75:
    "worst" is the highest reward, and the misclassification reward (the paper's
    10*|ln(p/(1-p))|) pays a p=0.25 miss as a p=0.75 one. The heading says so, whole, and a
    grid of one failure still fits it."""
    entries = [
        {"input_id": i, "reference": 2, "output": "predicted 8 (p=0.25)", "changed": {"blur": 2}}
        for i in range(count)
    ]
    digits = np.random.default_rng(0).random((count, 28, 28, 3))
    figure = _grid_figure(digits, digits, entries)
    heading = figure._suptitle.get_text()
    assert heading.replace("\n", " ") == (
        "Worst failing examples, highest reward first: original, and changed as the target "
        "failed on it"
    )
    assert not _layout_faults(figure, PAIR_WIDTH)


def test_the_grid_names_the_reward_and_gives_each_failures_reward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digits quickstart's grid listed "predicted 8 (p=0.25)" between misses at p=0.76 and
    p=0.75 under "highest reward first": right (misclassification's reward is |log-odds|, 11.8,
    11.1 and 10.8 there) but the picture did not show it. The heading names the reward plugin and
    each caption its reward, so the order is seen; as a run saves it, the reward's own name."""
    outputs = [("predicted 4 (p=0.76)", 11.79), ("predicted 8 (p=0.25)", 11.09)]
    outputs.append(("predicted 8 (p=0.75)", 10.85))
    entries = [
        {"input_id": i, "reference": 5, "output": out, "reward": reward, "changed": {"blur": 2}}
        for i, (out, reward) in enumerate(outputs)
    ]
    digits = np.random.default_rng(0).random((3, 28, 28, 3))
    figure = _grid_figure(digits, digits, entries, reward="misclassification")
    assert figure._suptitle.get_text().replace("\n", " ") == (
        "Worst failing examples, highest misclassification reward first: original, and changed "
        "as the target failed on it"
    )
    texts = [text.get_text() for text in figure.texts]
    assert "input 1 (label 5): predicted 8 (p=0.25), reward 11.1" in texts
    assert "input 2 (label 5): predicted 8 (p=0.75), reward 10.8" in texts
    assert not _layout_faults(figure, PAIR_WIDTH)
    drawn: list[Figure] = []  # a run's grid, as save_worst_examples draws it

    def keep(*args: object, **kwargs: object) -> Figure:
        drawn.append(_grid_figure(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr("ffade.explore.examples._grid_figure", keep)
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    evaluator.task.target.render = _render
    evaluator.evaluate(np.array([0, 1]), np.array([[9, 9, 0], [9, 9, 0]]))
    assert save_worst_examples(evaluator, tmp_path) >= 1
    assert "highest margin reward first" in drawn[0]._suptitle.get_text().replace("\n", " ")


def _layout_faults(figure: Figure, cell_width: float | None = None) -> list[str]:
    """Texts of a figure that touch a picture or another text, or run past the figure's edge, as
    matplotlib's renderer places them (their extents in pixels); with ``cell_width``, also a
    caption that runs out of its grid cell (the one its anchor is in) towards the next."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    texts = [(t.get_text(), t.get_window_extent(renderer)) for t in figure.texts]
    pictures = [
        Bbox.from_bounds(i.ox, i.oy, i.get_array().shape[1], i.get_array().shape[0])
        for i in figure.images
    ]
    faults = []
    for k, (text, box) in enumerate(texts):
        if box.x0 < 0 or box.y0 < 0 or box.x1 > figure.bbox.x1 or box.y1 > figure.bbox.y1:
            faults.append(f"{text!r} runs past the figure's edge")
        faults += [f"{text!r} touches a picture" for p in pictures if box.padded(1).overlaps(p)]
        faults += [f"{text!r} touches {t!r}" for t, b in texts[k + 1 :] if box.overlaps(b)]
    for t, (text, box) in zip(figure.texts, texts, strict=True):
        if cell_width is None or t is figure._suptitle:  # the heading spans the grid
            continue
        left = (t.get_position()[0] * figure.bbox.width) // cell_width * cell_width
        if box.x0 < left or box.x1 > left + cell_width:
            faults.append(f"{text!r} runs out of its cell")
    return faults


@pytest.mark.parametrize("count", [1, 6])
def test_three_line_changes_and_two_line_captions_touch_nothing(count: int) -> None:
    """A text-to-image failure's three lines of changed values ('medium=on paper,
    inference_steps=2, guidance_scale=1') touched the picture under them, and a two-line prompt
    caption the titles: a line was given 10 and 12 px, and takes 12 and 14. A grid of one
    failure cut its heading at both ends."""
    entries = [
        {
            "input_id": i,
            "reference": 7,
            "output": 'drew 1 (digits_cnn: p=1.00) for "a slanted handwritten seven in red ink"',
            "changed": {
                "style": "slanted",
                "medium": "on paper",
                "inference_steps": 2,
                "guidance_scale": 1,
            },
        }
        for i in range(count)
    ]
    pictures = np.random.default_rng(0).random((count, 16, 16, 3))
    figures = [_grid_figure(pictures, pictures, entries)]
    figures.append(_pair_figure(pictures[0], pictures[0], entries[0]))
    for figure in figures:
        lines = {t.get_text().count("\n") + 1 for t in figure.texts if "input" in t.get_text()}
        assert lines == {2} and any(t.get_text().count("\n") == 2 for t in figure.texts)
        assert not _layout_faults(figure, PAIR_WIDTH)


def test_the_pictures_of_a_grid_row_stand_in_line() -> None:
    """Each pair's pictures sat right under its own caption: the text-to-image quickstart's grid
    had pictures at different heights in one row (changed values of two lines beside three, a
    caption of one line beside two). A row's pictures now share one top, under its tallest
    texts, and nothing touches."""
    changed = [
        {"guidance_scale": 1},
        {"style": "thin", "medium": "in red ink", "inference_steps": 2, "guidance_scale": 1},
        {"style": "slanted", "inference_steps": 5, "guidance_scale": 1},
        {"medium": "on paper", "guidance_scale": 1.5},
        {"inference_steps": 3},
    ]
    outputs = ["drew 2", 'drew 1 for "a thin handwritten three in red ink"']
    entries = [
        {"input_id": i, "reference": 3, "output": outputs[i % 2], "changed": change}
        for i, change in enumerate(changed)
    ]
    pictures = np.random.default_rng(0).random((5, 16, 16, 3))
    figure = _grid_figure(pictures, pictures, entries)
    tops = [image.oy + image.get_array().shape[0] for image in figure.images]
    originals, changed_tops = tops[0::2], tops[1::2]  # drawn pair by pair
    assert originals == changed_tops  # (each pair in line, as before)
    assert len(set(originals[:4])) == 1  # the first row: one top
    assert originals[4] < originals[0]  # the second row below it
    assert not _layout_faults(figure, PAIR_WIDTH)


@pytest.mark.parametrize("count", [1, 3])
def test_wide_captions_wrap_by_their_width_and_stay_in_their_cell(count: int) -> None:
    """Captions wrapped at 66 and 34 characters ran past a 440 px cell into the next one, or out
    of the picture: a file path (one long word), CJK characters (drawn wider, or as boxes where
    no font has them) and a 40-character concept label. They wrap by the width they are drawn
    at, a word wider than a line broken where it stops fitting, and keep every character that
    fits in their lines."""
    path = "/data/photos/aquarium/tank_03/IMG_20240101_123456_goldfish_closeup.jpg"
    label = "W" * 40
    entries = [
        {"input_id": 0, "reference": "goldfish", "output": f"said {path}", "changed": {label: 1}},
        {"input_id": 1, "reference": "猫", "output": "predicted " + "犬" * 40, "changed": {}},
        {"input_id": 2, "reference": 3, "output": "predicted 5", "changed": {"blur": 1.5}},
    ][:count]
    pictures = np.random.default_rng(0).random((count, 28, 28, 3))
    with fonts():
        figures = [_grid_figure(pictures, pictures, entries)]
        figures.append(_pair_figure(pictures[0], pictures[0], entries[0]))
    for figure in figures:
        assert not _layout_faults(figure, PAIR_WIDTH)
        texts = [t.get_text().replace("\n", "") for t in figure.texts]
        assert any(path in t for t in texts)  # broken where it stops fitting, not cut
        assert f"{label}=1" in texts
    grid = [t.get_text() for t in figures[0].texts]
    assert count < 3 or "input 2 (label 3): predicted 5" in grid  # an ordinary caption as it was


LONG_LABELS = [
    "rotation of the handwritten digit in degrees clockwise",
    "brightness factor applied to every pixel of the image",
    "contrast factor applied to the digit image as a whole",
    "gaussian blur sigma in pixels of the digit image",
]


def test_long_concept_labels_are_cut_in_their_middle_so_every_value_shows() -> None:
    """With long concept labels, the three lines of changed values held the first label and
    part of the second, then '...': every caption of the grid read 'rotation of the handwritten
    digit in degrees clockwise=20, brightness factor applied to ...', the values that differ
    (contrast, blur) cut off. The labels are cut in their middle instead (both ends kept), each
    label=value whole on one line, and every value shows, in three lines at most."""
    values = [(20, 0.6, 1.2, 2.5), (20, 0.6, 0.8, 1.5), (20, 0.6, 1.2, 0.5), (-20, 0.6, 1.2, 2)]
    entries = [
        {
            "input_id": i,
            "reference": 7,
            "output": "predicted 1 (p=0.93)",
            "changed": dict(zip(LONG_LABELS, v, strict=True)),
        }
        for i, v in enumerate(values)
    ]
    pictures = np.random.default_rng(0).random((4, 28, 28, 3))
    with fonts():
        grid = _grid_figure(pictures, pictures, entries)
        pairs = [_pair_figure(pictures[i], pictures[i], entries[i]) for i in range(4)]
    grid_texts = [t.get_text() for t in grid.texts]
    titles = [grid_texts[grid_texts.index("original", 2 + 3 * i) + 1] for i in range(4)]
    titles += [[t.get_text() for t in pair.texts][-1] for pair in pairs]
    for title, shown in zip(titles, values * 2, strict=True):
        assert title.count("\n") < 3 and not title.endswith("...")
        parts = title.replace("\n", " ").split(", ")  # each label=value whole on its line
        assert [part.rsplit("=", 1)[1] for part in parts] == [f"{v:g}" for v in shown]
        for part, label in zip(parts, LONG_LABELS, strict=True):
            start, end = part.rsplit("=", 1)[0].split("...")
            assert label.startswith(start) and label.endswith(end) and len(start) >= 4
    assert len(set(titles[:4])) == 4  # the values that differ tell the captions apart
    cut = {tuple(p.rsplit("=", 1)[0] for p in t.replace("\n", " ").split(", ")) for t in titles[:4]}
    assert len(cut) == 1  # each label cut alike in every cell of the grid
    for figure in (grid, *pairs):
        assert not _layout_faults(figure, PAIR_WIDTH)


def test_changes_that_fit_keep_their_labels_whole() -> None:
    """Labels are cut only where the values would not fit: two long labels fit in three lines."""
    entry = {"input_id": 0, "reference": 7, "output": "predicted 1", "changed": {}}
    entry["changed"] = {LONG_LABELS[0]: 20, "blur": 1.5}
    pictures = np.random.default_rng(0).random((1, 28, 28, 3))
    with fonts():
        texts = [
            t.get_text().replace("\n", " ") for t in _grid_figure(pictures, pictures, [entry]).texts
        ]
    assert f"{LONG_LABELS[0]}=20, blur=1.5" in texts


def test_captions_with_dollars_are_drawn_as_typed() -> None:
    """Concept labels or outputs with two '$' ('price $5=1, tax $2=0') were parsed as math:
    the run's end stopped on a ParseException while drawing its worst failures."""
    from ffade.explore.examples import _drawn

    entries = [
        {"input_id": 0, "reference": "$1", "output": "said $2", "changed": {"price $5": 1.0}}
    ]
    digits = np.random.default_rng(0).random((1, 8, 8, 3))
    for figure in (
        _grid_figure(digits, digits, entries),
        _pair_figure(digits[0], digits[0], entries[0]),
    ):
        _drawn(figure)
        texts = [text.get_text() for text in figure.texts]
        assert "input 0 (label \\$1): said \\$2" in texts and "price \\$5=1" in texts


def test_text_examples_table_shows_odd_characters_as_typed() -> None:
    """TensorBoard's text tab renders Markdown: a label or text with '*', '`' or '<b>' turned
    italic, code or bold there, and only '|' was escaped."""
    from ffade.explore.examples import _text_table

    entries = [
        {"input": "a *b* <b>c</b>", "changed": {"x|`y`": 1.0}, "output": "o", "reference": 1}
    ]
    row = _text_table(entries).splitlines()[2]
    assert row == r"| a \*b\* &lt;b>c&lt;/b> | x\|\`y\`=1 | o | 1 |"


def test_worst_failures_are_ordered_with_arrays_as_one_sort_would_order_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 200,000-evaluation run's end took seconds to pick its 16 worst failures: a state and
    a meaning check per failure. The order is the plain one: deepest first (ties in memo
    order), each input's first failure before repeats, meaning-changing ones last."""
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=256)
    space = evaluator.space
    space.concepts[2].keeps_meaning = False
    states = np.stack([space.unflat(flat) for flat in range(space.num_states)])
    for input_id in range(4):
        evaluator.evaluate(np.full(len(states), input_id), states)
    failures = [(k, m, r) for k, (m, r, f) in evaluator.memo.items() if f]
    failures.sort(key=lambda f: -f[2])
    groups: tuple[list, list] = ([], [])
    for key, metric, reward in failures:
        input_id, state = divmod(key, space.num_states)
        groups[bool(state // space._strides[2] % space.sizes[2] != space.neutral[2])].append(
            (input_id, state, metric, reward)
        )
    expected = []
    for group in groups:
        seen: set[int] = set()
        firsts = [g for g in group if g[0] not in seen and not seen.add(g[0])]
        expected += firsts + [g for g in group if g not in firsts]
    calls = []
    unflat = space.unflat
    monkeypatch.setattr(space, "unflat", lambda flat: calls.append(1) or unflat(flat))
    for count in (1, 5, len(expected)):
        worst = worst_failures(evaluator, count)
        got = [(i, int(np.ravel_multi_index(s, space.sizes)), m, r) for i, s, m, r in worst]
        assert got == expected[:count]
        assert all(type(i) is int and s.dtype == np.int64 for i, s, _, _ in worst)
    assert len(calls) <= 3  # one call per pick, not one per failure


def test_an_input_without_a_reference_is_captioned_without_one(tmp_path: Path) -> None:
    """Prompts without labels (configs/sd14.yaml) were captioned "input 15 (label None)" and
    "Input 15 (should be None)", and examples.json held the text "None" for null."""
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=8)
    evaluator.task.target.render = _render
    evaluator.evaluate(np.array([0, 1]), np.array([[9, 9, 0], [9, 9, 0]]))
    inputs = evaluator.task.inputs
    inputs[:] = [(x, None) for x, _ in inputs]  # as a dataset without references gives them
    assert save_worst_examples(evaluator, tmp_path) >= 1
    entries = json.loads((tmp_path / "examples" / "examples.json").read_text())
    assert all(entry["reference"] is None for entry in entries)
    assert caption(entries[0]) == f"input {entries[0]['input_id']}: {entries[0]['output']}"
    assert "None" not in _text_table([{**e, "input": "x"} for e in entries])


def _strict(token: str) -> None:
    raise ValueError(f"{token} is no JSON")


def test_a_failure_whose_metric_is_infinite_is_null_in_examples_json(tmp_path: Path) -> None:
    """A callable's margin of -inf is a valid failure (the margin reward pays a finite depth):
    evaluations.jsonl wrote its metric null, while examples.json wrote ``-Infinity``, which
    ``jq`` and JavaScript refuse, against the README's "as its line of evaluations.jsonl has
    them"."""
    import ffade

    def margins(batch: torch.Tensor) -> torch.Tensor:
        mean = batch.float().flatten(1).mean(1)
        return torch.where(mean < mean.median(), float("-inf"), 1.0)

    run = ffade.discover(
        target=margins,
        dataset="digits",
        reward="margin",
        concepts=[{"name": "gaussian_blur", "args": {"values": [0, 1]}}],
        explorer="random",
        budget=16,
        max_inputs=8,
        save_dir=tmp_path,
    )
    text = (run.dir / "examples" / "examples.json").read_text()
    entries = json.loads(text, parse_constant=_strict)
    assert entries and all(e["metric"] is None and e["reward"] > 0 for e in entries)
    logged = [json.loads(line) for line in (run.dir / "evaluations.jsonl").open()]
    assert {e["input_id"] for e in entries} <= {r["input_id"] for r in logged if r["failed"]}
    assert [e["metric"] for e in entries] == [None] * len(entries)
    json.loads((run.dir / "summary.json").read_text(), parse_constant=_strict)
