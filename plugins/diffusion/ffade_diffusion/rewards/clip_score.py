"""CLIP score: the cosine between an image and its prompt in a CLIP model's shared space.

As in the paper, a generation fails when the cosine falls below a threshold (0.3 for OpenAI's
CLIP ViT-B/32); the reward is ``scale * (1 - cosine)`` on a failure and -1 otherwise. The model
is any transformers ``CLIPModel`` from a local directory (or a hub id in the Hugging Face cache);
``tiny_digits_clip`` names the one bundled with this plugin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ffade.errors import (
    FfadeError,
    as_written,
    is_number,
    loading_detail,
    require_positive_arg,
)
from ffade.hf_models import check_model_path, check_tokenizer
from ffade.plugin_api import Reward, Scores, usable_device
from ffade.shown_numbers import beside
from ffade.thresholds import as_compared
from ffade_diffusion.paths import check_local_path, quiet_loading
from ffade_diffusion.prompts import (
    Prompt,
    check_prompt_lengths,
    longest_texts,
    tokenize_prompts,
)
from ffade_diffusion.rewards._images import generated

BUNDLED_CLIP = Path(__file__).resolve().parents[1] / "models" / "tiny_digits_clip"
"""The tiny CLIP trained by scripts/train_tiny_digits_clip.py on the captioned digits."""

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def projected(features: Any) -> torch.Tensor:
    """The projected embedding from ``get_*_features`` (a tensor, or transformers 5's output)."""
    return getattr(features, "pooler_output", features)


def load_clip(model: str, local_files_only: bool) -> tuple[Any, Any, tuple, tuple]:
    """The CLIP model, its tokenizer and the image normalization its processor config gives."""
    from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

    path = BUNDLED_CLIP if model == "tiny_digits_clip" else Path(model).expanduser()
    source = str(path) if path.is_dir() else model
    local = local_files_only or path.is_dir()
    try:
        with quiet_loading():
            clip = CLIPModel.from_pretrained(source, local_files_only=local)
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
    except (OSError, ValueError) as exc:  # worded "model ...:" for the config's key to name it
        raise FfadeError(
            f"reward 'clip_score': model {model!r}: cannot load the CLIP model (a local directory, "
            "or a hub id in the Hugging Face cache; local_files_only: false downloads it)"
            f"{loading_detail(exc)}"
        ) from exc
    check_tokenizer(tokenizer, model, "clip_score", kind="reward")
    try:
        processor = CLIPImageProcessor.from_pretrained(source, local_files_only=local)
        mean, std = tuple(processor.image_mean), tuple(processor.image_std)
    except OSError:  # no preprocessor_config.json: CLIP's own statistics
        mean, std = OPENAI_MEAN, OPENAI_STD
    return clip, tokenizer, mean, std


class ClipScore(Reward):
    """Failure when an image's CLIP cosine with its prompt is below ``threshold``.

    Args:
        model: a ``CLIPModel`` directory or cached hub id ("openai/clip-vit-base-patch32"), or
            "tiny_digits_clip" for the bundled one.
        threshold: cosine below which a generation fails (the paper's 0.3 suits ViT-B/32; each
            CLIP model has its own range, so set it from clean generations).
        scale: the reward on a failure is ``scale * (1 - cosine)``.
        device: where CLIP runs.
        local_files_only: never reach the hub.
    """

    path_arguments = ("model",)  # recorded absolute: a resume finds them from anywhere

    output_kinds = ("images",)

    def __init__(
        self,
        model: str,
        threshold: float = 0.3,
        scale: float = 100.0,
        device: str = "cpu",
        local_files_only: bool = True,
    ) -> None:
        # YAML's true is no 1; no cosine is below -1, and an image's embedding is never its
        # prompt's, so at -1 no image could fail and at 1 every one would: a wasted search. The
        # float32 cosine compares -0.99999999 as -1.
        if not is_number(threshold) or not -1 < as_compared(threshold) < 1:
            raise FfadeError(
                "reward 'clip_score': threshold must be a cosine in (-1, 1) (at -1 no image can "
                "fail, at 1 every one does, and so at a number float32 rounds to either), got "
                f"{as_written(threshold)}"
            )
        self.scale = require_positive_arg(self, "reward", "scale", scale)
        if model != "tiny_digits_clip":  # the missing weights first, then the missing device
            check_model_path(model, "clip_score", kind="reward")
            check_local_path(model, "reward 'clip_score'")
        self.device = usable_device(device, "reward 'clip_score'")
        self.clip, self.tokenizer, mean, std = load_clip(model, local_files_only)
        self.clip.to(self.device).eval()
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1)
        self.size = int(self.clip.config.vision_config.image_size)
        self.threshold = float(threshold)

    def cosine(self, images: torch.Tensor, prompts: list[str]) -> torch.Tensor:
        """Cosine of each image (B, 3, H, W) in [0, 1] with its prompt.

        The image is read as CLIP's processor reads it: its shorter side resized to CLIP's
        input size, then the centre cropped square. Squeezed to a square instead, a 512 x 768
        image's shapes were distorted, and its cosine was not the CLIP score others measure."""
        height, width = images.shape[-2:]
        factor = self.size / min(height, width)
        size = (max(self.size, round(height * factor)), max(self.size, round(width * factor)))
        pixels = F.interpolate(images.to(self.device), size=size, mode="bicubic", antialias=True)
        top, left = (size[0] - self.size) // 2, (size[1] - self.size) // 2
        pixels = pixels[..., top : top + self.size, left : left + self.size]
        pixels = (pixels.clamp(0, 1) - self.mean) / self.std
        text = tokenize_prompts(self.tokenizer, prompts, "reward 'clip_score'", padding=True)
        text = text.to(self.device)
        with torch.inference_mode():
            image_embeds = self.clip.get_image_features(pixel_values=pixels)
            text_embeds = self.clip.get_text_features(**text)
        image_embeds, text_embeds = projected(image_embeds), projected(text_embeds)
        return F.cosine_similarity(image_embeds.float(), text_embeds.float(), dim=-1).cpu()

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Any]) -> None:
        """Refuse now, not mid-search, a prompt the grid makes that CLIP cannot judge: one with
        no words (a template of slots alone, each with ``""`` among its values), whose cosine
        with any image says nothing of the image, or one longer than CLIP's text encoder reads
        (its tokenizer may differ from the target's)."""
        if not all(isinstance(p, Prompt) for p in inputs):
            return None  # not a prompt dataset: nothing to see before the outputs
        prompts = list(dict.fromkeys(replace(p, sample=0) for p in inputs))
        words = [len(text.split()) for text in longest_texts(prompts, concepts, _words, min)]
        for prompt, count in zip(prompts, words, strict=True):
            if count == 0:
                raise FfadeError(
                    f"reward 'clip_score': prompt {prompt.template!r} reads as no words when "
                    'each concept adds its fewest ("" in a slot); CLIP\'s cosine with an empty '
                    "prompt says nothing of the image: add words to the prompt outside its slots, "
                    'or drop "" from the slot\'s values (task.concepts)'
                )

        def tokens(texts: list[str]) -> list[int]:
            return [len(ids) for ids in self.tokenizer(texts, verbose=False).input_ids]

        longest = longest_texts(prompts, concepts, tokens)
        check_prompt_lengths(self.tokenizer, longest, "reward 'clip_score'")
        return None

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        images, prompts, _ = generated(outputs, "clip_score")
        cosine = self.cosine(images, prompts)
        failed = cosine < self.threshold
        reward = torch.where(failed, self.scale * (1 - cosine), torch.full_like(cosine, -1.0))
        return Scores(metric=cosine, failed=failed, reward=reward)

    def describe_outputs(self, outputs: Any, references: Any) -> list[str]:
        """How well CLIP finds each image to match its prompt: 'an image at CLIP cosine 0.12
        (failing below 0.3) for "a photo of a nurse"'."""
        images, prompts, _ = generated(outputs, "clip_score")
        limit = self.threshold
        return [
            f'an image at CLIP cosine {beside(c, limit)} (failing below {limit:g}) for "{prompt}"'
            for c, prompt in zip(self.cosine(images, prompts).tolist(), prompts, strict=True)
        ]


def _words(texts: list[str]) -> list[int]:
    """How many words each text has, as the prompt's single-spaced text splits."""
    return [len(text.split()) for text in texts]
