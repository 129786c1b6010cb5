"""Fine-tune a seq2seq summarizer on its prioritized failures: edited articles, reference summaries.

The paper's recipe for summarizers (AdamW, learning rate 2e-5) on ffade's fine-tuner base: the
finetune split's articles are edited with the prioritized regions' concept states (half of them
stay unedited, against forgetting), the model learns to produce each article's *reference*
summary from the edited article (teacher forcing, token cross-entropy), and the held-out split
judges the fix. Full fine-tuning, or LoRA adapters through ``peft`` that are merged into the
weights at the end, so the fixed model is a plain state dict the target loads via ``weights``.

The guard is the classifier fine-tuner's, with "right on a clean input" graded by sentence BLEU:
``clean_accuracy_*`` in mitigation.json is the mean sentence BLEU / 100 of the summaries of the
unedited held-out articles (so ``clean_tolerance: 0.01`` allows one BLEU point), and the same
numbers appear in the summarizer's own units as ``clean_bleu_*`` and ``clean_rougel_*``.

    ffade fit --config configs/text_mitigate.yaml
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import torch
from typing_extensions import override

from ffade.distributed import trainer_ranks
from ffade.errors import (
    FfadeError,
    as_written,
    require_above,
    require_at_least,
    require_choice,
    require_share,
)
from ffade.mitigate.base import FineTuner, TrainingBatch
from ffade.mitigate.guard import GuardResult
from ffade_text.rewards import rouge_l, sentence_bleu
from ffade_text.targets._reads import model_positions, tokens_read


def _with_adapters(network: torch.nn.Module, h: Any) -> torch.nn.Module:
    """``network`` with peft's LoRA adapters as the settings ``h`` ask (hparams or a mapping);
    a ``lora_target_modules`` that names no module of it is one line naming the key."""
    from peft import LoraConfig, TaskType, get_peft_model

    config = LoraConfig(
        task_type=TaskType.SEQ_2_SEQ_LM,
        r=h["lora_r"],
        lora_alpha=h["lora_alpha"],
        lora_dropout=h["lora_dropout"],
        target_modules=h["lora_target_modules"],
    )
    try:
        return get_peft_model(network, config)
    except ValueError as exc:
        raise FfadeError(f"model.init_args.lora_target_modules: {exc}") from exc


def _refuse_lora_settings(**given: Any) -> None:
    """Refuse, in one line, a ``lora_*`` argument changed from its default under ``train: full``
    (one equal to its default changes nothing, so it is let be)."""
    defaults = inspect.signature(Seq2SeqFineTuner.__init__).parameters
    for key, value in given.items():
        if value != defaults[key].default:
            raise FfadeError(
                f"model.init_args.{key} {as_written(value)} needs train: lora (train is 'full', "
                "which trains every weight and builds no LoRA adapter); set train: lora, or "
                f"leave {key} out"
            )


class Seq2SeqFineTuner(FineTuner):
    """Token cross-entropy fine-tuning of a seq2seq summarizer; see the module docstring.

    Args:
        train: "full" trains every weight; "lora" trains low-rank adapters (peft) on the
            attention projections and merges them into the weights when training ends.
        learning_rate: AdamW step size (the paper uses 2e-5 for BART and T5).
        weight_decay: AdamW weight decay.
        schedule: "constant", or "linear" decay to zero by the last step.
        max_target_tokens: reference summaries are truncated to this many tokens, or to the
            model's positions (BART's ``max_position_embeddings``) where those are fewer.
        lora_r: LoRA rank. Each ``lora_*`` argument needs ``train: lora``: changed from its
            default with ``train: full``, it is refused in one line.
        lora_alpha: LoRA scaling numerator (the update is scaled by alpha / r).
        lora_dropout: dropout on the LoRA path.
        lora_target_modules: module names to adapt (null: peft's default for the architecture,
            the query and value projections for BART and T5).
        batch_size: training articles per step (fewer than for images: articles are long).
        guard_pairs: the most (input, state) pairs per guard failure rate (each one a generated
            summary, so fewer than for a classifier).
        eval_batch_size: articles per generation when measuring the guard.
        **kwargs: the run to fix and the rest of :class:`~ffade.mitigate.base.FineTuner`'s
            arguments; ``clean_tolerance`` is in BLEU / 100 (0.01 = one BLEU point).
    """

    name = "seq2seq"
    output_kinds = ("texts",)
    clean_metric = "BLEU / 100"  # clean_accuracy_* is mean sentence BLEU / 100
    default_epochs = 3
    """Where no ``trainer.max_epochs`` is given (a bare ``ffade fit --model
    ffade_text.mitigate.Seq2SeqFineTuner ...``, ``ffade.mitigate``): configs/text_mitigate.yaml's
    three, the length its recipe was tuned with, and a usual one for fine-tuning BART or T5."""

    def __init__(
        self,
        *args: Any,
        train: Literal["full", "lora"] = "full",
        learning_rate: float = 2e-5,
        weight_decay: float = 0.0,
        schedule: Literal["constant", "linear"] = "constant",
        max_target_tokens: int = 128,
        lora_r: int = 8,
        lora_alpha: float = 16.0,
        lora_dropout: float = 0.05,
        lora_target_modules: list[str] | None = None,
        batch_size: int = 16,
        guard_pairs: int = 1024,
        eval_batch_size: int = 64,
        **kwargs: Any,
    ) -> None:
        require_choice("train", train, ("full", "lora"))
        require_choice("schedule", schedule, ("constant", "linear"))
        require_above(0, learning_rate=learning_rate)
        require_at_least(0, weight_decay=weight_decay)
        require_above(0, lora_alpha=lora_alpha)
        # 1 drops every input of the adapters: they never learn, and the fix was rejected after
        # a whole training (as unchanged) rather than refused before it
        require_share("lora_dropout", lora_dropout, "1 would train nothing", one=False)
        require_at_least(1, whole=True, max_target_tokens=max_target_tokens, lora_r=lora_r)
        if lora_target_modules is not None and (
            not lora_target_modules or not all(str(m).strip() for m in lora_target_modules)
        ):
            raise FfadeError(
                f"model.init_args.lora_target_modules: {as_written(lora_target_modules)} names "
                "no module to adapt; give module names (e.g. [q_proj, v_proj]) or null for "
                "peft's default"
            )
        if train == "full":  # full fine-tuning builds no adapter: a LoRA setting would do nothing
            _refuse_lora_settings(
                lora_r=lora_r,
                lora_alpha=lora_alpha,
                lora_dropout=lora_dropout,
                lora_target_modules=lora_target_modules,
            )
        super().__init__(  # saves these arguments as hyperparameters too
            *args,
            batch_size=batch_size,
            guard_pairs=guard_pairs,
            eval_batch_size=eval_batch_size,
            **kwargs,
        )
        # clean BLEU and ROUGE-L of the model before and after training; "before" is measured
        # once, before the first step, and travels in checkpoints: a resumed run never re-measures
        # its half-trained model as if it were the original
        self.clean_scores: dict[str, dict[str, float]] = {}
        self._batch_scores: dict[str, list[list[float]]] = {"bleu": [], "rougel": []}  # by batch
        self._base_weights: dict[str, torch.Tensor] | None = None
        self._positions: int | None = None  # the most tokens the decoder has positions for

    # ---- what to train -----------------------------------------------------------------------
    def check_summarizer(self) -> None:
        """One line, before any step, when the run's target is no seq2seq model with a tokenizer:
        fed a classifier's outputs, BLEU would fail deep inside sacrebleu instead."""
        config = getattr(self.network, "config", None)
        if getattr(self.target, "tokenizer", None) is None or not getattr(
            config, "is_encoder_decoder", False
        ):
            name = self.plan.task_spec["target"]["name"]
            raise FfadeError(
                f"model.init_args.run: the seq2seq fine-tuner needs a seq2seq summarizer target "
                f"(seq2seq_summarizer, tiny_news_bart); run '{self.plan.run_dir}' searched target "
                f"'{name}' (a classifier takes ffade.mitigate.ClassifierFineTuner, a text-to-image "
                "model ffade_diffusion.mitigate.DiffusionLoRAFineTuner)"
            )
        # the target's own count (seq2seq_summarizer's), else its model config's: a target with
        # no 'positions' stopped with an AttributeError at the first training step
        self._positions = getattr(self.target, "positions", model_positions(self.network))

    @override
    def select_parameters(self) -> None:
        self.check_summarizer()
        if self.hparams.train != "lora":
            return
        self._base_weights = {k: v.detach().clone() for k, v in self.network.state_dict().items()}
        self.network = _with_adapters(self.network, self.hparams)  # into target.model

    @classmethod
    def check_settings_on(cls, init_args: dict[str, Any], target: Callable[[], Any]) -> None:
        """Called by ``ffade loop`` before its first stage (ffade.loop_kinds): ``init_args`` are
        this fine-tuner's, resolved; ``target()`` builds the discovery's target (None if it
        cannot be here). A ``lora_target_modules`` naming no module of its model (``[q_projj]``)
        was refused as the fine-tune set up, after the discovery: tried on a copy first."""
        if init_args.get("train") == "lora" and init_args.get("lora_target_modules"):
            network = getattr(target(), "model", None)
            if isinstance(network, torch.nn.Module):
                _with_adapters(copy.deepcopy(network), init_args)  # resolved: defaults filled

    @override
    def configure_optimizers(self) -> Any:
        h = self.hparams
        optimizer = torch.optim.AdamW(
            [p for p in self.network.parameters() if p.requires_grad],
            lr=h.learning_rate,
            weight_decay=h.weight_decay,
        )
        if h.schedule == "constant":
            return optimizer
        steps = max(int(self.trainer.estimated_stepping_batches), 1)
        linear = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - s / steps))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": linear, "interval": "step"}}

    @override
    def on_fit_start(self) -> None:
        if self._restored is not None:
            if "before" not in self._restored.get("clean_scores", {}):
                raise FfadeError(
                    "--ckpt_path: this checkpoint predates the clean BLEU it needs to judge the "
                    "fix against; start the fine-tune again without --ckpt_path"
                )
            self.clean_scores = dict(self._restored["clean_scores"])
        super().on_fit_start()
        if self._base_weights is not None:  # a rejected fix restores the weights without adapters
            self._original = self._base_weights

    @override
    def training_loss(self, batch: TrainingBatch) -> tuple[torch.Tensor, dict[str, Any]]:
        tokenizer = self.target.tokenizer
        labels = tokenizer(
            text_target=list(batch.references),
            padding=True,
            truncation=True,
            # a decoder with learned positions (BART) has none past them: an IndexError before
            max_length=tokens_read(self.hparams.max_target_tokens, self._positions),
            return_tensors="pt",
        ).input_ids.to(self.device)
        labels[labels == tokenizer.pad_token_id] = -100
        out = self.network(**self.target.preprocess(list(batch.inputs)), labels=labels)
        known = labels != -100
        right = (out.logits.argmax(-1) == labels) & known
        return out.loss, {"token_accuracy": (right.sum() / known.sum()).detach()}

    @override
    def on_train_end(self) -> None:
        if self.hparams.train == "lora":  # fold the adapters in: the fix is a plain state dict
            merged = self.network.merge_and_unload()
            self.network = merged
            self.target.model = merged
        super().on_train_end()

    # ---- the guard, in BLEU and ROUGE-L ------------------------------------------------------
    @override
    def clean_correct(self, outputs: Any, references: Any) -> torch.Tensor:
        """Sentence BLEU / 100 per unedited article: correctness graded, not all or nothing."""
        bleu = [sentence_bleu(h, r) for h, r in zip(outputs, references, strict=True)]
        self._batch_scores["bleu"].append(bleu)
        self._batch_scores["rougel"].append(
            [rouge_l(h, r) for h, r in zip(outputs, references, strict=True)]
        )
        return torch.tensor(bleu, dtype=torch.float32) / 100.0

    @override
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        if "ffade" in checkpoint:
            checkpoint["ffade"]["clean_scores"] = dict(self.clean_scores)

    @override
    def measure_guard(self) -> GuardResult:
        """The guard, plus clean BLEU and ROUGE-L, labelled by when: before training or after."""
        when = "before" if self.before is None else "after"  # the base sets before once measured
        self._batch_scores = {"bleu": [], "rougel": []}
        result = super().measure_guard()
        scores = {
            key: [s for batch in batches for s in batch] for key, batches in self._every_batch()
        }
        self.clean_scores[when] = {
            "bleu": sum(scores["bleu"]) / len(scores["bleu"]),
            "rougel": sum(scores["rougel"]) / len(scores["rougel"]),
        }
        # clean_accuracy_* is mean sentence BLEU / 100 (the README): the guard's float32 mean of
        # per-article float32 shares differed from clean_bleu_* / 100 in the 8th digit
        result.clean_accuracy = self.clean_scores[when]["bleu"] / 100.0
        if self.logger is not None:
            self.logger.log_metrics(
                {f"guard/clean_bleu_{when}": self.clean_scores[when]["bleu"]}, step=self.global_step
            )
        return result

    def _every_batch(self) -> list[tuple[str, list[list[float]]]]:
        """Every clean batch's scores in one process's order: under data parallelism this rank
        scored batches rank, rank + N, ... of the held-out check (ffade.mitigate.guard.measure),
        so the ranks' lists are gathered and dealt back in turn, and the means are one
        process's, summed in its order."""
        if self._trainer is None or self.trainer.world_size == 1:
            return list(self._batch_scores.items())
        every = trainer_ranks(self.trainer).gather(self._batch_scores)
        rounds = max(len(ranks["bleu"]) for ranks in every)
        return [
            (key, [r[key][i] for i in range(rounds) for r in every if i < len(r[key])])
            for key in self._batch_scores
        ]

    @override
    def mitigation_record(self, accepted: bool, weights: Path | None) -> dict[str, Any]:
        result = super().mitigation_record(accepted, weights)
        before, after = self.clean_scores["before"], self.clean_scores["after"]
        result.update(
            {
                "clean_bleu_before": before["bleu"],
                "clean_bleu_after": after["bleu"],
                "clean_bleu_change": after["bleu"] - before["bleu"],
                "clean_rougel_before": before["rougel"],
                "clean_rougel_after": after["rougel"],
                "clean_rougel_change": after["rougel"] - before["rougel"],
            }
        )
        result["guard"]["definitions"]["clean_accuracy"] = (
            "mean sentence BLEU / 100 of the summaries of unedited held-out articles "
            "(clean_bleu_* give it in BLEU points, clean_rougel_* as ROUGE-L F1)"
        )
        return result
