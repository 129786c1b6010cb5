"""A 'model' that fails inside planted boxes of concept space, more widely for fragile inputs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import Target
from ffade_synthetic.data import MOST_VALUES

DEFAULT_REGIONS: list[dict[int, tuple[float, float]]] = [
    {0: (0.8, 1.0), 1: (0.8, 1.0)},  # a corner: both axes at their extremes
    {0: (0.3, 0.5), 2: (0.0, 0.15)},  # a band low on axis 2
    {0: (0.5, 0.6), 1: (0.2, 0.3), 2: (0.6, 0.7)},  # a one-state island in the interior
]
"""Boxes as {axis: (low, high)}; axes not named are unconstrained."""

ISLAND_REGIONS: list[dict[int, tuple[float, float]]] = [
    {0: (0.95, 1.0), 1: (0.95, 1.0), 2: (0.0, 0.45)},
    {0: (0.0, 0.05), 3: (0.55, 0.85), 4: (0.15, 0.25)},
    {1: (0.0, 0.05), 2: (0.95, 1.0), 4: (0.75, 1.0)},
    {1: (0.35, 0.45), 3: (0.15, 0.25), 4: (0.55, 0.65)},
    {0: (0.35, 0.45), 2: (0.35, 0.45), 3: (0.95, 1.0)},
]
"""Five small islands over five axes, each pinning three of them, no two touching.

On a grid of six positions per axis (0, 0.2, ..., 1) they hold 108, 72, 72, 36 and 36 of the
7,776 states (4.2%), and any two lie at least two steps apart on an axis both pin, so they
stay five separate regions; every side lies 0.05 inside a step's gap, so
fragility growth (up to 0.12 by default) leaves them unchanged on that grid. A searcher that
settles on the first islands it finds leaves the others, which is what this landscape tests.
"""

REGION_PRESETS = {"default": DEFAULT_REGIONS, "islands": ISLAND_REGIONS}
"""Named landscapes a config can ask for (``regions: islands``) instead of listing boxes."""


class SyntheticTarget(Target):
    """Outputs a margin per input: negative inside a (fragility-inflated) planted box.

    Args:
        regions: planted boxes, each {axis index: [low, high]} (a side outside [0, 1] is kept:
            it moves which states fail, or lets growth reach in), or the name of a preset in
            :data:`REGION_PRESETS` (``default``: :data:`DEFAULT_REGIONS`; ``islands``:
            :data:`ISLAND_REGIONS`, five small disjoint boxes over five axes).
        fragility_growth: how far (in axis units) boxes grow for the most fragile inputs; a
            negative one shrinks them instead, so that inputs that never fail can be planted
            (a box narrower than twice its shrink vanishes for the inputs it shrinks most).
        seed: fixes which feature directions make an input fragile.
        feature_dim: must match the dataset's ``feature_dim``.
        device: where to compute.
    """

    modality = "synthetic"
    output_kind = "margins"

    def __init__(
        self,
        regions: list[dict[int, list[float]]] | str | None = None,
        fragility_growth: float = 0.12,
        seed: int = 0,
        feature_dim: int = 8,
        device: str = "cpu",
    ) -> None:
        super().__init__(device)
        raw = "default" if regions is None else regions
        if isinstance(raw, str):
            if raw not in REGION_PRESETS:
                raise FfadeError(
                    f"target 'synthetic': regions '{raw}' is not a preset; "
                    f"allowed: {', '.join(REGION_PRESETS)}, or a list of boxes"
                )
            raw = REGION_PRESETS[raw]
        try:
            self.regions = [
                {int(a): (float(lo), float(hi)) for a, (lo, hi) in r.items()} for r in raw
            ]
        except (AttributeError, TypeError, ValueError):
            raise FfadeError(
                f"target 'synthetic': regions must be a preset ({', '.join(REGION_PRESETS)}) or a "
                f"list of boxes {{axis index: [low, high]}}, e.g. [{{0: [0.8, 1.0]}}]; got "
                f"{as_written(raw)}"
            ) from None
        whole = isinstance(feature_dim, int) and not isinstance(feature_dim, bool)
        if not (whole and 1 <= feature_dim <= MOST_VALUES):  # a huge one: torch's error, or RAM
            raise FfadeError(
                f"target 'synthetic': feature_dim must be a whole number from 1 to {MOST_VALUES} "
                f"(the dataset's most), got {as_written(feature_dim)}"
            )
        for region in self.regions:
            for axis, (lo, hi) in region.items():
                # named by the key (regions), as the other checks are; a NaN bound planted a box
                # no input ever fell in, without a word
                if axis < 0:
                    raise FfadeError(
                        f"target 'synthetic': regions name axis {axis}; an axis index is a whole "
                        "number from 0"
                    )
                if not lo <= hi:
                    raise FfadeError(
                        f"target 'synthetic': regions give axis {axis} [{lo}, {hi}]; a box side "
                        "is [low, high], two numbers with low at most high"
                    )
        growth_is_number = isinstance(fragility_growth, (int, float)) and not isinstance(
            fragility_growth, bool
        )
        if not (growth_is_number and math.isfinite(fragility_growth)):
            raise FfadeError(
                f"target 'synthetic': fragility_growth must be a finite number, got "
                f"{as_written(fragility_growth)}"
            )
        self.fragility_growth = fragility_growth
        generator = torch.Generator().manual_seed(seed + 1)
        self.direction = torch.randn(feature_dim, generator=generator).to(self.device)

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Any]) -> None:
        """Refuse, when the task is built, inputs this target cannot read (another dataset's,
        features of another length, fewer axes than a region names): each would fail at the
        first evaluation inside torch."""
        first = inputs[0]
        if not (isinstance(first, dict) and {"features", "coords"} <= set(first)):
            raise FfadeError(
                "target 'synthetic' reads the synthetic dataset's inputs, not "
                f"{type(first).__name__}; use dataset: {{name: synthetic}}"
            )
        dim, axes = first["features"].shape[-1], first["coords"].shape[-1]
        if dim != len(self.direction):
            raise FfadeError(
                f"target 'synthetic': feature_dim is {len(self.direction)}, the dataset's "
                f"feature_dim {dim}; give both the same"
            )
        named = max((axis for region in self.regions for axis in region), default=-1)
        if named >= axes:
            raise FfadeError(
                f"target 'synthetic': regions name axis {named}, but the dataset has {axes} "
                "axes (its num_axes); raise the dataset's num_axes or change regions"
            )

    def fragility(self, features: torch.Tensor) -> torch.Tensor:
        """In (0, 1): how much an input's boxes grow; hidden, though implied by the features."""
        return torch.sigmoid(features @ self.direction)

    def predict(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        coords = inputs["coords"]
        growth = self.fragility_growth * self.fragility(inputs["features"])
        margin = torch.full((coords.shape[0],), float("inf"), device=coords.device)
        for region in self.regions:
            # distance outside the box along its worst axis; negative depth when inside
            outside = torch.zeros_like(margin)
            inside = torch.full_like(margin, float("inf"))
            for axis, (lo, hi) in region.items():
                x = coords[:, axis]
                outside = torch.maximum(
                    outside, torch.clamp(lo - x, min=0) + torch.clamp(x - hi, min=0)
                )
                inside = torch.minimum(inside, torch.minimum(x - lo, hi - x))
            signed = torch.where(outside > 0, outside, -inside.clamp(min=0))
            margin = torch.minimum(margin, signed)
        return margin - growth

    def features(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return inputs["features"]
