"""Synthetic inputs: a feature vector each, all starting at position 0 on every axis."""

from __future__ import annotations

from typing import Any

import torch

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import Dataset, disjoint_split_indices

# The features and axis positions are held in memory as float32: 10**8 values are 400 MB. A
# larger size (a typo such as 9223372036854775807) would stop in torch with a traceback.
MOST_VALUES = 10**8


class SyntheticDataset(Dataset):
    """Random feature vectors, split into disjoint seeded discovery/finetune/heldout sets.

    Args:
        num_inputs: inputs in total, before splitting.
        feature_dim: length of each input's feature vector.
        num_axes: concept axes each input carries a position on.
        fractions: shares of the discovery, fine-tuning and held-out splits.
        seed: fixes both the features and the split.
    """

    def __init__(
        self,
        num_inputs: int = 64,
        feature_dim: int = 8,
        num_axes: int = 8,
        fractions: tuple[float, float, float] = (0.5, 0.25, 0.25),
        seed: int = 0,
    ) -> None:
        super().__init__(seed)
        sizes = (("num_inputs", num_inputs), ("feature_dim", feature_dim), ("num_axes", num_axes))
        for key, value in sizes:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise FfadeError(  # else a torch RuntimeError ("negative dimension")
                    f"dataset 'synthetic': {key} must be a whole number, at least 1, got "
                    f"{as_written(value)}"
                )
        values = num_inputs * (feature_dim + num_axes)
        if values > MOST_VALUES:
            raise FfadeError(
                f"dataset 'synthetic': num_inputs {num_inputs} x (feature_dim {feature_dim} + "
                f"num_axes {num_axes}) is {values} values held in memory; at most {MOST_VALUES} "
                "are allowed: lower num_inputs"
            )
        generator = torch.Generator().manual_seed(seed)
        self.features = torch.randn(num_inputs, feature_dim, generator=generator)
        self.num_axes = num_axes
        self.indices = disjoint_split_indices(
            num_inputs, fractions, seed, what="dataset 'synthetic': fractions"
        )

    def split(self, name: str) -> list[tuple[dict[str, torch.Tensor], int]]:
        return [
            ({"features": self.features[i], "coords": torch.zeros(self.num_axes)}, 0)
            for i in self.indices[name].tolist()
        ]

    def describe(self) -> dict[str, Any]:
        return {name: len(idx) for name, idx in self.indices.items()}
