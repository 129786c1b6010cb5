"""What every image concept shares: a numeric range check and the neutral short cut."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from ffade.errors import ConceptValueError, as_written
from ffade.plugin_api import Concept

PER_ROW_MAX_ROWS_PER_VALUE = 16
"""Per-row kernels win when each value has few rows (a DQN step: 108 rows, 9 angles, rotation
2.7 ms against 4.4 one call per angle); with many rows per value one call per value is faster
(a grid step: 1,024 rows, 9 angles, 18 ms against 49), so then ``apply_each`` groups by value.
Concepts whose per-row kernel costs what one call per value does (brightness) raise it."""


def is_number(value: Any) -> bool:
    """A finite int or float, not a bool (YAML's true would otherwise pass as 1)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def checked_fill(label: str, fill: Any) -> float:
    """``fill`` as a float, or a one-line error: it must be a gray level in [0, 1]."""
    if not is_number(fill) or not 0.0 <= fill <= 1.0:
        raise ConceptValueError(
            f"concept '{label}': fill {as_written(fill)} is not allowed; expected a gray level "
            "in [0, 1]"
        )
    return float(fill)


class RangeConcept(Concept):
    """A numeric concept whose values must lie in ``[low, high]`` (or ``(low, high]``).

    Subclasses set the bounds and ``unit`` (how the error message names a value, e.g. "degrees")
    and implement :meth:`transform`. :meth:`apply` checks the value and returns an unchanged copy
    for the neutral value, so "no change" is exact rather than "changed by rounding error".
    """

    low: ClassVar[float] = -math.inf
    high: ClassVar[float] = math.inf
    low_inclusive: ClassVar[bool] = True
    unit: ClassVar[str] = "a number"
    max_rows_per_value: ClassVar[float] = PER_ROW_MAX_ROWS_PER_VALUE
    """Rows per distinct value up to which :meth:`apply_each` uses :meth:`transform_each`."""
    channel_counts: ClassVar[tuple[int, ...] | None] = None
    """The channel counts the kernel reads (torchvision's color kernels: gray or RGB); None: any."""

    @property
    def allowed(self) -> str:
        """The allowed values in words, for error messages and docs."""
        opening = "[" if self.low_inclusive else "("
        return f"{self.unit} in {opening}{self.low:g}, {self.high:g}]"

    def check_value(self, value: Any) -> None:
        """Accept only finite numbers inside the declared range."""
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        in_range = (
            is_number
            and math.isfinite(value)
            and (value >= self.low if self.low_inclusive else value > self.low)
            and value <= self.high
        )
        if not in_range:
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; "
                f"expected {self.allowed}"
            )

    def apply(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        """Change ``inputs`` (float in [0, 1], shaped (..., C, H, W)) by ``value``."""
        self.check_value(value)
        self._check_images(inputs)
        if value == self.neutral:
            return inputs.clone()
        # not in place: some kernels return their input unchanged (e.g. saturation of gray images)
        return self.transform(inputs, float(value)).clamp(0.0, 1.0)

    def apply_each(self, inputs: torch.Tensor, values: Sequence[Any]) -> torch.Tensor:
        """Row ``i`` changed by ``values[i]``: in one kernel call when :meth:`transform_each` can.

        Rows at the neutral value come back exactly as they were, as with :meth:`apply`.
        """
        distinct = set(values)
        for value in distinct:
            self.check_value(value)
        self._check_images(inputs)
        if len(distinct) > 1 and len(values) <= self.max_rows_per_value * len(distinct):
            # on the CPU: kernels that build their parameters in Python (rotation) read it there
            per_row = torch.tensor(values, dtype=torch.float64)
            changed = self.transform_each(inputs, per_row)
            if changed is not None:
                neutral = (per_row == self.neutral).to(inputs.device)
                neutral = neutral.view(-1, *[1] * (inputs.dim() - 1))
                return torch.where(neutral, inputs, changed.clamp(0.0, 1.0))
        return super().apply_each(inputs, values)

    def _check_images(self, inputs: Any) -> None:
        """Refuse what is not a batch of images (a text task's strings), in one line.

        Whole-number pixels (uint8, as ``torchvision.io.read_image`` gives) are refused too:
        the clamp to [0, 1] would turn every pixel above 0 into 1, a white image, silently.
        """
        if torch.is_tensor(inputs) and inputs.dim() >= 3 and not inputs.is_floating_point():
            raise ConceptValueError(
                f"concept '{self.label}': inputs must be images, a float tensor (B, C, H, W) "
                f"in [0, 1]; got {str(inputs.dtype).removeprefix('torch.')} pixels: have the "
                "dataset give floats (image.float() / 255 for 8-bit pixels)"
            )
        if (
            torch.is_tensor(inputs)
            and inputs.dim() >= 3
            and self.channel_counts is not None
            and inputs.shape[-3] not in self.channel_counts
        ):
            raise ConceptValueError(
                f"concept '{self.label}': images must have 1 (gray) or 3 (RGB) channels; got "
                f"{inputs.shape[-3]} (shape {tuple(inputs.shape)}): have the dataset give RGB "
                "(for RGBA, drop or blend away the alpha channel)"
            )
        if not isinstance(inputs, torch.Tensor) or inputs.dim() < 3:
            got = (
                f"a {tuple(inputs.shape)} tensor"
                if torch.is_tensor(inputs)
                else type(inputs).__name__
            )
            raise ConceptValueError(
                f"concept '{self.label}': inputs must be images, a float tensor (B, C, H, W); "
                f"got {got}: an image concept cannot change this task's inputs"
            )

    @abstractmethod
    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        """The change itself, for a valid non-neutral value; returns a new tensor."""

    def transform_each(self, inputs: torch.Tensor, values: torch.Tensor) -> torch.Tensor | None:
        """The change with a value per row (``values``: float64, (N,), on the CPU whatever device
        ``inputs`` is on); None if the kernel can't.

        Concepts whose kernel takes per-row parameters override it, so that a batch holding many
        values is one call rather than one per value (see ``Concept.apply_each``).
        """
        return None
