"""Geometry concepts: rotation, scale, translation.

Rotation and scale are each one call to a torchvision affine kernel with bilinear interpolation
(they also take an angle or zoom per image: one resampling call for a batch of many values);
translation moves whole pixels with torchvision's pad and crop, copying them exactly. Pixels
that come from outside the image take ``fill`` (0.0, black, which is also the background of the
digits dataset).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch.nn.functional import grid_sample

from ffade.errors import ConceptValueError, as_written
from ffade_vision._lazy import F
from ffade_vision.concepts._base import RangeConcept, checked_fill


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
        self.fill = checked_fill(self.label, fill)


class Rotation(_GeometryConcept):
    """Rotate counter-clockwise about the image center by ``value`` degrees."""

    neutral: ClassVar[float] = 0.0
    default_values: ClassVar[Sequence[float]] = (-40, -30, -20, -10, 0, 10, 20, 30, 40)
    low, high, unit = -180.0, 180.0, "degrees"

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.rotate(inputs, value, interpolation=F.InterpolationMode.BILINEAR, fill=[self.fill])

    def transform_each(self, inputs: torch.Tensor, values: torch.Tensor) -> torch.Tensor | None:
        # torchvision turns by a % 360, and by quarter turns exactly (rot90): leave those to it
        turns = [angle % 360 for angle in values.tolist()]
        if any(turn in (90, 180, 270) for turn in turns):
            return None
        # its inverse map for a counter-clockwise turn by a: [[cos a, -sin a], [sin a, cos a]]
        # from output to input pixels, about the center, with Python's math as it computes it
        # (torch's vectorized cos may differ in a double's last bit)
        matrices = torch.tensor(
            [
                [math.cos(a), -math.sin(a), 0.0, math.sin(a), math.cos(a), 0.0]
                for a in map(math.radians, turns)
            ],
            dtype=inputs.dtype,
        )
        return _affine_each(inputs, matrices.view(-1, 2, 3), self.fill)


class Scale(_GeometryConcept):
    """Zoom about the image center by ``value`` (below 1 shrinks, above 1 enlarges and crops)."""

    neutral: ClassVar[float] = 1.0
    default_values: ClassVar[Sequence[float]] = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4)
    low, high, unit = 0.1, 4.0, "a zoom factor"

    def transform_each(self, inputs: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        inverse, zero = 1.0 / values, torch.zeros_like(values)
        matrices = torch.stack([inverse, zero, zero, zero, inverse, zero], -1).view(-1, 2, 3)
        return _affine_each(inputs, matrices.to(inputs.dtype), self.fill)

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.affine(
            inputs,
            angle=0.0,
            translate=[0.0, 0.0],
            scale=value,
            shear=[0.0, 0.0],
            interpolation=F.InterpolationMode.BILINEAR,
            fill=[self.fill],
        )


class Translation(_GeometryConcept):
    """Shift by ``value`` times the image width (``axis="x"``, right is positive) or height.

    The shift is rounded to whole pixels, so the image moves without resampling blur: every
    pixel kept is copied exactly, and a shift under half a pixel leaves the image unchanged.

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
                f"concept '{self.label}': axis {as_written(axis)} is not allowed; expected 'x' "
                "or 'y'"
            )
        self.axis = axis

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        # whole pixels: pad the side the image moves away from with fill, then crop back, so
        # every kept pixel is copied exactly (an affine resampling would round it)
        height, width = inputs.shape[-2:]
        right, down = (round(value * width), 0) if self.axis == "x" else (0, round(value * height))
        padded = F.pad(
            inputs, [max(right, 0), max(down, 0), max(-right, 0), max(-down, 0)], fill=self.fill
        )
        return F.crop(padded, max(-down, 0), max(-right, 0), height, width)


def _affine_each(inputs: torch.Tensor, matrices: torch.Tensor, fill: float) -> torch.Tensor:
    """Each image (N, C, H, W) resampled through its own inverse affine map (N, 2, 3).

    The maps take output pixel positions, centered on the image, to input ones, as torchvision's
    affine kernels do; bilinear sampling in one ``grid_sample`` call for the whole batch, and a
    ones channel sampled along with the image tells how much of each pixel came from outside,
    which takes ``fill``. The very floats torchvision's per-value kernels give (tested).
    """
    count, channels, height, width = inputs.shape
    pixels = _centered_pixels(height, width, inputs.dtype, inputs.device)
    half_size = torch.tensor([0.5 * width, 0.5 * height], dtype=inputs.dtype, device=inputs.device)
    to_unit = matrices.to(inputs.device).transpose(1, 2) / half_size  # to input in [-1, 1]
    # a batched product with each image's own map, as torchvision's affine_grid computes it, so
    # a row gets the very floats its value alone gets (one einsum for all rows rounded otherwise)
    grid = pixels.expand(count, -1, -1).bmm(to_unit).view(count, height, width, 2)
    covered = torch.ones(count, 1, height, width, dtype=inputs.dtype, device=inputs.device)
    sampled = grid_sample(
        torch.cat([inputs, covered], 1), grid, "bilinear", "zeros", align_corners=False
    )
    image, inside = sampled[:, :channels], sampled[:, channels:]
    return (image - fill) * inside + fill


@functools.lru_cache(maxsize=16)
def _centered_pixels(
    height: int, width: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """(1, H * W, 3): each output pixel's (x, y, 1), from the image center, row by row."""
    xs = torch.linspace((1.0 - width) * 0.5, (width - 1.0) * 0.5, width, dtype=dtype)
    ys = torch.linspace((1.0 - height) * 0.5, (height - 1.0) * 0.5, height, dtype=dtype)
    y, x = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([x, y, torch.ones_like(x)], -1).view(1, height * width, 3).to(device)
