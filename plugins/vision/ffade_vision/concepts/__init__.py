"""Image concepts, one module per family: geometry, color, degrade.

All act on float images in [0, 1] shaped (..., C, H, W), before any normalization, and change a
whole batch with one value at once on the batch's device.
"""

from __future__ import annotations

from ffade_vision.concepts.color import Brightness, Contrast, Gamma, Hue, Saturation
from ffade_vision.concepts.degrade import GaussianBlur, GaussianNoise, Occlusion
from ffade_vision.concepts.geometry import Rotation, Scale, Translation

__all__ = [
    "Brightness",
    "Contrast",
    "Gamma",
    "GaussianBlur",
    "GaussianNoise",
    "Hue",
    "Occlusion",
    "Rotation",
    "Saturation",
    "Scale",
    "Translation",
]
