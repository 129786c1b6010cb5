"""Fix a text-to-image model's prioritized failures with LoRA on its UNet's attention.

The paper's recipe for Stable Diffusion, on ffade's fine-tuner base: peft LoRA adapters on the
UNet's attention projections (``to_q``, ``to_k``, ``to_v``, ``to_out.0``), trained with the
denoising loss on images of the prioritized failure captioned with the failing prompts. The
images come from a folder of captioned images (``image_folder``: ``name.png`` beside ``name.txt``,
the paper used 20), from images of each prompt's class (``class_images``: ``0/``, ``1/``, ...),
or are drawn from the model itself: for each finetune prompt, the first of ``tries`` samples of
it with nothing changed that the task's reward accepts. Class and drawn images are taught under
every failing prompt made from their prompt (so "a thin slanted seven in red ink" is taught
with a seven). Latents are the autoencoder's posterior mode, as the bundled model was trained
on: sampled latents add noise the UNet never saw. The pairs left out of the failure
(``clean_share``) keep the model as it was elsewhere: prompts of states outside the rules, taught
the frozen UNet's prediction (``keep_others``). With ``teach_unchanged`` the failing pairs are
taught, wholly or in part, what the frozen UNet predicted for their prompt unchanged. Held-out
(prompt, seed) pairs judge the fix, as for classifiers; an accepted fix is saved in diffusers'
LoRA format, which ``pipeline.load_lora_weights(dir)`` loads unchanged, and ``fixed_target`` in
mitigation.json names it as the target's ``lora_weights``.

``clean_score_*`` in mitigation.json is the judge's accuracy on held-out prompts with no concept
changed, or their mean CLIP score with ``clip_score``; ``clean_tolerance`` is in those units.

    ffade fit --config configs/t2i_mitigate.yaml
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from typing_extensions import override

from ffade.errors import (
    FfadeError,
    require_above,
    require_at_least,
    require_share,
    require_within,
)
from ffade.mitigate.base import FineTuner, TrainingBatch
from ffade.mitigate.claimed import ClaimedStates
from ffade_diffusion.mitigate.adapters import (
    LORA_MODULES,
    check_rank,
    lora_fingerprint,
    refuse_loaded_lora,
    refuse_loaded_lora_before_discovery,
)
from ffade_diffusion.mitigate.images import (
    check_sources,
    class_images_folder,
    extra_sample,
    read_class_images,
    read_image_folder,
)
from ffade_diffusion.mitigate.verdict import LORA_DIR as LORA_DIR  # re-exported, as before
from ffade_diffusion.mitigate.verdict import LoRAVerdict
from ffade_diffusion.prompts import unchanged

KEPT_SHARE_MEANS = (
    "the share of each batch's pairs kept as they were: other grid states, taught what the UNet "
    "predicted before (keep_others)"
)
"""What ``clean_share`` is with ``keep_others``: the core's "unchanged inputs" is its ``false``."""


class DiffusionLoRAFineTuner(LoRAVerdict):
    """LoRA on a diffusers UNet's attention, taught what the failing prompts ask for.

    Args:
        rank: LoRA rank (the paper's Stable Diffusion fix used 4).
        alpha: LoRA scaling numerator (the update is scaled by alpha / rank; null: rank).
        learning_rate: AdamW step size (diffusers' LoRA example uses 1e-4).
        image_folder: captioned images of the failure to train on instead of drawn ones.
        class_images: or a folder of images per class index (``0/``, ``1/``, ...), or
            ``digits``, the plugin's real digits (``mitigate/images.py``'s bundled names): each
            failing prompt is taught with an image of its class (the judge's reference), under
            its own text. Drawn images are the model's own, which at 16 px taught the bundled
            model its own blur (clean judge accuracy 81% -> 33%); real ones did not.
        caption_dropout: share of training captions replaced by the empty prompt, as diffusion
            models are trained for classifier-free guidance: without it the LoRA moves only the
            prompted prediction, and guidance multiplies that move.
        keep_others: the ``clean_share`` of each batch's pairs become prompts of a random state
            outside the prioritized rules (the unchanged prompt among them), on which the LoRA
            learns to predict what the UNet predicted before it (distillation from the frozen
            UNet, on the same noisy latents): it changes what the rules ask for and as little
            else as it can. Off: they are the unchanged prompts, taught with the same images.
        teach_unchanged: share of a failing pair's target taken from what the frozen UNet
            predicts, on the same noisy latents, for the pair's prompt with nothing changed,
            the rest from the image's noise: 1 teaches the model to draw through the failing
            words as it draws without them (the unchanged prompts are the ones it draws right
            when the run searched ``only_passing_inputs``). 0, the default, is the paper's
            recipe: the images alone. A folder's images have no unchanged prompt: 0 there.
        tries: samples drawn per prompt to find one the reward accepts.
        batch_size: training pairs per step.
        guard_pairs: the most (input, state) pairs per guard failure rate (each one a
            generation, so few).
        eval_batch_size: prompts per generation when measuring the guard.
        **kwargs: the run to fix and the rest of :class:`~ffade.mitigate.base.FineTuner`'s.
    """

    name = "diffusion_lora"
    output_kinds = ("images",)
    default_epochs = 150
    """Where no ``trainer.max_epochs`` is given (a bare ``ffade fit --model ...``,
    ``ffade.mitigate``): configs/t2i_mitigate.yaml's 150, the length its LoRA recipe was tuned
    with (a LoRA takes hundreds of small updates; an epoch of a grid's prompts is a few)."""
    # recorded as absolute paths, so config.yaml reruns the fine-tune from any directory
    path_arguments = (*FineTuner.path_arguments, "image_folder", "class_images")

    def __init__(
        self,
        *args: Any,
        rank: int = 4,
        alpha: int | float | None = None,
        learning_rate: float = 1e-4,
        image_folder: str | None = None,
        class_images: str | None = None,
        caption_dropout: float = 0.1,
        keep_others: bool = True,
        teach_unchanged: float = 0.0,
        tries: int = 4,
        batch_size: int = 8,
        guard_pairs: int = 256,
        eval_batch_size: int = 32,
        **kwargs: Any,
    ) -> None:
        require_above(0, learning_rate=learning_rate)
        require_share("caption_dropout", caption_dropout, "a share of captions", one=False)
        require_at_least(1, whole=True, rank=rank, tries=tries)
        require_within(0, 1, teach_unchanged=teach_unchanged)
        if not isinstance(keep_others, bool):  # a null passed jsonargparse and meant false
            given = "null" if keep_others is None else repr(keep_others)
            raise FfadeError(f"model.init_args.keep_others must be true or false, got {given}")
        if alpha is not None:
            require_above(0, alpha=alpha)
        if image_folder is not None and class_images is not None:
            raise FfadeError(
                "model.init_args.image_folder and class_images are two sources of training "
                "images; give one of them"
            )
        if keep_others and "clean_share" in kwargs:  # the base says "unchanged inputs": not so
            require_share("clean_share", kwargs["clean_share"], KEPT_SHARE_MEANS, one=False)
        class_images = class_images_folder(class_images)  # hparams record the folder read
        check_sources(image_folder, class_images)  # a wrong folder now, before a loop starts
        super().__init__(
            *args,
            batch_size=batch_size,
            guard_pairs=guard_pairs,
            eval_batch_size=eval_batch_size,
            **kwargs,
        )
        self._accepted: dict[str, torch.Tensor | None] = {}
        self._folder: list[tuple[str, torch.Tensor]] | None = None
        self._classes: dict[int, torch.Tensor] | None = None
        self._alphas: torch.Tensor | None = None
        self._claimed: ClaimedStates | None = None
        self._keep_others = keep_others

    @override
    def absolute_paths(self) -> None:
        """``class_images: digits`` as the shipped folder, not ``./digits``: the hyperparameters
        hold the value the config gave (LightningCLI hands them over as parsed), which the
        base class would read from the current directory."""
        for record in (self.hparams, getattr(self, "_hparams_initial", {})):
            if "class_images" in record:
                record["class_images"] = class_images_folder(record["class_images"])
        super().absolute_paths()

    @classmethod
    def check_settings_on(cls, init_args: dict[str, Any], target: Callable[[], Any]) -> None:
        """``ffade loop``'s, before its first stage: a LoRA already loaded or a ``rank`` above
        the UNet's was refused as the fine-tune set up, after the discovery and the feedback."""
        built = target()
        if not isinstance(getattr(built, "model", None), torch.nn.Module):
            return  # not built here, or no diffusers target: the fine-tune says why
        refuse_loaded_lora_before_discovery(built)
        if isinstance(init_args.get("rank"), int):
            check_rank(built.model, init_args["rank"])

    @override
    def select_parameters(self) -> None:
        """Freeze the UNet and add trainable LoRA adapters to its attention projections."""
        from peft import LoraConfig

        if not hasattr(self.target, "pipeline"):
            name = self.plan.task_spec["target"]["name"]
            raise FfadeError(
                "model.init_args.run: the diffusion LoRA fine-tuner needs a diffusers target "
                f"(diffusers_pipeline, tiny_digits_t2i); run '{self.plan.run_dir}' searched target "
                f"'{name}' (a classifier takes ffade.mitigate.ClassifierFineTuner, a summarizer "
                "ffade_text.mitigate.Seq2SeqFineTuner)"
            )
        h = self.hparams
        refuse_loaded_lora(self.network, self.plan.task_spec["target"], self.plan.run_dir)
        check_rank(self.network, h.rank)  # before peft allocates adapters of that rank
        self.network.requires_grad_(False)
        config = LoraConfig(
            r=h.rank,
            lora_alpha=h.alpha or h.rank,
            init_lora_weights="gaussian",
            target_modules=list(LORA_MODULES),
        )
        self.network.add_adapter(config)
        size = (self.target.height, self.target.width)
        if h.image_folder is not None:
            self._folder = read_image_folder(h.image_folder, size)
        if h.class_images is not None:
            self._classes = read_class_images(h.class_images, size)
        self._claimed = self.plan.claimed  # every state a prioritized rule allows
        self._keep_others = h.keep_others and self._claimed.count() < self.task.space.num_states
        if h.keep_others and not self._keep_others:
            self.tell(
                [
                    "keep_others: every grid state is in a prioritized rule, so the clean_share "
                    "pairs are the unchanged prompts, taught with images"
                ]
            )

    @override
    def on_train_end(self) -> None:
        """The target now draws with the trained LoRA: give its images new keys before the guard
        measures them, or a ``human`` reward would answer from ratings of the images before.
        The keys are the fixed target's (``lora_weights`` the saved LoRA), by the LoRA's
        contents: a rediscovery of the fixed target asks nothing the guard had rated, and a
        resumed fine-tune (a new ``version_N``) nothing the stopped one's guard had."""
        self.target.fingerprint = lora_fingerprint(self.target, self.network)
        super().on_train_end()

    @override
    def configure_optimizers(self) -> Any:
        trainable = [p for p in self.network.parameters() if p.requires_grad]
        return torch.optim.AdamW(trainable, lr=self.hparams.learning_rate)

    # ---- training data: accepted images, taught under the failing prompts ---------------------
    def accepted_images(self, prompts: list, references: list) -> list[torch.Tensor | None]:
        """Per prompt, an image of what it asks for that the reward accepts, or None.

        The image comes from the prompt's base input with nothing changed (no words, the
        target's own sampler settings): the first of ``tries`` samples the reward accepts, drawn
        with the adapters off (the model as it was) and cached per input. Every failing prompt
        made from that input is taught with it, so the model learns to draw through the changed
        words what it draws without them, and each input costs at most ``tries`` generations
        however many states the batches pair it with.
        """
        bases = [unchanged(p) for p in prompts]
        missing = {}  # one draw per input, however many of the batch's pairs share it
        for base, reference in zip(bases, references, strict=True):
            if base.key() not in self._accepted:
                missing[base.key()] = (base, reference)
        if missing:
            self.network.disable_adapters()
            try:
                self._draw([b for b, _ in missing.values()], [r for _, r in missing.values()])
            finally:
                self.network.enable_adapters()
        return [self._accepted[b.key()] for b in bases]

    @torch.no_grad()
    def _draw(self, bases: list, references: list) -> None:
        found: list[torch.Tensor | None] = [None] * len(bases)
        for t in range(self.hparams.tries):
            todo = [i for i in range(len(bases)) if found[i] is None]
            if not todo:
                break
            n = self.hparams.tries
            group = [replace(bases[i], sample=extra_sample(bases[i].sample, t, n)) for i in todo]
            outputs = self.target.predict(group)
            scores = self.task.reward.score(outputs, [references[i] for i in todo])
            for j, i in enumerate(todo):
                if not scores.failed[j]:
                    found[i] = outputs["images"][j].detach().cpu()
        for base, image in zip(bases, found, strict=True):
            self._accepted[base.key()] = image

    def training_pairs(
        self, batch: TrainingBatch
    ) -> tuple[list[str], torch.Tensor, torch.Tensor, list[str] | None] | None:
        """(captions, images, kept, plain) to learn from: the folder's, the class's or accepted
        drawn images; ``kept`` marks the rows whose target is the frozen UNet's prediction, and
        ``plain`` holds each row's unchanged prompt (None for a folder's images)."""
        kept = batch.clean.cpu()
        if self._keep_others and bool(kept.any()):
            rows = kept.numpy()
            others = self.make_batch(batch.input_ids[rows], self.other_states(int(rows.sum())))
            inputs = list(batch.inputs)
            for j, i in enumerate(rows.nonzero()[0]):
                inputs[i] = others.inputs[j]
            batch = replace(batch, inputs=inputs)
        else:
            kept = torch.zeros_like(kept)
        if self._folder is not None:
            ids = torch.as_tensor(batch.input_ids) % len(self._folder)
            chosen = [self._folder[int(r)] for r in ids]
            captions = [c for c, _ in chosen]
            for i in kept.nonzero().flatten().tolist():  # the folder's captions are its own
                captions[i] = batch.inputs[i].text
            return captions, torch.stack([im for _, im in chosen]), kept, None
        prompts = list(batch.inputs)
        if self._classes is not None:
            images = [self.class_image(r) for r in batch.references]
        else:
            images = self.accepted_images(prompts, list(batch.references))
        keep = [i for i, im in enumerate(images) if im is not None]
        if not keep:
            return None
        captions = [prompts[i].text for i in keep]
        plain = [unchanged(prompts[i]).text for i in keep]
        return captions, torch.stack([images[i] for i in keep]), kept[keep], plain

    def other_states(self, count: int) -> np.ndarray:
        """``count`` grid states drawn uniformly from those outside the prioritized rules."""
        sizes, claimed = torch.as_tensor(self.task.space.sizes), self._claimed
        assert claimed is not None, "setup() first"
        drawn: list[np.ndarray] = []
        while len(drawn) < count:
            state = (torch.rand(len(sizes)) * sizes).long().numpy()
            if not claimed.contains(state[None])[0]:
                drawn.append(state)
        return np.stack(drawn)

    def class_image(self, reference: Any) -> torch.Tensor | None:
        """A random image of the reference's class from ``class_images``; None if it has none."""
        assert self._classes is not None
        if reference is None or int(reference) not in self._classes:
            return None
        images = self._classes[int(reference)]
        return images[int(torch.randint(len(images), ()))]

    # ---- the denoising loss ------------------------------------------------------------------
    def alphas_cumprod(self, like: torch.Tensor) -> torch.Tensor:
        """The training noise schedule's cumulative alphas, from the pipeline's scheduler config."""
        if self._alphas is None:
            from diffusers import DDPMScheduler

            training = DDPMScheduler.from_config(self.target.pipeline.scheduler.config)
            self._alphas = training.alphas_cumprod
        return self._alphas.to(like.device, like.dtype)

    def encode(self, captions: list[str]) -> torch.Tensor:
        """The text encoder's states for ``captions``, as the pipeline conditions its UNet."""
        pipeline = self.target.pipeline
        ids = pipeline.tokenizer(
            captions, padding="max_length", truncation=True, return_tensors="pt"
        ).input_ids.to(self.device)
        return pipeline.text_encoder(ids)[0]

    @override
    def training_loss(self, batch: TrainingBatch) -> tuple[torch.Tensor, dict[str, Any]]:
        pairs = self.training_pairs(batch)
        if pairs is None:  # nothing accepted in this batch: a zero loss that keeps the graph
            zero = sum(p.sum() * 0 for p in self.network.parameters() if p.requires_grad)
            return zero, {"accepted_share": 0.0}
        captions, images, kept, plain = pairs
        dropped = torch.rand(len(captions)) < self.hparams.caption_dropout
        captions = ["" if drop else c for c, drop in zip(captions, dropped.tolist(), strict=True)]
        share = self.hparams.teach_unchanged if plain is not None else 0.0
        pipeline = self.target.pipeline
        with torch.no_grad():
            pixels = images.to(self.device, pipeline.vae.dtype) * 2 - 1
            latents = pipeline.vae.encode(pixels).latent_dist.mode()  # as the model learned
            latents = latents * pipeline.vae.config.scaling_factor
            states = self.encode(captions)
            if share:  # the failing rows' teacher reads their unchanged prompt (unless dropped)
                texts = zip(captions, kept.tolist(), plain, strict=True)
                teacher_states = self.encode([c if k or not c else u for c, k, u in texts])
            else:
                teacher_states = states
        noise = torch.randn_like(latents)
        scheduler = pipeline.scheduler
        steps = scheduler.config.num_train_timesteps
        t = torch.randint(0, steps, (len(latents),), device=self.device)
        alphas = self.alphas_cumprod(latents)[t].view(-1, 1, 1, 1)
        noisy = alphas.sqrt() * latents + (1 - alphas).sqrt() * noise
        prediction = self.network(noisy, t, states).sample
        if scheduler.config.get("prediction_type", "epsilon") == "v_prediction":
            target = alphas.sqrt() * noise - (1 - alphas).sqrt() * latents
        else:
            target = noise
        # the frozen UNet's prediction on the same noisy latents: all of a kept row's target,
        # ``teach_unchanged`` of a failing row's
        mix = torch.where(kept, 1.0, share).to(self.device, target.dtype).view(-1, 1, 1, 1)
        rows = (mix > 0).flatten()
        if rows.any():
            self.network.disable_adapters()
            try:
                with torch.no_grad():
                    frozen = self.network(noisy[rows], t[rows], teacher_states[rows]).sample
            finally:
                self.network.enable_adapters()
            target = target.clone()
            target[rows] = (1 - mix[rows]) * target[rows] + mix[rows] * frozen.to(target.dtype)
        loss = F.mse_loss(prediction.float(), target.float())
        return loss, {"accepted_share": len(captions) / len(batch.input_ids)}
