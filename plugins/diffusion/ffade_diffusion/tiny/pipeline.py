"""A tiny Stable Diffusion pipeline built from configs, as diffusers' own tests build theirs.

The bundled ``tiny_digits_t2i`` is this pipeline trained on captioned digits; tests save it
with random weights and load it through the same ``DiffusionPipeline.from_pretrained`` path
a real Stable Diffusion checkpoint takes, so every code path runs offline in seconds.
"""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    DPMSolverMultistepScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from ffade.hf_models import quiet_saving
from ffade_diffusion.tiny.digits import VOCABULARY
from ffade_diffusion.tiny.tokenizer import write_word_tokenizer

TRAIN_TIMESTEPS = 1000
BETA_SCHEDULE = "squaredcos_cap_v2"


def build_text_encoder(tokenizer: CLIPTokenizer) -> CLIPTextModel:
    """A two-layer CLIP text encoder, 64 wide, over ``tokenizer``'s vocabulary."""
    return CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=tokenizer.model_max_length,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )


def build_vae() -> AutoencoderKL:
    """16 px RGB to an 8x8x4 latent and back."""
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(16, 32),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=16,
    )


def build_unet() -> UNet2DConditionModel:
    """A two-level UNet on 8x8x4 latents with cross-attention to 64-wide text states.

    Attention runs only on the 4x4 level and the middle: at 8x8 it cost more than half of a
    training step on CPU and added little for 16 px digits, while width (32, 64) did.
    """
    return UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=64,
        attention_head_dim=16,
        norm_num_groups=8,
    )


def assemble(
    tokenizer: CLIPTokenizer,
    text_encoder: CLIPTextModel,
    vae: AutoencoderKL,
    unet: UNet2DConditionModel,
) -> StableDiffusionPipeline:
    """The parts as a Stable Diffusion pipeline sampling with DPM-Solver (good in few steps)."""
    scheduler = DPMSolverMultistepScheduler(
        num_train_timesteps=TRAIN_TIMESTEPS, beta_schedule=BETA_SCHEDULE, steps_offset=1
    )
    pipeline = StableDiffusionPipeline(
        vae=vae.eval(),
        text_encoder=text_encoder.eval(),
        tokenizer=tokenizer,
        unet=unet.eval(),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def save_random_pipeline(directory: str | Path, max_length: int = 16, seed: int = 0) -> Path:
    """Save an untrained tiny pipeline to ``directory`` (tests load it like any checkpoint);
    ``max_length``: the tokens its text encoder reads (77 stands in for Stable Diffusion's).
    Its weights come from ``seed`` alone, not from whatever drew from torch's generator before,
    so a test that builds one sees the same pipeline whichever tests ran first."""
    directory = Path(directory)
    tokenizer = write_word_tokenizer(directory / "tokenizer", VOCABULARY, max_length)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        pipeline = assemble(tokenizer, build_text_encoder(tokenizer), build_vae(), build_unet())
    with quiet_saving():
        pipeline.save_pretrained(directory)
    return directory
