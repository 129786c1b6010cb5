"""Where the LoRA adapters go, how large a rank they can use, how they are saved and keyed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch

from ffade.errors import FfadeError
from ffade.records import atomic_path
from ffade_diffusion.targets.loading import fingerprint, lora_digest

LORA_MODULES = ("to_q", "to_k", "to_v", "to_out.0")
"""The UNet's attention projections that get adapters (diffusers' LoRA example's choice)."""


def save_lora(network: torch.nn.Module, pipeline: Any, directory: Path) -> Path:
    """Write ``network``'s adapters to ``directory`` in diffusers' LoRA format, under the name
    ``pipeline.load_lora_weights(directory)`` reads; return the directory.

    The adapters' config goes with them: without it diffusers loaded an ``alpha`` other than
    the rank as alpha = rank, so the fixed target drew with another scale than the guard
    measured. Its lists are sorted (diffusers writes a set in hash order), so the same adapters
    make the same bytes in every process, as the keys of their images need."""
    from diffusers.loaders.lora_base import LORA_WEIGHT_NAME_SAFE
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft.utils import get_peft_model_state_dict

    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(network))
    config = next(iter(network.peft_config.values())).to_dict()
    metadata = {k: sorted(v) if isinstance(v, set) else v for k, v in config.items()}
    with atomic_path(directory / LORA_WEIGHT_NAME_SAFE) as tmp:
        type(pipeline).save_lora_weights(
            save_directory=str(directory),
            unet_lora_layers=layers,
            unet_lora_adapter_metadata=metadata,
            weight_name=tmp.name,
            safe_serialization=True,
        )
    return directory


def lora_fingerprint(target: Any, network: torch.nn.Module) -> str:
    """The digest the target, given the saved LoRA as ``lora_weights``, keys its images with.

    The LoRA is written as an accepted fix saves it and digested as the target digests that
    folder, so the guard's images of the trained LoRA and a rediscovery's images of the fixed
    target share keys (a ``human`` reward is not asked again), a resumed fine-tune's adapters
    (the same tensors) key as the stopped run's, and other adapters key apart.
    """
    with tempfile.TemporaryDirectory(prefix="ffade-lora-") as folder:
        digest = lora_digest(save_lora(network, target.pipeline, Path(folder)))
    settings = getattr(target, "image_settings", None)
    if settings is None:  # a diffusers target that keys its images some other way
        return f"{getattr(target, 'fingerprint', '')}+lora:{digest}"
    return fingerprint(**{**settings, "lora": digest})


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
    if getattr(network, "peft_config", None):
        loaded = (target.get("args") or {}).get("lora_weights")
        raise FfadeError(
            f"model.init_args.run: run '{run}' searched {_loaded(target['name'], loaded)}: "
            "fine-tune the run that searched the target without lora_weights, prioritizing "
            "every rule to fix"
        )


def refuse_loaded_lora_before_discovery(target: Any) -> None:
    """:func:`refuse_loaded_lora` for ``ffade loop``, on the discovery's target as built,
    before the discovery: there is no run yet to name, and the fix is the discover config's."""
    if getattr(getattr(target, "model", None), "peft_config", None):
        name = getattr(target, "plugin_name", None) or type(target).__name__
        loaded = getattr(target, "lora_weights", None)
        raise FfadeError(
            f"the discovery searches {_loaded(name, loaded)}: discover the target without "
            "lora_weights, prioritizing every rule to fix"
        )


def _loaded(name: str, loaded: Any) -> str:
    """The words both refusals share: which target, with which LoRA, and why not another."""
    named = f" (lora_weights {str(loaded)!r})" if loaded else ""
    return (
        f"target '{name}' with a LoRA already loaded{named}; a new LoRA would replace it and "
        "drop that fix"
    )
