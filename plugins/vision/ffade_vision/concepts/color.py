"""Color concepts: brightness, saturation, contrast, hue, gamma.

Thin wrappers over torchvision's color kernels; brightness, saturation and contrast also take a
value per image (the same blends, written out), so a batch of many values is one call.
Saturation and hue need color: a gray image (one channel, or three equal ones, as the digits
dataset's with ``channels=3``) is left unchanged, so a task whose inputs are all gray refuses
them in one line rather than search a concept that changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import torch

from ffade.errors import ConceptValueError
from ffade_vision._lazy import F
from ffade_vision.concepts._base import RangeConcept

_PER_ROW_DTYPES = (torch.float32, torch.float64)
"""Where the per-row blends give torchvision's floats. On float16 and bfloat16 images torch
multiplies by a Python factor in float32 and rounds once, while a tensor of factors is rounded to
the images' type first: a bfloat16 brightness of 0.6 came out 0.002 off, and ffade's pre-search
check refused the concept. Those images take one call per value instead."""


class _NeedsColor:
    """``check_inputs`` for concepts that change only color images (saturation, hue)."""

    label: str

    def check_inputs(self, inputs: Sequence[object]) -> list[str]:
        if not all(torch.is_tensor(x) and x.dim() >= 3 and x.shape[-3] in (1, 3) for x in inputs):
            return []  # not gray or RGB images: applying the concept says so in one line
        if any(_has_color(x) for x in inputs):
            return []
        raise ConceptValueError(
            f"concept '{self.label}': none of the task's {len(inputs)} inputs has color (one "
            "channel, or three equal ones), so every value leaves them unchanged; choose a color "
            "dataset (sample_photos, image_folder) or another concept"
        )


def _has_color(image: torch.Tensor) -> bool:
    return image.shape[-3] == 3 and not (
        torch.equal(image[..., 0, :, :], image[..., 1, :, :])
        and torch.equal(image[..., 1, :, :], image[..., 2, :, :])
    )


class Brightness(RangeConcept):
    """Multiply every pixel by ``value``: the paper darkens with 1 - {0.1, ..., 0.5}."""

    neutral: ClassVar[float] = 1.0
    default_values: ClassVar[Sequence[float]] = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    low, high, unit = 0.0, 4.0, "a brightness factor"
    channel_counts = (1, 3)
    # a factor per row costs what one per call does, and gives the same floats (no blend)
    max_rows_per_value = math.inf

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.adjust_brightness(inputs, value)

    def transform_each(self, inputs: torch.Tensor, values: torch.Tensor) -> torch.Tensor | None:
        if inputs.dtype not in _PER_ROW_DTYPES:
            return None
        return inputs * _per_row(values, inputs)


class Saturation(_NeedsColor, RangeConcept):
    """Blend with the grayscale image: 0 is gray, 1 unchanged, above 1 more vivid."""

    neutral: ClassVar[float] = 1.0
    default_values: ClassVar[Sequence[float]] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    low, high, unit = 0.0, 10.0, "a saturation factor"
    channel_counts = (1, 3)

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.adjust_saturation(inputs, value)

    def transform_each(self, inputs: torch.Tensor, values: torch.Tensor) -> torch.Tensor | None:
        if inputs.dtype not in _PER_ROW_DTYPES:
            return None
        if inputs.shape[-3] == 1:  # as torchvision: a gray image has no saturation to change
            return inputs.clone()
        return _blend(inputs, F.rgb_to_grayscale(inputs), values)


class Contrast(RangeConcept):
    """Blend with the image's mean gray: 0 is flat gray, 1 unchanged, above 1 harsher."""

    neutral: ClassVar[float] = 1.0
    default_values: ClassVar[Sequence[float]] = (0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    low, high, unit = 0.0, 10.0, "a contrast factor"
    channel_counts = (1, 3)

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.adjust_contrast(inputs, value)

    def transform_each(self, inputs: torch.Tensor, values: torch.Tensor) -> torch.Tensor | None:
        if inputs.dtype not in _PER_ROW_DTYPES:
            return None
        gray = F.rgb_to_grayscale(inputs) if inputs.shape[-3] == 3 else inputs
        mean = gray.mean(dim=(-3, -2, -1), keepdim=True)
        return _blend(inputs, mean, values)


class Hue(_NeedsColor, RangeConcept):
    """Rotate hue by ``value`` of a full turn (0.5 and -0.5 both give complementary colors)."""

    neutral: ClassVar[float] = 0.0
    default_values: ClassVar[Sequence[float]] = (-0.3, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2, 0.3)
    low, high, unit = -0.5, 0.5, "a hue shift (fraction of a turn)"
    channel_counts = (1, 3)

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return F.adjust_hue(inputs, value)


class Gamma(RangeConcept):
    """Raise pixels to the power ``value``: above 1 darkens mid-tones, below 1 lightens them."""

    neutral: ClassVar[float] = 1.0
    default_values: ClassVar[Sequence[float]] = (0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
    low, high, unit = 0.05, 10.0, "a gamma exponent"

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        # in double, rounded back: torch's float pow gives the last few pixels of a tensor (the
        # tail its vector loop leaves) other floats than the same pixels mid-tensor, so an image
        # alone and in a batch differed (6e-8); in double the difference vanishes in the rounding
        if inputs.dtype == torch.float64:
            return F.adjust_gamma(inputs, value)
        return F.adjust_gamma(inputs.double(), value).to(inputs.dtype)


def _per_row(values: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """(N,) values shaped to broadcast over (N, C, H, W) inputs."""
    return values.to(inputs.device, inputs.dtype).view(-1, *[1] * (inputs.dim() - 1))


def _blend(inputs: torch.Tensor, other: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """``values`` (float64, (N,)) of each image and the rest of ``other``, in torchvision's
    floats: its blend multiplies by the ratio and adds ``other`` times ``1 - ratio`` (taken in
    double) in one fused step, which ``addcmul_`` repeats, so a row equals the value alone."""
    rest = _per_row(1.0 - values, inputs)
    return (inputs * _per_row(values, inputs)).addcmul_(other, rest)
