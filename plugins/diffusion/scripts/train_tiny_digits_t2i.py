"""Train the bundled tiny text-to-image model on captioned digits, reproducibly, on one CPU thread.

The result is an ordinary diffusers ``StableDiffusionPipeline`` (``DiffusionPipeline
.from_pretrained`` loads it): a CLIP tokenizer over a small word list, a tiny ``CLIPTextModel``,
a tiny ``AutoencoderKL`` (16 px RGB to an 8x8x4 latent) and a tiny ``UNet2DConditionModel``, so
every code path of the real Stable Diffusion target and LoRA fine-tuner runs on it. Training has two
phases: the autoencoder alone, then the text encoder and the UNet together on its latents, with
10% of captions dropped so classifier-free guidance works. The denoiser's learning rate warms up
and then falls to zero on a cosine, and the saved weights are an exponential moving average of
the trained ones: with so few steps, both make the difference between smudges and digits.
Plain training on all 1797 digits: what the model gets wrong (rare style words, unknown words,
few steps, low guidance) is its own weakness.

Run from the repository root (about 25 minutes on one CPU thread: 1,526 s here, beside another job):

    python plugins/diffusion/scripts/train_tiny_digits_t2i.py

It overwrites ``plugins/diffusion/ffade_diffusion/models/tiny_digits_t2i/`` and writes what the
shipped digits classifier reads in its samples to ``TRAINING.txt`` there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.models.attention_processor import AttnProcessor
from ffade_diffusion.tiny.digits import DIGIT_WORDS, VOCABULARY, captioned_digits
from ffade_diffusion.tiny.pipeline import (
    BETA_SCHEDULE,
    TRAIN_TIMESTEPS,
    assemble,
    build_text_encoder,
    build_unet,
    build_vae,
)
from ffade_diffusion.tiny.tokenizer import write_word_tokenizer
from transformers import CLIPTextModel

from ffade import registry
from ffade.errors import OneLineParser, whole_number_from_1
from ffade.hf_models import quiet_saving

OUT = Path(__file__).resolve().parents[1] / "ffade_diffusion" / "models" / "tiny_digits_t2i"
BATCH = 128
LEARNING_RATE = 2e-3
EMA_DECAY = 0.995
CHECK_EVERY = 200
"""Denoiser steps between judge checks of the averaged weights (printed while training)."""


def train_autoencoder(vae: AutoencoderKL, images: torch.Tensor, steps: int, seed: int) -> float:
    """Reconstruction (L1 + MSE) with a light KL term; returns the latents' scaling factor."""
    optimizer = torch.optim.AdamW(vae.parameters(), lr=2e-3)
    shuffle = torch.Generator().manual_seed(seed)
    pixels = images * 2 - 1
    for step in range(1, steps + 1):
        batch = pixels[torch.randint(len(pixels), (64,), generator=shuffle)]
        posterior = vae.encode(batch).latent_dist
        recon = vae.decode(posterior.sample()).sample
        loss = F.l1_loss(recon, batch) + F.mse_loss(recon, batch) + 1e-6 * posterior.kl().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            print(f"autoencoder step {step}: loss {loss.item():.4f}", flush=True)
    with torch.no_grad():
        latents = vae.encode(pixels).latent_dist.mode()
    return float(1 / latents.std())


def train_denoiser(
    text_encoder: CLIPTextModel,
    unet: UNet2DConditionModel,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    steps: int,
    seed: int,
    check: Callable[[int], None],
) -> None:
    """Epsilon prediction on noised latents; 10% of captions replaced by the empty prompt.

    ``data`` is (latents, caption ids, the empty caption's ids). The moving average replaces
    the trained weights at the end; ``check(step)`` runs on it every ``CHECK_EVERY`` steps.
    """
    latents, ids, empty_ids = data
    scheduler = DDPMScheduler(num_train_timesteps=TRAIN_TIMESTEPS, beta_schedule=BETA_SCHEDULE)
    params = [*text_encoder.parameters(), *unet.parameters()]
    average = [p.detach().clone() for p in params]
    optimizer = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=1e-4)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / steps)),
    )
    generator = torch.Generator().manual_seed(seed)
    for step in range(1, steps + 1):
        rows = torch.randint(len(latents), (BATCH,), generator=generator)
        batch_ids = ids[rows].clone()
        batch_ids[torch.rand(len(rows), generator=generator) < 0.1] = empty_ids
        clean = latents[rows]
        noise = torch.randn(clean.shape, generator=generator)
        t = torch.randint(TRAIN_TIMESTEPS, (len(rows),), generator=generator)
        states = text_encoder(batch_ids).last_hidden_state
        prediction = unet(scheduler.add_noise(clean, noise, t), t, states).sample
        loss = F.mse_loss(prediction, noise)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        with torch.no_grad():
            for kept, p in zip(average, params, strict=True):
                kept.lerp_(p.detach(), 1 - decay)
        if step % 50 == 0:
            print(f"denoiser step {step}: loss {loss.item():.4f}", flush=True)
        if step % CHECK_EVERY == 0 or step == steps:
            _swap(params, average)
            check(step)
            if step < steps:
                _swap(params, average)


def _swap(params: list[torch.nn.Parameter], average: list[torch.Tensor]) -> None:
    """Exchange the trained weights and their moving average in place."""
    with torch.no_grad():
        for p, kept in zip(params, average, strict=True):
            trained = p.detach().clone()
            p.copy_(kept)
            kept.copy_(trained)


def judge_samples(pipeline: StableDiffusionPipeline, steps: int, seeds: int) -> float:
    """Share of "a handwritten <digit>" samples the shipped digits classifier reads right."""
    judge = registry.create("target", "digits_cnn")
    correct = 0
    for label, word in enumerate(DIGIT_WORDS):
        generator = torch.Generator().manual_seed(label)
        with torch.no_grad():
            images = pipeline(
                [f"a handwritten {word}"] * seeds,
                num_inference_steps=steps,
                guidance_scale=3.0,
                generator=generator,
                output_type="pt",
            ).images
            correct += int((judge.predict(images).argmax(-1) == label).sum())
    return correct / (10 * seeds)


def judge_reconstructions(vae: AutoencoderKL, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of the digits the classifier reads right after the autoencoder: the ceiling."""
    judge = registry.create("target", "digits_cnn")
    with torch.no_grad():
        decoded = vae.decode(vae.encode(images * 2 - 1).latent_dist.mode()).sample
        predicted = judge.predict((decoded / 2 + 0.5).clamp(0, 1)).argmax(-1)
    return float((predicted == labels).float().mean())


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--autoencoder-steps", type=whole_number_from_1, default=150)
    parser.add_argument("--denoiser-steps", type=whole_number_from_1, default=2000)
    parser.add_argument("--threads", type=whole_number_from_1, default=1, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    images, labels, captions = captioned_digits()
    tokenizer = write_word_tokenizer(args.out / "tokenizer", VOCABULARY)

    def encode(texts: list[str]) -> torch.Tensor:
        return tokenizer(
            texts, padding="max_length", truncation=True, return_tensors="pt"
        ).input_ids

    text_encoder, vae, unet = build_text_encoder(tokenizer), build_vae(), build_unet()
    unet.set_attn_processor(AttnProcessor())  # faster than SDPA at these sizes on CPU
    scaling = train_autoencoder(vae, images, args.autoencoder_steps, args.seed)
    vae.register_to_config(scaling_factor=scaling)
    ceiling = judge_reconstructions(vae, images, labels)
    print(f"digits_cnn reads {100 * ceiling:.1f}% of the autoencoder's reconstructions", flush=True)
    with torch.no_grad():
        latents = vae.encode(images * 2 - 1).latent_dist.mode() * scaling
    pipeline = assemble(tokenizer, text_encoder, vae, unet)

    def check(step: int) -> None:
        accuracy = judge_samples(pipeline, 10, seeds=5)
        print(f"denoiser step {step}: judge accuracy {100 * accuracy:.0f}% (10 steps)", flush=True)

    data = (latents, encode(captions), encode([""])[0])
    train_denoiser(text_encoder, unet, data, args.denoiser_steps, args.seed, check)
    pipeline = assemble(tokenizer, text_encoder, vae, unet)
    with quiet_saving():  # a tiny model's one shard: no progress to watch
        pipeline.save_pretrained(args.out)
    accuracy = {n: judge_samples(pipeline, n, seeds=20) for n in (5, 10, 20)}
    report = (
        f"trained {args.autoencoder_steps} autoencoder and {args.denoiser_steps} denoiser steps "
        f"in {time.perf_counter() - started:.0f} s on {args.threads} CPU thread(s) "
        f"(seed {args.seed}); autoencoder latent scaling {scaling:.3f}\n"
        f"digits_cnn reads {100 * ceiling:.1f}% of the autoencoder's reconstructions of the "
        "1797 training digits\n"
        + "".join(
            f"digits_cnn reads 'a handwritten <digit>' right in {100 * a:.0f}% of 200 samples "
            f"at {n} steps, guidance 3\n"
            for n, a in accuracy.items()
        )
    )
    (args.out / "TRAINING.txt").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
