"""A 'model' that fails inside planted boxes of concept space, more widely for fragile inputs."""

from __future__ import annotations

import torch

from ffade.errors import FfadeError
from ffade.plugin_api import Target

DEFAULT_REGIONS: list[dict[int, tuple[float, float]]] = [
    {0: (0.8, 1.0), 1: (0.8, 1.0)},  # a corner: both axes at their extremes
    {0: (0.3, 0.5), 2: (0.0, 0.15)},  # a band low on axis 2
    {0: (0.5, 0.6), 1: (0.2, 0.3), 2: (0.6, 0.7)},  # a one-state island in the interior
]
"""Boxes as {axis: (low, high)}; axes not named are unconstrained."""


class SyntheticTarget(Target):
    """Outputs a margin per input: negative inside a (fragility-inflated) planted box.

    Args:
        regions: planted boxes, each {axis index: [low, high]}; default :data:`DEFAULT_REGIONS`.
        fragility_growth: how far (in axis units) boxes grow for the most fragile inputs.
        seed: fixes which feature directions make an input fragile.
        feature_dim: must match the dataset's ``feature_dim``.
        device: where to compute.
    """

    modality = "synthetic"

    def __init__(
        self,
        regions: list[dict[int, list[float]]] | None = None,
        fragility_growth: float = 0.12,
        seed: int = 0,
        feature_dim: int = 8,
        device: str = "cpu",
    ) -> None:
        super().__init__(device)
        raw = DEFAULT_REGIONS if regions is None else regions
        self.regions = [{int(a): (float(lo), float(hi)) for a, (lo, hi) in r.items()} for r in raw]
        for region in self.regions:
            for axis, (lo, hi) in region.items():
                if lo > hi:
                    raise FfadeError(
                        f"target 'synthetic': region axis {axis} has low {lo} > high {hi}"
                    )
        self.fragility_growth = fragility_growth
        generator = torch.Generator().manual_seed(seed + 1)
        self.direction = torch.randn(feature_dim, generator=generator).to(self.device)

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
