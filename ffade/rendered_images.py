"""A target's ``render``, checked: the images a run saves as its worst examples.

Pictures are saved clipped to [0, 1]: uint8 pixels or floats up to 255 (what torchvision's
``read_image`` gives) came out as white squares without a word, so they are refused in one line
at the first batch. NaN or inf pixels are let through: a generator that diverged renders them,
a failure worth seeing rather than a plugin's slip.
"""

from __future__ import annotations

from typing import Any

import torch

from ffade.errors import PluginError
from ffade.plugin_api import Target
from ffade.plugin_names import plugin_label
from ffade.written import a_type


def rendered(target: Target, inputs: Any, size: int) -> torch.Tensor | None:
    """``target.render(inputs)``: None, or ``(batch, 3, H, W)`` images, else one line."""
    images = target.render(inputs)
    if images is None:
        return None
    shape = tuple(images.shape) if isinstance(images, torch.Tensor) else None
    if shape is None or len(shape) != 4 or shape[0] != size or shape[1] != 3:
        got = f"shape {shape}" if shape is not None else a_type(images)
    elif not images.is_floating_point() or not _in_unit_range(images):
        low, high = (float(v) for v in images.aminmax())  # saved clipped: 255 is a white square
        got = f"{str(images.dtype).removeprefix('torch.')} images from {low:g} to {high:g}"
    else:
        return images
    raise PluginError(
        f"target '{plugin_label(target)}': render() returned {got} "
        f"for a batch of {size} inputs; return ({size}, 3, H, W) images in [0, 1], or None"
    )


def _in_unit_range(images: torch.Tensor) -> bool:
    """Whether the finite pixels lie in [0, 1], give or take rounding (NaN, inf: let through)."""
    finite = images[torch.isfinite(images)]
    return finite.numel() == 0 or -0.01 <= float(finite.min()) <= float(finite.max()) <= 1.01
