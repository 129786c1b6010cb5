"""The concept grid of a run as summary.json records it (labels, values, each value's coordinate
and the neutral state), read and checked before any count is: a malformed grid is one line naming
the key, not an index error in the landscape built on it (:mod:`ffade.summarize.landscape`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ffade.errors import FfadeError
from ffade.written import as_written


def is_numeric(values: Sequence[Any]) -> bool:
    """Whether a grid is numeric, by the rule of :attr:`ffade.plugin_api.Concept.is_numeric`."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


@dataclass
class Grid:
    """The concept grid of a run as summary.json records it: labels, values and geometry."""

    labels: list[str]
    values: list[list[Any]]
    coordinates: list[np.ndarray]
    neutral: tuple[int, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)


GEOMETRY_KEYS = ("coordinates", "neutral_index")
"""Keys of each summary.json concept that ffade writes since it records the grid's geometry."""


def read_grid(summary: dict[str, Any], source: str) -> Grid:
    """The concept grid from summary.json, checked so later errors cannot be cryptic.

    Runs written before summary.json recorded the geometry are refused with one line that says
    so, rather than guessed: a guessed neutral state or coordinate would change every distance.
    """
    concepts = summary.get("concepts")
    if "finetuner" in summary and concepts is None:  # said plainly, not as a malformed summary
        raise FfadeError(
            f"{source} is a fine-tune's run directory (mitigation.json), not a discovery run: give "
            f"the run it fixed ({summary.get('run')}) or a discovery run of the fixed model"
        )
    if concepts == [] and summary.get("status") in ("created", "failed", "interrupted"):
        raise FfadeError(  # summary.json from before the search started (ffade.explore.base.setup)
            f"{source}: the run (status '{summary.get('status')}') had not started its search, "
            "so it has no concept grid and no evaluations to summarize: wait for it to start, or "
            "fix what stopped it and run it again"
        )
    if not isinstance(concepts, list) or not concepts:
        raise FfadeError(
            f"{source}: summary.json key 'concepts' is missing or empty; expected the grid's "
            "concepts in grid order, each with label, plugin, values, coordinates, neutral and "
            "neutral_index"
        )
    labels, values, coordinates, neutral = [], [], [], []
    for i, concept in enumerate(concepts):
        where = f"{source}: summary.json 'concepts'[{i}]"
        if not isinstance(concept, dict) or "label" not in concept or not concept.get("values"):
            raise FfadeError(
                f"{where} needs a 'label' and a non-empty 'values' list; got {as_written(concept)}"
            )
        missing = [key for key in GEOMETRY_KEYS if key not in concept]
        if missing:
            raise FfadeError(
                f"{where} ('{concept['label']}') lacks {' and '.join(map(repr, missing))}: the run "
                "was written by an older ffade, which did not record the grid's geometry; run "
                "discovery again to summarize it"
            )
        labels.append(str(concept["label"]))
        values.append(list(concept["values"]))
        coordinates.append(_read_coordinates(concept, where))
        neutral.append(_read_neutral_index(concept, where))
    return Grid(labels, values, coordinates, tuple(neutral))


def _read_coordinates(concept: dict[str, Any], where: str) -> np.ndarray:
    coordinates = concept["coordinates"]
    if (
        not isinstance(coordinates, list)
        or len(coordinates) != len(concept["values"])
        or not is_numeric(coordinates)
        or not all(0.0 <= c <= 1.0 for c in coordinates)
    ):
        raise FfadeError(
            f"{where} 'coordinates' {coordinates!r} must list one number in [0, 1] per value "
            f"of {concept['values']!r}"
        )
    return np.asarray(coordinates, dtype=float)


def _read_neutral_index(concept: dict[str, Any], where: str) -> int:
    index, size = concept["neutral_index"], len(concept["values"])
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
        raise FfadeError(
            f"{where} 'neutral_index' {index!r} must be a grid index from 0 to {size - 1}"
        )
    return index
