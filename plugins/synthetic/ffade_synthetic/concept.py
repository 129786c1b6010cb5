"""The one synthetic concept: set an input's position on one axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ffade.errors import ConceptValueError, as_written
from ffade.plugin_api import Concept


class Axis(Concept):
    """Move inputs to position ``value`` in [0, 1] on axis ``index``.

    Args:
        index: which axis (0-based) this concept moves.
        values: grid of positions in [0, 1]; default ten evenly spaced.
        label: name in records (default ``axis<index>``).
    """

    neutral = 0.0
    default_values = tuple(round(i / 9, 3) for i in range(10))

    def __init__(
        self, index: int = 0, values: Sequence[float] | None = None, label: str | None = None
    ) -> None:
        # True passed as 1 (and coords[:, True] moved every axis), 1.5 failed at the first
        # evaluation, text raised "'<' not supported": each is one line here instead
        whole = isinstance(index, int) or (isinstance(index, float) and index.is_integer())
        if isinstance(index, bool) or not whole or index < 0:
            raise ConceptValueError(
                f"concept 'axis': index {as_written(index)} is not allowed; expected a whole "
                "number from 0 (the axis it moves)"
            )
        index = int(index)
        self.index = index
        if label in (None, "axis"):
            label = f"axis{index}"
        super().__init__(values, label)

    def check_value(self, value: float) -> None:
        super().check_value(value)
        if not 0.0 <= value <= 1.0:
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; "
                "expected a position in [0, 1]"
            )

    def check_inputs(self, inputs: Sequence[Any]) -> list[str]:
        """Refuse, when the task is built, another dataset's inputs (images, texts): they would
        fail at the first evaluation as a traceback from inside torch."""
        first = inputs[0]
        if not (isinstance(first, dict) and "coords" in first):
            raise ConceptValueError(
                f"concept '{self.label}' moves the synthetic dataset's inputs, not "
                f"{type(first).__name__}; use dataset: {{name: synthetic}}"
            )
        self._check_index(len(first["coords"]))
        return []

    def _check_index(self, axes: int) -> None:
        if self.index >= axes:
            raise ConceptValueError(
                f"concept '{self.label}': index {self.index} is beyond the dataset's {axes} axes "
                f"(0 to {axes - 1}); lower index or raise the dataset's num_axes"
            )

    def apply(self, inputs: dict[str, torch.Tensor], value: float) -> dict[str, torch.Tensor]:
        coords = inputs["coords"].clone()
        self._check_index(coords.shape[1])  # a concept used without a task's check_inputs
        coords[:, self.index] = value
        return {**inputs, "coords": coords}
