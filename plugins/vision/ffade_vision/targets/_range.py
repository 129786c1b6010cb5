"""Warn when a concept takes images outside [0, 1], the range every image target here reads.

Images are float tensors in [0, 1] (plugins/vision/README.md): targets normalize them with the
model's mean and std, and ffade_vision's concepts clamp what they change to that range. A
third-party concept that does not (a brightness factor 3 without a clamp) hands the model
pixels no photo has, and its failures are the concept's arithmetic, not the model's weakness.
Nothing refuses such a concept (a user may mean it), so the target warns once, before the
search, naming the concept and the value.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch

from ffade.errors import FfadeWarning

SLACK = 1e-5
"""Float rounding past 0 or 1 that is no change of range (a blend's last bit)."""


def warn_outside_unit_range(target: str, inputs: Sequence[Any], concepts: Sequence[Any]) -> None:
    """Apply each concept at each grid value to the first image; warn at the first that leaves
    [0, 1]. An image that is already outside, or a concept that raises here, is left alone:
    the dataset is not the concept's doing, and the pre-search check names a raising concept."""
    first = inputs[0] if len(inputs) else None
    if not (torch.is_tensor(first) and first.is_floating_point()) or not _inside(first):
        return
    for concept in concepts:
        values = list(concept.values)
        batch = first.unsqueeze(0).expand(len(values), *first.shape).clone()
        try:
            changed = concept.apply_each(batch, values)
        except Exception:  # the pre-search check says it, naming the concept and the value
            return
        if not (torch.is_tensor(changed) and changed.is_floating_point()):
            continue
        for value, image in zip(values, changed, strict=False):
            if not _inside(image):
                low, high = image.min().item(), image.max().item()
                warnings.warn(
                    f"concept '{concept.label}' at {value!r} takes the first image's pixels to "
                    f"[{low:.3g}, {high:.3g}], outside the [0, 1] target '{target}' reads "
                    "(plugins/vision/README.md); the model then sees colors no image has: clamp "
                    "what apply returns to [0, 1], as ffade_vision's concepts do",
                    FfadeWarning,
                    stacklevel=2,
                )
                return


def _inside(image: torch.Tensor) -> bool:
    return bool(image.min() >= -SLACK and image.max() <= 1 + SLACK)
