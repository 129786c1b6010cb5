"""A tiny CLIP (16 px images, the word-level tokenizer) built from configs, for clip_score."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

from ffade.hf_models import quiet_saving
from ffade_diffusion.tiny.digits import VOCABULARY
from ffade_diffusion.tiny.tokenizer import write_word_tokenizer

IMAGE_SIZE = 16


def build_clip(tokenizer: CLIPTokenizer) -> CLIPModel:
    """Two-layer text and vision towers (4 px patches), 64 wide, projected to 32."""
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": tokenizer.model_max_length,
        **special,
    }
    vision = {
        "image_size": IMAGE_SIZE,
        "patch_size": 4,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
    }
    return CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=32))


def image_processor() -> CLIPImageProcessor:
    """16 px, images mapped from [0, 1] to [-1, 1]: the statistics clip_score reads."""
    return CLIPImageProcessor(
        size={"shortest_edge": IMAGE_SIZE},
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )


def save_clip(model: CLIPModel, tokenizer: CLIPTokenizer, directory: str | Path) -> Path:
    """Save model, tokenizer and image processor where ``CLIPModel.from_pretrained`` finds them."""
    directory = Path(directory)
    with quiet_saving():
        model.save_pretrained(directory)
        tokenizer.save_pretrained(str(directory))
        image_processor().save_pretrained(directory)
    return directory


def save_random_clip(directory: str | Path, max_length: int = 16, seed: int = 0) -> Path:
    """An untrained tiny CLIP saved to ``directory`` (tests load it like any checkpoint);
    ``max_length``: the tokens its text tower reads (77 stands in for OpenAI's CLIP). Its
    weights come from ``seed`` alone, whichever tests drew from torch's generator before."""
    tokenizer = write_word_tokenizer(directory, VOCABULARY, max_length)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_clip(tokenizer)
    return save_clip(model, tokenizer, directory)
