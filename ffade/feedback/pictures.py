"""Example pictures of a failure region: its worst failing inputs, as the target saw them.

A person judges "gaussian_blur >= 2 and rotation >= 15" better with eight blurred, tilted digits
and the model's wrong answers in front of them. The run's log says which (input, concept state)
pairs failed and how badly; this rebuilds those inputs with the run's own task (from
summary.json), renders them with the target's :meth:`~ffade.plugin_api.Target.render`, captions
them with :meth:`~ffade.plugin_api.Target.describe_outputs`, and saves one grid per region under
``RUN_DIR/feedback/``. A target that draws nothing (``render`` returns None) but describes its
inputs (text) gets the same examples written out instead, ``RUN_DIR/feedback/<region id>.md``:
a person judging "misspell = 1" reads the misspelt articles and the summaries they got.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

from ffade.changes import ChangedInputs
from ffade.evaluation_log import logged_table
from ffade.feedback.picture_files import (  # here too, as before the split
    PICTURES_DIR,
    pictures_as_saved,
    pictures_of_answers_only,
)
from ffade.figure_text import TextMeasure, fonts
from ffade.markdown import markdown_text
from ffade.plugin_checks import described, output_captions, predicted
from ffade.records import atomic_path, read_summary
from ffade.reference_words import reference_word
from ffade.rendered_images import rendered
from ffade.summarize.plots import save_figure
from ffade.summarize.regions import Region, format_value
from ffade.task import build_task

CAPTION_MARGIN = 8
"""Pixels a caption's lines keep from its column's edges, so neighbours' captions stay apart."""

__all__ = [
    "PICTURES_DIR",
    "RegionPictures",
    "pictures_as_saved",
    "pictures_of_answers_only",
]


class RegionPictures:
    """Renders region example grids for one run; builds the run's task once, on first use.

    Args:
        run_dir: the discovery run whose regions are pictured.
        count: examples per region (its worst failures, distinct inputs first).
    """

    def __init__(self, run_dir: str | Path, count: int = 8) -> None:
        self.run_dir = Path(run_dir)
        self.count = count
        self._changes: ChangedInputs | None = None
        self._failures: list[tuple[int, tuple[int, ...], float]] | None = None

    def _setup(self) -> ChangedInputs:
        if self._changes is None:
            self._changes = ChangedInputs(
                build_task(read_summary(self.run_dir)["task"], task_key=None)
            )
            table = logged_table(self.run_dir)  # the command's one read
            self._failures = [
                (table.input_id(row), tuple(table.state(row)), float(table.rewards[row]))
                for row in np.flatnonzero(table.failed).tolist()
            ]
        return self._changes

    def save(self, region: Region) -> Path | None:
        """Save ``feedback/<region id>.png``, or ``.md`` for a target that describes its inputs
        but draws nothing; None when it does neither, or the region has no logged failure."""
        examples = self._examples(region)
        if examples is None:
            return None
        figure = self._figure(region, *examples)
        if figure is not None:
            return save_figure(figure, self.run_dir / PICTURES_DIR / f"{region.id}.png")
        text = self._text(region, *examples)
        if text is None:
            return None
        path = self.run_dir / PICTURES_DIR / f"{region.id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return path

    def figure(self, region: Region) -> Figure | None:
        """The region's grid of worst failures; None when the target draws no pictures."""
        examples = self._examples(region)
        return None if examples is None else self._figure(region, *examples)

    def _examples(self, region: Region) -> tuple[np.ndarray, np.ndarray] | None:
        """The region's worst failures, distinct inputs first: (input ids, states), or None."""
        changes = self._setup()
        members = set(map(tuple, region.states.tolist()))
        failures = sorted(
            (f for f in self._failures if f[1] in members and f[0] < changes.num_inputs),
            key=lambda f: -f[2],
        )
        chosen, seen, rest = [], set(), []
        for input_id, state, reward in failures:
            (rest if input_id in seen else chosen).append((input_id, state, reward))
            seen.add(input_id)
        chosen = (chosen + rest)[: self.count]
        if not chosen:
            return None
        ids = np.array([c[0] for c in chosen], dtype=np.int64)
        return ids, np.array([c[1] for c in chosen], dtype=np.int64)

    def _figure(self, region: Region, ids: np.ndarray, states: np.ndarray) -> Figure | None:
        changes = self._setup()
        with torch.inference_mode():
            inputs, references = changes.build(ids, states)
            images = rendered(changes.task.target, inputs, len(ids))
            if images is None:
                return None
            labels = self._captions(ids, states, inputs, references)
        pictures = images.detach().float().cpu().permute(0, 2, 3, 1).numpy()
        title = f"Worst failing inputs of {region.id}: {region.description}"
        with fonts():
            captions = ["\n".join(part for part in label if part) for label in labels]
            return _grid(pictures, captions, title)

    def _text(self, region: Region, ids: np.ndarray, states: np.ndarray) -> str | None:
        """The examples as Markdown: each caption, then the changed input as the target got it."""
        changes = self._setup()
        with torch.inference_mode():
            inputs, references = changes.build(ids, states)
            texts = described(changes.task.target, "describe_inputs", inputs, len(ids))
            if texts is None:
                return None
            labels = self._captions(ids, states, inputs, references)
        lines = [f"# {region.id}: {markdown_text(region.description)}", ""]
        for number, ((said, values), text) in enumerate(zip(labels, texts, strict=True), start=1):
            lines_of = [markdown_text(line) for line in text.splitlines()]
            quoted = "\n".join(f"> {line}" if line else ">" for line in lines_of)
            lines += [f"{number}. {markdown_text(f'{said}; {values}')}", "", quoted or ">", ""]
        return "\n".join(lines)

    def _captions(
        self, ids: np.ndarray, states: np.ndarray, inputs: Any, references: Any
    ) -> list[tuple[str, str]]:
        """Each example's caption: input, its label in the target's words and the target's
        answer (or the reward's words for it); and its concept values."""
        changes = self._setup()
        outputs = predicted(changes.task.target, inputs, len(ids))
        captions = output_captions(changes.task, outputs, references, len(ids))
        labelled = [changes.task.inputs[int(i)][1] for i in ids]
        # in the target's words when it names them ("goldfish", not 1), as the report's
        named = described(changes.task.target, "describe_references", labelled, len(ids))
        word = reference_word(changes.task.target, labelled)
        return [
            _caption(int(i), reference, caption, changes.space.values(state), word)
            for i, reference, state, caption in zip(
                ids, named or labelled, states, captions, strict=True
            )
        ]


def _caption(
    input_id: int, reference: Any, output: str, concepts: dict[str, Any], word: str = "label"
) -> tuple[str, str]:
    if isinstance(reference, torch.Tensor) and reference.numel() == 1:
        reference = reference.item()
    if isinstance(reference, float):  # as the report's captions show it: 144.88, not 144.8799998
        reference = f"{reference:g}"
    values = ", ".join(f"{k}={format_value(v)}" for k, v in concepts.items())
    label = "" if reference is None else f" ({word} {reference})"  # prompts without labels
    return f"input {input_id}{label}: {output}", values


def _grid(pictures: np.ndarray, captions: list[str], title: str) -> Figure:
    """The pictures in rows of four, each under its caption (each of its lines wrapped to the
    picture's column by the width it is drawn at: at 44 characters, CJK or a file path ran into
    the next picture), under the title. Build it inside :func:`~ffade.figure_text.fonts`.
    Each row is a line taller per caption line past three: five lines of CJK and a path drew
    their first under the title."""
    columns = min(4, len(pictures))
    rows = math.ceil(len(pictures) / columns)
    dpi = float(matplotlib.rcParams["figure.dpi"])
    measure = TextMeasure(dpi)
    column = 3.0 * dpi - 2 * CAPTION_MARGIN  # pixels
    wrapped = [
        "\n".join(measure.wrap(line, 44, column, 7, None) for line in caption.split("\n"))
        for caption in captions
    ]
    more = max(0, max(caption.count("\n") + 1 for caption in wrapped) - 3)
    height = 3.2 * rows + 0.8 + more * rows * 0.2  # inches; 0.14 (one line) left it touching
    figure = Figure(figsize=(3.0 * columns, height), dpi=dpi, layout="constrained")
    for i, (picture, caption) in enumerate(zip(pictures, wrapped, strict=True)):
        axes = figure.add_subplot(rows, columns, i + 1)
        axes.imshow(np.clip(picture, 0, 1), interpolation="nearest")
        axes.axis("off")
        axes.set_title(caption, fontsize=7)
    figure.suptitle(measure.wrap(title, 40 * columns, column * columns, 9, None), fontsize=9)
    return figure
