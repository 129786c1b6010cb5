"""Any diffusers text-to-image pipeline as an ffade target.

Inputs are :class:`~ffade_diffusion.prompts.Prompt` records (already changed by concepts);
``predict`` returns the generated images with the prompts they came from. Prompts that share a
guidance scale and step count are generated as one batch. Each image's starting noise is drawn
from a CPU generator seeded by the prompt's key (which encodes the input and the concept state)
and the target's ``seed``, so an evaluation gives the same image on every run and device, and
ffade may memoize it. ``features`` is the text encoder's mean-pooled embedding of the prompt
as the dataset gave it, which says what is asked for and nothing of how the image turns out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar

import torch

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import Concept, Target, load_weights
from ffade.threads import cpu_threads, require_cpu_threads
from ffade_diffusion.concepts import (
    GuidanceScale,
    InferenceSteps,
    check_distinct_fields,
    warn_unfilled_slots,
)
from ffade_diffusion.paths import check_local_path
from ffade_diffusion.prompts import (
    Prompt,
    check_prompt_lengths,
    longest_texts,
    tokenize_prompts,
)
from ffade_diffusion.targets.loading import (
    DTYPES,
    check_size,
    check_weights_kind,
    file_identity,
    fingerprint,
    load_pipeline,
    lora_digest,
    set_scheduler,
)
from ffade_diffusion.targets.lora_loading import load_lora

BUNDLED_T2I = Path(__file__).resolve().parents[1] / "models" / "tiny_digits_t2i"
"""The tiny digits text-to-image pipeline trained by scripts/train_tiny_digits_t2i.py."""


class DiffusersPipeline(Target):
    """A diffusers text-to-image pipeline (Stable Diffusion and its kin), by path or hub id.

    Args:
        model: a directory saved by ``save_pretrained``, or a hub id
            ("CompVis/stable-diffusion-v1-4").
        scheduler: a diffusers scheduler class name to sample with ("DPMSolverMultistepScheduler");
            None keeps the pipeline's.
        scheduler_args: settings passed to that scheduler's ``from_config``.
        num_inference_steps: sampler steps, unless a concept sets them per prompt.
        guidance_scale: classifier-free guidance, unless a concept sets it per prompt.
        height: image height in pixels (None: the pipeline's default).
        width: image width in pixels (None: the pipeline's default).
        negative_prompt: what guidance steers away from ("" by default).
        seed: mixed into every image's noise seed; change it to draw other images.
        weights: a ``torch.save(unet.state_dict())`` file loaded over the UNet (what a full
            fine-tune would save; the LoRA fine-tuner writes ``lora_weights`` instead).
        lora_weights: a directory with diffusers LoRA weights
            (``pytorch_lora_weights.safetensors``),
            loaded with ``load_lora_weights``: what the LoRA fine-tuner writes.
        local_files_only: never reach the hub (a hub id must be in the Hugging Face cache).
        device: where the pipeline runs.
        dtype: "float32", "bfloat16" or "float16".
        cpu_threads: torch CPU threads while generating, and while a LoRA fine-tune trains the
            UNet (None: torch's default).
    """

    # recorded absolute: a resume finds them from anywhere
    path_arguments = ("model", "weights", "lora_weights")

    modality: ClassVar[str] = "text-to-image"
    output_kind = "images"
    _name: ClassVar[str] = "diffusers_pipeline"
    """The name errors use before the registry sets ``plugin_name``."""

    def __init__(
        self,
        model: str,
        scheduler: str | None = None,
        scheduler_args: dict[str, Any] | None = None,
        num_inference_steps: int = 50,
        guidance_scale: float = 7.5,
        height: int | None = None,
        width: int | None = None,
        negative_prompt: str = "",
        seed: int = 0,
        weights: str | None = None,
        lora_weights: str | None = None,
        local_files_only: bool = True,
        device: str = "cpu",
        dtype: str = "float32",
        cpu_threads: int | None = None,
    ) -> None:
        name = self._name
        # the weights before the device: without either (configs/sd14.yaml on a laptop), the
        # first line a user reads should name the download, the step everything else waits on
        check_local_path(str(model), f"target '{name}'")
        super().__init__(device)
        if dtype not in DTYPES:
            raise FfadeError(
                f"target '{name}': dtype {as_written(dtype)} is not allowed; choose one of "
                f"{', '.join(DTYPES)}"
            )
        if dtype == "float16" and torch.device(self.device).type == "cpu":
            raise FfadeError(  # diffusers' float16 UNet draws NaN there: every image 'invalid'
                f"target '{name}': dtype 'float16' does not run on the CPU (every image comes "
                "out NaN); set dtype: float32 (or bfloat16), or a cuda device"
            )
        if num_inference_steps < 1:
            raise FfadeError(
                f"target '{name}': num_inference_steps must be at least 1, "
                f"got {num_inference_steps}"
            )
        require_cpu_threads(cpu_threads, name)
        if not isinstance(negative_prompt, str):  # diffusers refused it only when generating
            raise FfadeError(
                f"target '{name}': negative_prompt must be text (\"\" for none), "
                f"got {as_written(negative_prompt)}"
            )
        if scheduler_args is not None and not isinstance(scheduler_args, Mapping):
            raise FfadeError(  # dict() of a word or a list said "dictionary update sequence"
                f"target '{name}': scheduler_args must map argument names to values, e.g. "
                f"{{use_karras_sigmas: true}}; got {as_written(scheduler_args)}"
            )
        if not 0 <= float(guidance_scale) <= 100:  # the guidance_scale concept's range
            raise FfadeError(
                f"target '{name}': guidance_scale must be in [0, 100] (1 or less: no guidance), "
                f"got {as_written(guidance_scale)}"
            )
        check_weights_kind(weights, lora_weights, name)  # before the minutes a model may load
        self.model_name = str(model)
        self.pipeline = load_pipeline(str(model), DTYPES[dtype], local_files_only, name)
        check_size(self.pipeline, height, width, name)
        if scheduler is not None:
            set_scheduler(self.pipeline, scheduler, dict(scheduler_args or {}), name)
        elif scheduler_args:
            raise FfadeError(
                f"target '{name}': scheduler_args need a scheduler (a diffusers class name); "
                "to change the pipeline's own, name its class"
            )
        if weights is not None:
            load_weights(self.pipeline.unet, weights, name)
        if lora_weights is not None:
            load_lora(self.pipeline, lora_weights, name)
        self.lora_weights = lora_weights
        """The LoRA directory loaded, if any: the LoRA fine-tuner's refusal names it."""
        self.pipeline.to(self.device)
        self.num_inference_steps = int(num_inference_steps)
        self.guidance_scale = float(guidance_scale)
        self.height = (
            height or self.pipeline.unet.config.sample_size * self.pipeline.vae_scale_factor
        )
        self.width = width or self.pipeline.unet.config.sample_size * self.pipeline.vae_scale_factor
        self.negative_prompt = negative_prompt
        self.seed = int(seed)
        self.cpu_threads = cpu_threads
        self.image_settings: dict[str, Any] = dict(
            model=self.model_name,
            scheduler=type(self.pipeline.scheduler).__name__,
            scheduler_args=scheduler_args or {},
            steps=self.num_inference_steps,
            guidance=self.guidance_scale,
            size=[self.height, self.width],
            negative_prompt=negative_prompt,
            weights=None if weights is None else file_identity(Path(weights)),
            lora=None if lora_weights is None else lora_digest(Path(lora_weights)),
        )
        """What decides an image besides its prompt and seed: a LoRA fine-tune keys its guard's
        images as this target with ``lora_weights`` the saved LoRA would key them."""
        self.fingerprint = fingerprint(**self.image_settings)
        """What else decides an image: each evaluation's key holds it, so a rating cached for
        one model (or LoRA, or sampler) is never reused for another's image."""

    @property
    def model(self) -> torch.nn.Module:
        """The UNet: what fine-tuners train (see ffade.plugin_api.TrainableTarget)."""
        return self.pipeline.unet

    def preprocess(self, inputs: Sequence[Prompt]) -> torch.Tensor:
        """The UNet's conditioning for each prompt: the text encoder's states (B, L, d)."""
        _check_prompts(inputs, self._name)
        texts = [p.text for p in inputs]
        ids = tokenize_prompts(self.pipeline.tokenizer, texts, f"target '{self._name}'").input_ids
        return self.pipeline.text_encoder(ids.to(self.device))[0]

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Concept]) -> None:
        """Refuse now, not mid-search, a prompt the concepts make longer than the text encoder
        reads: each prompt with every concept's longest words must fit."""
        self.check_neutral_settings(concepts)
        check_distinct_fields(concepts)
        _check_prompts(inputs, self._name)  # now, not at the first evaluation
        tokenizer = self.pipeline.tokenizer

        def count(texts: list[str]) -> list[int]:
            return [len(ids) for ids in tokenizer(texts, verbose=False).input_ids]

        texts = longest_texts(inputs, concepts, count)
        check_prompt_lengths(tokenizer, texts, f"target '{self._name}'")
        warn_unfilled_slots(inputs, concepts)  # said once the task is sure to run

    def check_neutral_settings(self, concepts: Sequence[Concept]) -> None:
        """Refuse a sampler concept whose neutral value is not this target's own setting.

        ffade never applies a neutral value, so the neutral state is drawn with the target's
        setting: with ``guidance_scale`` values [1, 3, 7.5] and the default neutral 7.5 on a
        target at 3, the state labelled 7.5 would be drawn at 3, silently.
        """
        own = {GuidanceScale: ("guidance_scale", self.guidance_scale)}
        own[InferenceSteps] = ("num_inference_steps", self.num_inference_steps)
        for concept in concepts:
            setting = own.get(type(concept))
            if setting is not None and concept.neutral != setting[1]:
                raise FfadeError(  # worded so that a config's keys name both (checks_by_key)
                    f"target '{self._name}': {setting[0]} is {setting[1]}, but concept "
                    f"'{concept.label}' has neutral {concept.neutral}, a value ffade never "
                    f"applies: its states would be drawn with {setting[0]} {setting[1]}; set the "
                    f"concept's neutral: {setting[1]}"
                )

    def threads(self) -> AbstractContextManager[None]:
        """Run a block on :attr:`cpu_threads` CPU threads, then restore the previous count."""
        return cpu_threads(self.device, self.cpu_threads)

    def settings(self, prompt: Prompt) -> tuple[float, int]:
        """The (guidance scale, steps) a prompt is sampled with: its own, else the target's."""
        guidance = self.guidance_scale if prompt.guidance_scale is None else prompt.guidance_scale
        steps = (
            self.num_inference_steps
            if prompt.num_inference_steps is None
            else prompt.num_inference_steps
        )
        return guidance, steps

    def latents(self, prompts: Sequence[Prompt]) -> torch.Tensor:
        """Each prompt's starting noise, from a CPU generator seeded by its key and :attr:`seed`."""
        shape = (
            self.pipeline.unet.config.in_channels,
            self.height // self.pipeline.vae_scale_factor,
            self.width // self.pipeline.vae_scale_factor,
        )
        noise = [
            torch.randn(shape, generator=torch.Generator().manual_seed(p.seed(self.seed)))
            for p in prompts
        ]
        return torch.stack(noise).to(self.device, self.pipeline.unet.dtype)

    def generate(self, prompts: Sequence[Prompt]) -> torch.Tensor:
        """Images (B, 3, H, W) in [0, 1], one pipeline call per distinct (guidance, steps)."""
        _check_prompts(prompts, self._name)
        texts = [p.text for p in prompts]
        check_prompt_lengths(self.pipeline.tokenizer, texts, f"target '{self._name}'")
        images: list[torch.Tensor | None] = [None] * len(prompts)
        groups: dict[tuple[float, int], list[int]] = {}
        for i, prompt in enumerate(prompts):
            groups.setdefault(self.settings(prompt), []).append(i)
        for (guidance, steps), rows in groups.items():
            chosen = [prompts[i] for i in rows]
            with self.threads():
                out = self.pipeline(
                    prompt=[p.text for p in chosen],
                    negative_prompt=[self.negative_prompt] * len(chosen),
                    num_inference_steps=steps,
                    guidance_scale=guidance,
                    height=self.height,
                    width=self.width,
                    latents=self.latents(chosen),
                    output_type="pt",
                ).images
            for i, image in zip(rows, out, strict=True):
                images[i] = image.float()
        return torch.stack(images)  # type: ignore[arg-type]

    def predict(self, inputs: Sequence[Prompt]) -> dict[str, Any]:
        """The images, the prompt texts and each evaluation's key (prompt key and seed)."""
        return {
            "images": self.generate(inputs),
            "prompts": [p.text for p in inputs],
            "keys": [f"{p.key()}|seed={self.seed}|target={self.fingerprint}" for p in inputs],
        }

    def features(self, inputs: Sequence[Prompt]) -> torch.Tensor:
        """Mean-pooled text-encoder states (B, d) of each prompt as the dataset gave it."""
        _check_prompts(inputs, self._name)
        tokenizer, encoder = self.pipeline.tokenizer, self.pipeline.text_encoder
        texts = [p.text for p in inputs]
        batch = tokenize_prompts(tokenizer, texts, f"target '{self._name}'").to(self.device)
        with self.threads():
            states = encoder(batch.input_ids).last_hidden_state.float()
        mask = batch.attention_mask.unsqueeze(-1).to(states.dtype)
        return (states * mask).sum(1) / mask.sum(1).clamp(min=1)

    def render(self, inputs: Sequence[Prompt]) -> torch.Tensor:
        """The generated images: what a person looks at for examples and reports."""
        return self.generate(inputs).cpu()

    def describe_inputs(self, inputs: Sequence[Prompt]) -> list[str]:
        return [p.text for p in inputs]

    def describe_outputs(self, outputs: dict[str, Any]) -> list[str]:
        """Each image's prompt, in quotes: the worst-failures grid is captioned with them."""
        return [f'"{text}"' for text in outputs["prompts"]]


def _check_prompts(inputs: Any, name: str) -> None:
    """Refuse inputs that are no prompts, naming the target as the user configured it (a
    ``tiny_digits_t2i`` is a ``diffusers_pipeline`` inside, which the user never named)."""
    odd = (
        inputs
        if isinstance(inputs, str)
        else next((p for p in inputs if not isinstance(p, Prompt)), None)
    )
    if odd is not None:
        raise FfadeError(
            f"target '{name}': inputs must be prompts from a ffade-diffusion dataset "
            f"(prompts, digit_prompts), not {type(odd).__name__}"
        )


class TinyDigitsT2I(DiffusersPipeline):
    """The bundled tiny digits text-to-image model (16 px, white digits on black); no download.

    Args:
        num_inference_steps: sampler steps (at most 20 suffice).
        guidance_scale: classifier-free guidance.
        seed: mixed into every image's noise seed.
        weights: a UNet state-dict file loaded over the bundled weights.
        lora_weights: a LoRA directory the fine-tuner wrote, loaded over the bundled weights.
        device: where it runs.
        cpu_threads: torch CPU threads while generating; one suits a model this small.
    """

    _name: ClassVar[str] = "tiny_digits_t2i"

    def __init__(
        self,
        num_inference_steps: int = 10,
        guidance_scale: float = 3.0,
        seed: int = 0,
        weights: str | None = None,
        lora_weights: str | None = None,
        device: str = "cpu",
        cpu_threads: int | None = 1,
    ) -> None:
        if not (BUNDLED_T2I / "model_index.json").is_file():
            raise FfadeError(
                "target 'tiny_digits_t2i': the bundled model is missing; reinstall ffade-diffusion "
                "or run plugins/diffusion/scripts/train_tiny_digits_t2i.py"
            )
        super().__init__(
            str(BUNDLED_T2I),
            num_inference_steps=num_inference_steps,
            guidance_scale=guidance_scale,
            seed=seed,
            weights=weights,
            lora_weights=lora_weights,
            device=device,
            cpu_threads=cpu_threads,
        )
