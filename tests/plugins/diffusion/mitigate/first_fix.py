"""A LoRA saved as a first fix would save it, for the tests of fixing a target that loads one."""

from __future__ import annotations

from pathlib import Path

from diffusers import DiffusionPipeline
from diffusers.utils import convert_state_dict_to_diffusers
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict


def save_first_fix(pipeline_dir: Path | str, folder: Path) -> Path:
    """A random rank-2 LoRA on ``pipeline_dir``'s UNet, saved in ``folder`` in diffusers' form
    (what a target's ``lora_weights`` loads)."""
    pipeline = DiffusionPipeline.from_pretrained(str(pipeline_dir))
    pipeline.unet.add_adapter(
        LoraConfig(r=2, init_lora_weights="gaussian", target_modules=["to_q", "to_v"])
    )
    type(pipeline).save_lora_weights(
        save_directory=str(folder),
        unet_lora_layers=convert_state_dict_to_diffusers(get_peft_model_state_dict(pipeline.unet)),
    )
    return folder
