"""The words over a worst-failure picture: its caption and the concept values changed.

Split from :mod:`ffade.explore.examples` by job: that module picks the failures, lays out the
pictures and saves them; this one says what each picture shows (the input, its label, what the
target said, the concepts changed) and fits those words in the lines a picture has for them.
The same words are the per-example PNG's ``Description`` and TensorBoard's text table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ffade.figure_text import TextMeasure, literal, middle_cut

LABEL_CHARACTERS = 66
"""A grid caption's line length: wider ran into the next cell at 8 points in a 440 px cell."""
CHANGES_LINES = 3
"""Lines the concept values changed take at most over a changed picture."""
CUT_LABEL_CHARACTERS = (24, 21, 18, 15, 12, 9, 7)
"""The lengths a grid's concept labels are cut to in turn (in their middle) until the values
changed fit in their three lines: ``rotati...clockwise=20`` still says which concept it is."""
MARGIN, GAP = 8, 6
"""Pixels above a picture's first text, and between a caption, its titles and the pictures."""


def caption(entry: dict[str, Any]) -> str:
    """``input ID (label REFERENCE): OUTPUT`` of an example, on one line; a regression's
    number reads ``(reference 144.88)`` (its ``reference_word``; an entry of an older run, without
    one, says "label")."""
    word = entry.get("reference_word", "label")
    label = "" if entry["reference"] is None else f" ({word} {entry['reference']})"
    return f"input {entry['input_id']}{label}: {entry['output']}"


def ranked_caption(entry: dict[str, Any]) -> str:
    """:func:`caption` with the reward that ranks the example: "worst" is the reward's order,
    which read as the target's confidence on the digits quickstart ("predicted 8 (p=0.25)"
    between misses at p=0.76 and p=0.75, all three near reward 11); the numbers make the order
    seen. The words drawn over a pair and its PNG's ``Description`` both: the Description
    lacked the reward the picture showed."""
    said, reward = caption(entry).rstrip(), entry.get("reward")
    if reward is not None:  # after what the target said, if it said anything
        said += f"{'' if said.endswith(':') else ','} reward {reward:.3g}"
    return said


def pair_label(entry: dict[str, Any], measure: TextMeasure, width: float) -> str:
    """The caption over a pair (:func:`ranked_caption`), in two lines at most that stay inside
    its ``width`` px cell."""
    return measure.wrap(ranked_caption(entry), LABEL_CHARACTERS, width - 2 * MARGIN, 8, 2)


def changes_title(
    entry: dict[str, Any],
    measure: TextMeasure,
    middles: tuple[float, float],
    width: float,
    characters: int,
    label_widths: Sequence[int] = CUT_LABEL_CHARACTERS,
) -> tuple[str, int | None]:
    """The concept values changed, in three lines at most, centred at ``middles[1]`` (px from
    the cell's left) between the "original" title centred at ``middles[0]`` and the cell's
    right edge (``width``): a 40-character concept label ran into the next cell.

    Where they take more than three lines, the concept labels are cut in their middle
    (:func:`~ffade.figure_text.middle_cut`), shorter in turn, until every value fits: with long
    labels the lines held only the first label and every caption of a grid read the same, the
    values that differ cut off. Only what is still too long then ends in ``...``. Returns the
    lines and the length ``label_widths`` gave the labels (None: whole).
    """
    original_right = middles[0] + measure.size("original", 7)[0] / 2
    half = min(middles[1] - original_right - GAP, width - MARGIN - middles[1])
    half = max(half, 30)  # a panel a few pixels wide: lines of a few characters, not of one
    wrapped = measure.wrap(changes_text(entry), characters, 2 * half, 7, None)
    if wrapped.count("\n") < CHANGES_LINES:
        return wrapped, None
    for label_width in label_widths:
        lines = measure.pack(changed_parts(entry, label_width), 7, 2 * half)
        if lines is not None and len(lines) <= CHANGES_LINES:
            return literal("\n".join(lines)), label_width
    shortest = changes_text(entry, label_widths[-1])
    return measure.wrap(shortest, characters, 2 * half, 7, CHANGES_LINES), label_widths[-1]


def changes_text(entry: dict[str, Any], label_width: int | None = None) -> str:
    """``label=value, ...`` of the concepts changed (``label_width``: see ``changed_parts``)."""
    return ", ".join(changed_parts(entry, label_width)) or "no change"


def changed_parts(entry: dict[str, Any], label_width: int | None = None) -> list[str]:
    """``label=value`` of each concept changed; ``label_width``: labels longer are cut in their
    middle to as many characters."""
    return [
        f"{k if label_width is None else middle_cut(str(k), label_width)}={short_value(v)}"
        for k, v in entry["changed"].items()
    ]


def short_value(value: Any) -> str | None:
    """A concept value or reference as a caption shows it: floats as ``%g``, a one-element
    tensor as its number, anything else cut to 40 characters."""
    if value is None:  # no reference (prompts without labels): null, not the text "None"
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float):
        return f"{value:g}"
    return value if isinstance(value, (int, str)) else str(value)[:40]
