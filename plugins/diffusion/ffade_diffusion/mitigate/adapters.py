"""Where the LoRA adapters go, and how large a rank they can use."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch

from ffade.errors import FfadeError

LORA_MODULES = ("to_q", "to_k", "to_v", "to_out.0")
"""The UNet's attention projections that get adapters (diffusers' LoRA example's choice)."""


def adapter_digest(network: torch.nn.Module) -> str:
    """The trained LoRA adapters by their contents: a fine-tune resumed from its checkpoint
    trains the very same adapters, so its images get the same evaluation keys (and a ``human``
    reward's cached answers) as the stopped run's, while other adapters get other keys."""
    digest = hashlib.sha256()
    for name, tensor in sorted(network.state_dict().items()):
        if "lora_" in name:
            digest.update(name.encode() + tensor.detach().cpu().float().numpy().tobytes())
    return digest.hexdigest()[:16]


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


def refuse_loaded_lora(network: torch.nn.Module, target: dict[str, Any], run: Path) -> None:
    """Refuse a UNet that already carries a LoRA (a run that searched a fixed target).

    A new adapter would be the only one active (diffusers' ``add_adapter`` switches the loaded
    one off): the guard's "before" would measure the model without the first fix, the frozen
    UNet teach its predictions, and ``fixed_target`` name only the new LoRA, silently dropping
    the first fix. The target loads one LoRA directory, so one fine-tune fixes every rule.
    """
    if not getattr(network, "peft_config", None):
        return
    loaded = (target.get("args") or {}).get("lora_weights")
    named = f" (lora_weights {str(loaded)!r})" if loaded else ""
    raise FfadeError(
        f"model.init_args.run: run '{run}' searched target '{target['name']}' with a LoRA "
        f"already loaded{named}; a new LoRA would replace it and drop that fix: fine-tune the "
        "run that searched the target without lora_weights, prioritizing every rule to fix"
    )
