"""The worst failing examples of a run, as pictures a person can look at.

Written by the explorer when discovery finishes, while its evaluator (the memo of scores, and the
changed inputs) is still alive; reports only read what lands in the run directory. The deepest
failures (highest reward, one per input first, so the grid shows many inputs rather than one
input many times) are rebuilt from their input and concept state, rendered by the target beside
the unchanged input (a failure only says something next to what the change did), and saved as
``examples/*.png`` (original left, changed right) with ``examples/examples.json``, plus one grid
image of the pairs, also in TensorBoard.
Targets that are not images (``render`` returns None) save the texts ``describe_inputs`` gives
instead: in examples.json and as a table in TensorBoard's text tab. Targets with neither save
nothing.
The words over each picture (caption, concept values changed) are
:mod:`ffade.explore.example_captions`'s.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave

from ffade.env import Evaluator
from ffade.explore.example_captions import (
    CUT_LABEL_CHARACTERS,
    GAP,
    MARGIN,
    changes_text,
    changes_title,
    pair_label,
    ranked_caption,
    short_value,
)
from ffade.figure_text import TextMeasure, fonts
from ffade.markdown import markdown_text
from ffade.plugin_checks import described, output_captions, predicted
from ffade.png_summary import png_summary
from ffade.records import atomic_path, write_json_atomic
from ffade.reference_words import reference_word
from ffade.rendered_images import rendered
from ffade.word_edits import text_edits

PANEL_PIXELS = 180
"""At most this many pixels a side per panel of the worst-failures grid."""
PAIR_WIDTH = 440
"""Pixels a per-example PNG is at least wide: its caption's lines, as wide as a grid cell's."""
MIN_PAIR_HEIGHT = 128
"""Rows a per-example PNG has at least: a 28 px digit is enlarged 5 times to be seen."""
DPI = 100
"""The pictures' dots per inch: a caption's 8 points are 11 px."""


def worst_failures(evaluator: Evaluator, count: int) -> list[tuple[int, np.ndarray, float, float]]:
    """(input id, state, metric, reward) of the deepest failures, distinct inputs first; those
    under a concept that changes what the input means (``keeps_meaning`` false: a negated
    sentence) after all others, as reports set them apart: they fail by design.

    Ordered with arrays: a run's end picks 16 of what may be 200,000 failures, and a state and
    a check per failure took seconds there.
    """
    space = evaluator.space
    apart = np.array([not concept.keeps_meaning for concept in space.concepts])
    failures = [(key, m, r) for key, (m, r, failed) in evaluator.memo.items() if failed]
    if not failures or count <= 0:
        return []
    rewards = np.fromiter((f[2] for f in failures), dtype=float, count=len(failures))
    order = np.argsort(-rewards, kind="stable")  # deepest first; ties keep the memo's order
    keys = np.fromiter((failures[i][0] for i in order), dtype=np.int64, count=len(order))
    input_ids, flats = np.divmod(keys, space.num_states)
    states = space.unflat(flats)
    meaning = (apart & (states != space.neutral)).any(axis=1)
    picked: list[int] = []
    for group in (np.flatnonzero(~meaning), np.flatnonzero(meaning)):
        picked += _distinct_inputs_first(group, input_ids[group])
        if len(picked) >= count:
            break
    return [
        (int(input_ids[i]), states[i], failures[order[i]][1], failures[order[i]][2])
        for i in picked[:count]
    ]


def _distinct_inputs_first(rows: np.ndarray, input_ids: np.ndarray) -> list[int]:
    """``rows`` with each input's first row first (in order), then the others (in order)."""
    first = np.zeros(len(rows), dtype=bool)
    first[np.unique(input_ids, return_index=True)[1]] = True
    return [*rows[first].tolist(), *rows[~first].tolist()]


def save_worst_examples(
    evaluator: Evaluator, run_dir: Path, count: int = 16, logger: Any = None, step: int = 0
) -> int:
    """Save the worst failures (pictures, else texts); returns how many were saved.

    ``step``: the TensorBoard step they are logged at, the run's last (where its scalars end),
    so the step slider shows them beside the final scalars.
    """
    worst = worst_failures(evaluator, count)
    if not worst:
        return 0
    ids = np.array([w[0] for w in worst])
    states = np.stack([w[1] for w in worst])
    target = evaluator.task.target
    with torch.inference_mode():
        inputs, judged_against = evaluator.changes.build(ids, states)
        images = rendered(target, inputs, len(worst))
        texts = described(target, "describe_inputs", inputs, len(worst)) if images is None else None
        if images is None and texts is None:
            return 0
        outputs = predicted(target, inputs, len(worst))
        captions = output_captions(evaluator.task, outputs, judged_against, len(worst))
        references = [evaluator.task.inputs[int(i)][1] for i in ids]
        named = described(target, "describe_references", references, len(worst))
        word = reference_word(target, references)  # as feedback's captions: a number's "reference"
        if images is not None:
            unchanged = rendered(target, evaluator.changes.originals(ids), len(worst))
        else:  # a changed text says little unless the report can show what it was before
            originals_text = described(
                target, "describe_inputs", evaluator.changes.originals(ids), len(worst)
            )
    folder = run_dir / "examples"
    folder.mkdir(exist_ok=True)
    pictures = None if images is None else _channels_last(images)
    originals = None if images is None else _channels_last(unchanged)
    entries = []
    measure = TextMeasure(DPI)  # one for all the pictures' texts
    for i, (input_id, state, metric, reward) in enumerate(worst):
        entry: dict[str, Any] = {
            "input_id": int(input_id),
            "reference": named[i] if named else short_value(references[i]),
            "reference_word": word,
            "concepts": evaluator.space.values(state),
            "changed": evaluator.space.changes(state),
            "metric": float(metric),  # as evaluations.jsonl has it: the caption rounds
            "reward": float(reward),
            "output": captions[i],
        }
        if pictures is not None:
            entry = {"file": f"failure_{i:02d}.png", **entry}
            _save_pair_png(originals[i], pictures[i], entry, folder / entry["file"], measure)
        else:
            entry["input"] = texts[i]
            if originals_text is not None:
                entry["original"] = originals_text[i]
        entries.append(entry)
    write_json_atomic(folder / "examples.json", entries)
    if pictures is not None:
        reward = getattr(evaluator.task.reward, "plugin_name", "")  # the heading names it
        with fonts():
            grid = _drawn(_grid_figure(originals, pictures, entries, measure, reward))
        with atomic_path(folder / "worst_failures.png") as tmp:
            imsave(tmp, grid, format="png")
    # TensorBoard's writer; another logger's (CSVLogger's) takes no pictures or text
    writer = getattr(logger, "experiment", None)
    if pictures is not None and hasattr(writer, "file_writer"):  # torch's SummaryWriter
        summary = png_summary("discovery/worst_failures", folder / "worst_failures.png")
        writer.file_writer.add_summary(summary, step)
    elif pictures is None and hasattr(writer, "add_text"):
        writer.add_text("discovery/worst_failures", _text_table(entries), step)
    return len(entries)


def _text_table(entries: list[dict[str, Any]]) -> str:
    """The examples as a Markdown table, which TensorBoard's text tab renders; a text's
    unchanged original and its edited words beside the change, as report.md shows them (a typo
    in a 40-word article cannot be found by reading the changed text alone). A listing without
    originals (a target that could not describe them) keeps the changed text alone."""
    originals = any("original" in entry for entry in entries)
    head = ["original", "changed", "edits"] if originals else ["input"]
    rows = ["| " + " | ".join([*head, "changes", "output", "reference"]) + " |"]
    rows.append("|" + "---|" * (len(head) + 3))
    for entry in entries:
        texts = [entry["input"]]
        if originals:
            original = entry.get("original")
            edits = "" if original is None else text_edits(original, entry["input"])
            texts = [original or "", entry["input"], edits]
        cells = [
            *texts,
            changes_text(entry),
            entry["output"],
            str(entry["reference"] if entry["reference"] is not None else ""),
        ]
        cells = [markdown_text(c.replace("\n", " ")) for c in cells]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _channels_last(images: torch.Tensor) -> np.ndarray:
    """Rendered (B, 3, H, W) images as (B, H, W, 3) arrays in [0, 1], as matplotlib draws them."""
    return np.clip(images.detach().float().cpu().permute(0, 2, 3, 1).numpy(), 0, 1)


def _side_by_side(original: np.ndarray, changed: np.ndarray) -> np.ndarray:
    """The two pictures in one array, original left, a white gap, changed right, each enlarged by
    a whole factor (pixels repeated, not blurred) to at least ``MIN_PAIR_HEIGHT`` rows.
    """
    scale = max(1, math.ceil(MIN_PAIR_HEIGHT / original.shape[0]))
    gap = np.ones((original.shape[0], max(1, original.shape[1] // 16), 3))
    pair = np.concatenate([original, gap, changed], axis=1)
    return pair.repeat(scale, axis=0).repeat(scale, axis=1)


def _save_pair_png(
    original: np.ndarray,
    changed: np.ndarray,
    entry: dict[str, Any],
    path: Path,
    measure: TextMeasure | None = None,
) -> None:
    """One example as its own picture, captioned as the grid's pairs are; the caption is also
    the PNG's ``Description``."""
    with fonts():
        pixels = _drawn(_pair_figure(original, changed, entry, measure))
    described = f"{ranked_caption(entry)}; changed: {changes_text(entry)}"
    with atomic_path(path) as tmp:
        imsave(tmp, pixels, format="png", metadata={"Description": described})


def _pair_figure(
    original: np.ndarray,
    changed: np.ndarray,
    entry: dict[str, Any],
    measure: TextMeasure | None = None,
) -> Figure:
    """The pair (``_side_by_side``, its pixels as they are, at the bottom, centred) under the
    grid's caption (input, label, what the target said) and "original" and the concept values
    changed over each half. At least ``PAIR_WIDTH`` wide, so that the caption fits."""
    pair = _side_by_side(original, changed)
    half = pair.shape[0] // original.shape[0] * original.shape[1]  # one picture's width
    dpi = DPI
    width = max(pair.shape[1] + 20, PAIR_WIDTH)
    left = (width - pair.shape[1]) // 2
    measure = measure or TextMeasure(dpi)
    label = pair_label(entry, measure, width)
    middles = (left + half / 2, left + pair.shape[1] - half / 2)
    changes = changes_title(entry, measure, middles, width, max(34, half // 6))[0]
    label_height, titles_height = measure.size(label, 8)[1], measure.size(changes, 7)[1]
    header = MARGIN + label_height + GAP + titles_height + GAP
    height = math.ceil(header) + pair.shape[0]
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    figure.figimage(pair, xo=left, yo=0, origin="upper")
    figure.text(0.5, 1 - MARGIN / height, label, ha="center", va="top", fontsize=8)
    titles_top = height - MARGIN - label_height - GAP
    for middle, title in zip(middles, ("original", changes), strict=True):
        figure.text(middle / width, titles_top / height, title, ha="center", va="top", fontsize=7)
    return figure


def _drawn(figure: Figure) -> np.ndarray:
    """The figure's pixels (H, W, 3), drawn once: laying out 32 panels with their captions took
    most of a quickstart's picture time, and the PNG and TensorBoard each drew it again."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _grid_figure(
    originals: np.ndarray,
    pictures: np.ndarray,
    entries: list[dict[str, Any]],
    measure: TextMeasure | None = None,
    reward: str = "",
) -> Figure:
    """Each failure as a pair of panels, the original and the changed input the target failed on,
    under one caption: the input, its label, what the target predicted and the reward that ranks
    it, under a heading that names the ``reward`` plugin (its entry-point name).

    Pixels are placed with ``figimage`` and captions with ``figure.text``, at fixed positions:
    32 axes (their ticks, title layout and a layout engine) took seconds of a quickstart's end,
    for a grid whose geometry is known in advance.
    """
    columns = min(4, len(entries))
    rows = math.ceil(len(entries) / columns)
    panels = [_panel(image) for image in (*originals, *pictures)]
    dpi, cell_width = DPI, PAIR_WIDTH  # pixels
    measure = measure or TextMeasure(dpi)
    labels = [pair_label(entry, measure, cell_width) for entry in entries]
    middles = [_middles(panels[i], panels[i + len(entries)]) for i in range(len(entries))]
    cuts = [changes_title(e, measure, middles[i], cell_width, 34) for i, e in enumerate(entries)]
    # labels cut alike in every caption that cuts them: a grid read "rotatio...lockwise" in one
    # cell and "rotation ...clockwise" in the next
    shortest = min((cut for _, cut in cuts if cut is not None), default=0)
    narrower = [width for width in CUT_LABEL_CHARACTERS if width <= shortest]
    titles = [
        title
        if cut in (None, shortest)
        else changes_title(entries[i], measure, middles[i], cell_width, 34, narrower)[0]
        for i, (title, cut) in enumerate(cuts)
    ]
    label_heights = [measure.size(label, 8)[1] for label in labels]
    title_heights = [measure.size(title, 7)[1] for title in titles]
    # as tall as its tallest caption and panel need, and a gap: a fixed 290 px left a fifth of a
    # digits grid blank; a row's pictures stand in line under its tallest label and titles
    starts = range(0, len(entries), columns)
    text = max(
        max(label_heights[r : r + columns]) + max(title_heights[r : r + columns]) for r in starts
    )
    cell_height = math.ceil(text + 2 * GAP + max(panel.shape[0] for panel in panels) + 18)
    width = cell_width * columns
    heading = _heading(width, measure, reward)
    header = max(40, math.ceil(MARGIN + measure.size(heading, "large")[1] + 13))
    height = header + cell_height * rows
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    figure.suptitle(heading, y=1 - MARGIN / height, va="top")
    for i in range(len(entries)):
        row, column = divmod(i, columns)
        left, top = column * cell_width, height - header - row * cell_height  # from bottom-left
        label, pair = labels[i], ("original", titles[i])
        figure.text(
            (left + cell_width / 2) / width, top / height, label, ha="center", va="top", fontsize=8
        )
        # under the row's tallest label and titles: each pair under its own lines put the
        # pictures of one row at different heights (a text-to-image grid's 2- and 3-line values)
        in_row = slice(row * columns, (row + 1) * columns)
        titles_top = top - max(label_heights[in_row]) - GAP
        panels_top = round(titles_top - max(title_heights[in_row]) - GAP)
        for k, (title, panel) in enumerate(zip(pair, panels[i :: len(entries)], strict=True)):
            x = left + cell_width // 2 + (6 if k else -6 - panel.shape[1])  # see _middles
            figure.figimage(panel, xo=x, yo=panels_top - panel.shape[0], origin="upper")
            figure.text(
                (x + panel.shape[1] / 2) / width,
                titles_top / height,
                title,
                ha="center",
                va="top",
                fontsize=7,
            )
    return figure


def _middles(original: np.ndarray, changed: np.ndarray) -> tuple[float, float]:
    """Where a grid pair's two panels are centred, in px from their cell's left: side by side
    about the cell's middle, 12 px apart."""
    middle = PAIR_WIDTH // 2
    return middle - 6 - original.shape[1] / 2, middle + 6 + changed.shape[1] / 2


def _heading(width: int, measure: TextMeasure, reward: str = "") -> str:
    """The grid's title, on two lines where one is wider than the grid: a grid of one failure
    (440 px) cut it at both ends. It names the order: "worst" is the reward's, and the paper's
    misclassification reward, symmetric about p = 0.5, put a miss "predicted 8 (p=0.25)" among
    misses at p >= 0.75 on the digits quickstart, where "worst" read as "most confident"; it
    names the ``reward`` plugin, whose measure that is, and each caption gives its reward."""
    heading = (
        f"Worst failing examples, highest {reward + ' ' if reward else ''}reward first: "
        "original, and changed as the target failed on it"
    )
    if measure.size(heading, "large")[0] > width - 2 * MARGIN:
        return heading.replace(": ", ":\n", 1)
    return heading


def _panel(image: np.ndarray) -> np.ndarray:
    """The picture at most ``PANEL_PIXELS`` a side: small ones enlarged by whole pixels (not
    blurred, so a digit's pixels stay pixels), large ones scaled down with antialiasing (a
    photo subsampled to a whole step lost half its size and aliased)."""
    size = max(image.shape[:2])
    if size > PANEL_PIXELS:
        pixels = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
        shape = [max(1, round(side * PANEL_PIXELS / size)) for side in image.shape[:2]]
        smaller = torch.nn.functional.interpolate(
            pixels, size=shape, mode="bilinear", antialias=True, align_corners=False
        )
        return smaller[0].permute(1, 2, 0).clamp(0, 1).numpy()
    scale = PANEL_PIXELS // size
    return image.repeat(scale, axis=0).repeat(scale, axis=1)
