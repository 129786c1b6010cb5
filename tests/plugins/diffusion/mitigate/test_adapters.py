"""One key for one LoRA's images: the fine-tuner's guard keys the trained adapters as the target
keys the saved LoRA given as ``lora_weights`` (what rediscovery of the fixed target loads), so a
``human`` reward's ratings of the guard's images serve the rediscovery, and other adapters key
apart."""

from __future__ import annotations

from pathlib import Path

import torch
from ffade_diffusion.mitigate.adapters import LORA_MODULES, lora_fingerprint, save_lora
from ffade_diffusion.targets.loading import lora_digest
from peft import LoraConfig

from ffade import registry

ARGS = {"num_inference_steps": 2, "cpu_threads": 1}


def test_the_trained_lora_keys_as_the_target_that_loads_it(
    tiny_pipeline: Path, tmp_path: Path
) -> None:
    target = registry.create("target", "diffusers_pipeline", {"model": str(tiny_pipeline), **ARGS})
    unet = target.pipeline.unet
    torch.manual_seed(0)
    config = LoraConfig(
        r=2, lora_alpha=8, init_lora_weights="gaussian", target_modules=list(LORA_MODULES)
    )
    unet.add_adapter(config)
    with torch.no_grad():  # B = 0 at start: give the LoRA an update, as training would
        for name, weight in unet.named_parameters():
            if "lora_B" in name:
                weight.normal_()
    key = lora_fingerprint(target, unet)
    lora = save_lora(unet, target.pipeline, tmp_path / "lora")
    fixed = registry.create(
        "target",
        "diffusers_pipeline",
        {"model": str(tiny_pipeline), "lora_weights": str(lora), **ARGS},
    )
    assert fixed.fingerprint == key != target.fingerprint  # the same LoRA: one key
    # and one key, one image: the loaded LoRA predicts as the trained one, alpha 8 included
    # (diffusers loaded a LoRA saved without its config as alpha = rank, a quarter the scale)
    latents, states = torch.randn(1, 4, 8, 8), torch.randn(1, 16, 64)
    with torch.no_grad():
        trained = unet(latents, 5, states).sample
        loaded = fixed.pipeline.unet(latents, 5, states).sample
    assert torch.allclose(trained, loaded, atol=1e-6)
    assert lora_fingerprint(target, unet) == key  # the same adapters again: the same key
    with torch.no_grad():
        next(w for n, w in unet.named_parameters() if "lora_B" in n).add_(1.0)
    assert lora_fingerprint(target, unet) != key  # other adapters: another key


def test_the_key_leaves_out_peft_s_version_but_not_what_the_adapters_compute(
    tiny_pipeline: Path, tmp_path: Path
) -> None:
    """The saved config records peft's version: a fine-tune resumed after a peft upgrade keyed
    the same adapters apart, and ``human`` asked for their ratings again."""
    target = registry.create("target", "diffusers_pipeline", {"model": str(tiny_pipeline), **ARGS})
    unet = target.pipeline.unet
    config = LoraConfig(r=2, lora_alpha=8, target_modules=list(LORA_MODULES), peft_version="0.17.0")
    unet.add_adapter(config)
    saved = unet.peft_config["default"]

    def key(name: str) -> str:
        lora = save_lora(unet, target.pipeline, tmp_path / name)
        assert saved.peft_version in (lora / "pytorch_lora_weights.safetensors").read_text(
            "latin-1"
        )
        return lora_digest(lora)

    before = key("before")
    saved.peft_version = "0.99.0"  # the same adapters, saved by a newer peft
    assert key("upgraded") == before
    saved.lora_alpha = 16  # twice the scale: another model
    assert key("alpha") != before
