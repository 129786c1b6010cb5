"""Degradation concepts: gaussian blur, gaussian noise, occlusion.

Noise and occlusion are random in appearance but deterministic in fact: a generator seeded from
the constructor's ``seed`` draws one noise pattern (or one occluder position) per image shape,
and the value only sets its strength (or size). So the same (input, value) always gives the same
image, whatever batch it arrives in, which memoized evaluations rely on; and neighbouring grid
values are neighbouring images (more noise of the same pattern, a larger square around the same
spot), which keeps failure regions on the grid connected instead of scattered by re-drawn noise.
Change ``seed`` to search a different pattern.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import ClassVar

import torch

from ffade.errors import ConceptValueError, as_written
from ffade_vision._lazy import F
from ffade_vision.concepts._base import RangeConcept, checked_fill, is_number


class GaussianBlur(RangeConcept):
    """Blur with a gaussian kernel of standard deviation ``value`` pixels.

    The kernel spans three standard deviations each side, trimmed to fit small images (the
    border is reflected, which needs the kernel radius to stay below the image size).

    A blur along one axis is a linear map of each row (or column) of pixels, so it is applied as
    a matrix: torchvision's blur of the identity, computed once per (size, sigma). A gaussian is
    separable and reflecting a border commutes with blurring along the other axis, so two such
    products give exactly the square-kernel blur, as two matrix products instead of a k x k
    convolution per pixel, which on small images cost more than a small model's forward pass
    (50 times slower at 28 px, 5 times at 224 px).
    """

    neutral: ClassVar[float] = 0.0
    default_values: ClassVar[Sequence[float]] = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
    low, high, unit = 0.0, 20.0, "a sigma in pixels"

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        # below 0.1 px the kernel is already a single 1 in float32; tinier sigmas underflow to NaN
        sigma = max(value, 0.1)
        height, width = inputs.shape[-2:]
        size = min(2 * math.ceil(3 * sigma) + 1, 2 * min(height, width) - 1)
        along_columns = _blur_matrix(height, size, sigma, inputs.dtype, inputs.device)
        along_rows = _blur_matrix(width, size, sigma, inputs.dtype, inputs.device)
        return along_columns.T @ inputs @ along_rows


@functools.lru_cache(maxsize=64)
def _blur_matrix(
    length: int, size: int, sigma: float, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """(length, length): row j is torchvision's blur of a line of pixels lit only at j."""
    impulses = torch.eye(length, dtype=dtype, device=device).view(length, 1, 1, length)
    blurred = F.gaussian_blur(impulses, kernel_size=[size, 1], sigma=[sigma, 1.0])
    return blurred.view(length, length)


class _SeededConcept(RangeConcept):
    """Shared constructor for concepts drawn from a seeded generator.

    Args:
        values: the grid the explorer may choose from (default: the class's ``default_values``).
        label: the name in records and reports (the registry passes the plugin name).
        seed: fixes the pattern (or position); the same seed always gives the same images.
    """

    def __init__(
        self, values: Sequence[float] | None = None, label: str | None = None, seed: int = 0
    ) -> None:
        super().__init__(values, label)
        if not is_number(seed) or seed != int(seed) or not 0 <= seed < 2**64:
            raise ConceptValueError(
                f"concept '{self.label}': seed {as_written(seed)} is not allowed; expected a "
                "whole number "
                "from 0 to 2**64 - 1"
            )
        self.seed = int(seed)

    def _generator(self) -> torch.Generator:
        # drawn on the CPU and moved once, so CPU and GPU runs see the very same pattern
        return torch.Generator().manual_seed(self.seed)


class GaussianNoise(_SeededConcept):
    """Add ``value`` times a fixed standard-normal pattern, then clip to [0, 1].

    Every image of a batch gets the same pattern (drawn once per image shape from ``seed``).
    """

    neutral: ClassVar[float] = 0.0
    default_values: ClassVar[Sequence[float]] = (0.0, 0.02, 0.05, 0.08, 0.12, 0.16, 0.2, 0.3)
    low, high, unit = 0.0, 1.0, "a noise standard deviation"

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        pattern = torch.randn(inputs.shape[-3:], generator=self._generator())
        return inputs + value * pattern.to(device=inputs.device, dtype=inputs.dtype)


class Occlusion(_SeededConcept):
    """Cover ``value`` of the image area with a gray square at a seeded position.

    The square's relative position is drawn once from ``seed``, and it grows around that spot:
    a larger value's square contains a smaller value's. On non-square images the side is capped
    at the shorter edge, so large values cover less than asked.

    Args:
        values: the grid (default: 0 to 40% of the area).
        label: the name in records and reports.
        seed: fixes where the square sits.
        fill: gray level of the square, in [0, 1].
    """

    neutral: ClassVar[float] = 0.0
    default_values: ClassVar[Sequence[float]] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
    low, high, unit = 0.0, 1.0, "a fraction of the image area"

    def __init__(
        self,
        values: Sequence[float] | None = None,
        label: str | None = None,
        seed: int = 0,
        fill: float = 0.5,
    ) -> None:
        super().__init__(values, label, seed)
        self.fill = checked_fill(self.label, fill)

    def transform(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        height, width = inputs.shape[-2:]
        side = min(max(1, round(math.sqrt(value * height * width))), height, width)
        down, right = torch.rand(2, generator=self._generator()).tolist()
        top, left = round(down * (height - side)), round(right * (width - side))
        gray = torch.tensor(self.fill, dtype=inputs.dtype, device=inputs.device)
        return F.erase(inputs, top, left, side, side, gray)
