"""Where the LoRA adapters go, and how large a rank they can use."""

from __future__ import annotations

import torch

from ffade.errors import FfadeError

LORA_MODULES = ("to_q", "to_k", "to_v", "to_out.0")
"""The UNet's attention projections that get adapters (diffusers' LoRA example's choice)."""


def check_rank(network: torch.nn.Module, rank: int) -> None:
    """Refuse a rank above every adapted projection's full rank, min(in, out) features.

    A LoRA of rank r adds a (out x r)(r x in) update, which can be at most min(in, out) deep: a
    larger rank adds parameters (memory and time grow with it) that cannot change the update,
    so a typo such as 40000 would only make the fine-tune crawl or run out of memory.
    """
    widths = [
        min(module.in_features, module.out_features)
        for name, module in network.named_modules()
        if isinstance(module, torch.nn.Linear) and name.endswith(LORA_MODULES)
    ]
    if widths and rank > max(widths):
        raise FfadeError(
            f"model.init_args.rank {rank} is above {max(widths)}, the full rank of the UNet's "
            f"widest attention projection ({', '.join(LORA_MODULES)}): a larger rank cannot "
            f"change the update; choose 1 to {max(widths)} (the paper used 4)"
        )
