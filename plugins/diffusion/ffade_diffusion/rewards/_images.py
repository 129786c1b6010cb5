"""What the image rewards share: checking the target, reading its outputs."""

from __future__ import annotations

from typing import Any

import torch

from ffade.errors import FfadeError
from ffade.plugin_api import Reward, Target
from ffade.plugin_checks import check_output_kind


def check_images_target(reward: Reward, target: Target) -> None:
    """Refuse, when the task is built, a target that declares outputs other than images."""
    check_output_kind(
        reward,
        target,
        ["images"],
        {
            "class_scores": "a classifier takes misclassification, accuracy_drop or label_flip",
            "texts": "a summarizer takes bleu_drop, rougel_drop, bleu or rougel",
        },
    )


def generated(outputs: Any, reward: str) -> tuple[torch.Tensor, list[str], list[str]]:
    """The images (B, 3, H, W) in [0, 1], prompts and keys a text-to-image target returned."""
    if not (isinstance(outputs, dict) and {"images", "prompts"} <= set(outputs)):
        raise FfadeError(
            f"reward '{reward}': outputs must come from a text-to-image target "
            "(diffusers_pipeline, tiny_digits_t2i)"
        )
    prompts = list(outputs["prompts"])
    return outputs["images"].float(), prompts, list(outputs.get("keys", prompts))
