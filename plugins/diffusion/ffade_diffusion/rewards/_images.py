"""What the image rewards share: checking the target, reading its outputs."""

from __future__ import annotations

from typing import Any

import torch

from ffade.errors import FfadeError


def generated(outputs: Any, reward: str) -> tuple[torch.Tensor, list[str], list[str]]:
    """The images (B, 3, H, W) in [0, 1], prompts and keys a text-to-image target returned."""
    if not (isinstance(outputs, dict) and {"images", "prompts"} <= set(outputs)):
        raise FfadeError(
            f"reward '{reward}': outputs must come from a text-to-image target "
            "(diffusers_pipeline, tiny_digits_t2i)"
        )
    prompts = list(outputs["prompts"])
    return outputs["images"].float(), prompts, list(outputs.get("keys", prompts))
