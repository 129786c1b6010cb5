"""Geometry concepts: rotation, scale, translation.

Each is one call to a torchvision affine kernel with bilinear interpolation; pixels that come
from outside the image take ``fill`` (0.0, black, which is also the background of the digits
dataset).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
from torchvision.transforms.v2 import functional as F

from ffade.errors import ConceptValueError
from ffade_vision.concepts._base import RangeConcept

_BILINEAR = F.InterpolationMode.BILINEAR


class _GeometryConcept(RangeConcept):
    """Shared constructor: the grid, the label and the fill value for uncovered pixels.

    Args:
        values: the grid the explorer may choose from (default: the class's ``default_values``).
        label: the name in records and reports (the registry passes the plugin name).
        fill: gray level in [0, 1] for pixels moved in from outside the image.
    """

    def __init__(
        self, values: Sequence[float] | None = None, label: str | None = None, fill: float = 0.0
    ) -> None:
        super().__init__(values, label)
        if not 0.0 <= fill <= 1.0:
            raise ConceptValueError(
                f"concept '{self.label}': fill {fill!r} is not allowed; expected a gray level "
                "in [0, 1]"
            )
        self.fill = float(fill)


class Rotation(_GeometryConcept):
    """Rotate counter-clockwise about the image center by ``value`` degrees."""

    neutral: ClassVar[float] = 0.0
    default_values: ClassVar[Sequence[float]] = (-40, -30, -20, -10, 0, 10, 20, 30, 40)
    low, high, unit = -180.0, 180.0, "degrees"

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.rotate(inputs, value, interpolation=_BILINEAR, fill=[self.fill])


class Scale(_GeometryConcept):
    """Zoom about the image center by ``value`` (below 1 shrinks, above 1 enlarges and crops)."""

    neutral: ClassVar[float] = 1.0
    default_values: ClassVar[Sequence[float]] = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4)
    low, high, unit = 0.1, 4.0, "a zoom factor"

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.affine(
            inputs,
            angle=0.0,
            translate=[0.0, 0.0],
            scale=value,
            shear=[0.0, 0.0],
            interpolation=_BILINEAR,
            fill=[self.fill],
        )


class Translation(_GeometryConcept):
    """Shift by ``value`` times the image width (``axis="x"``, right is positive) or height.

    The shift is rounded to whole pixels, so the image moves without resampling blur.

    Args:
        values: the grid (default: -0.2..0.2 of the image size).
        label: the name in records and reports.
        fill: gray level in [0, 1] for the uncovered strip.
        axis: "x" for horizontal shifts, "y" for vertical ones (down is positive).
    """

    neutral: ClassVar[float] = 0.0
    default_values: ClassVar[Sequence[float]] = (
        -0.2,
        -0.15,
        -0.1,
        -0.05,
        0.0,
        0.05,
        0.1,
        0.15,
        0.2,
    )
    low, high, unit = -1.0, 1.0, "a fraction of the image size"

    def __init__(
        self,
        values: Sequence[float] | None = None,
        label: str | None = None,
        fill: float = 0.0,
        axis: str = "x",
    ) -> None:
        super().__init__(values, label, fill)
        if axis not in ("x", "y"):
            raise ConceptValueError(
                f"concept '{self.label}': axis {axis!r} is not allowed; expected 'x' or 'y'"
            )
        self.axis = axis

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        height, width = inputs.shape[-2:]
        shift = [round(value * width), 0] if self.axis == "x" else [0, round(value * height)]
        return F.affine(
            inputs,
            angle=0.0,
            translate=shift,
            scale=1.0,
            shear=[0.0, 0.0],
            interpolation=_BILINEAR,
            fill=[self.fill],
        )
