"""Fine-tune a classifier on its prioritized failures: cross-entropy, SGD, full or head only.

The paper's recipe for image classifiers (SGD, learning rate 1e-3, momentum 0.9, the failure
concept applied to half the training images), for any target that is a
:class:`~ffade.plugin_api.TrainableTarget` whose outputs are logits and whose references are class
indices: ``model(preprocess(inputs))`` is trained against the labels.

    ffade fit --config configs/mitigate_digits.yaml
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from typing_extensions import override

from ffade.errors import (
    FfadeError,
    require_above,
    require_at_least,
    require_choice,
    require_within,
)
from ffade.mitigate.base import FineTuner, TrainingBatch
from ffade.plugin_checks import predicted
from ffade.plugin_names import plugin_label
from ffade.rng import torch_random_kept
from ffade.top_class import refuse_float_references, right_answers
from ffade.written import a_type


class ClassifierFineTuner(FineTuner):
    """Cross-entropy fine-tuning of a classifier target, every weight or the head only (SGD).

    ``ffade fit --help`` lists the first line; the module docstring says more.

    Args:
        train: "full" trains every weight (one the model froze stays frozen); "head" only the
            classifier head (the target's ``head``, else the last ``nn.Linear``), the rest
            frozen and kept in eval mode.
        learning_rate: SGD step size.
        momentum: SGD momentum.
        weight_decay: SGD weight decay.
        schedule: "constant" keeps the learning rate; "cosine" lowers it to zero by the last
            step, so the fix ends settled rather than wherever the last noisy step left it.
        distill_weight: weight of a distillation loss on the clean rows: the KL divergence from
            the original model's answers (learning without forgetting), so the fix keeps what
            the model did right; 0 turns it off.
        distill_temperature: softmax temperature of that distillation.
        **kwargs: the run to fix and the rest of :class:`~ffade.mitigate.base.FineTuner`'s
            arguments.
    """

    name = "classifier"
    output_kinds = ("class_scores",)

    def __init__(
        self,
        *args: Any,
        train: Literal["full", "head"] = "full",
        learning_rate: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        schedule: Literal["constant", "cosine"] = "cosine",
        distill_weight: float = 1.0,
        distill_temperature: float = 2.0,
        **kwargs: Any,
    ) -> None:
        require_choice("train", train, ("full", "head"))
        require_choice("schedule", schedule, ("constant", "cosine"))
        require_above(0, learning_rate=learning_rate)
        require_within(0, 1, momentum=momentum)  # torch takes any, and above 1 diverges
        require_at_least(0, weight_decay=weight_decay)
        require_at_least(0, distill_weight=distill_weight)  # 0 turns distillation off
        require_above(0, distill_temperature=distill_temperature)
        super().__init__(*args, **kwargs)  # saves these arguments as hyperparameters too
        self._teacher: torch.Tensor | None = None
        self._requires_grad: list[bool] | None = None  # the caller's flags, while "head" trains

    def head(self) -> nn.Module:
        """The target's ``head`` if it names one, else the last ``nn.Linear`` of the model."""
        return head_of(self.target, self.network)

    @classmethod
    def check_settings_on(cls, init_args: dict[str, Any], target: Callable[[], Any]) -> None:
        """Called by ``ffade loop`` before its first stage (ffade.loop_kinds): ``train: head``
        on a target with no head to train was refused as the fine-tune set up, after the
        discovery; :func:`head_of` on the discovery's target (built) says so first."""
        if init_args.get("train") == "head":
            built = target()
            if isinstance(getattr(built, "model", None), nn.Module):
                head_of(built, built.model)

    @override
    def select_parameters(self) -> None:
        inputs, references = self.task.dataset.collate(self.task.inputs[:1])
        with torch.no_grad():  # a target without logits: one line here, before Lightning's set-up
            outputs = predicted(self.target, self.target.to_device(inputs), 1)
            self.clean_correct(outputs, references)
        self._check_preprocess()
        if self.hparams.train == "head":
            self._requires_grad = [p.requires_grad for p in self.network.parameters()]
            self.network.requires_grad_(False)
            self.head().requires_grad_(True)
        self._check_gradient(self.target.to_device(inputs))

    def _check_gradient(self, inputs: Any) -> None:
        """One line unless ``model(preprocess(inputs))`` carries a gradient to a weight that
        trains: a module with no parameters, with every one frozen (``requires_grad=False``),
        or whose forward runs under ``torch.no_grad()`` or ``torch.inference_mode()`` failed
        in the first training step with torch's "optimizer got an empty parameter list" or
        "element 0 of tensors does not require grad", a traceback from inside Lightning."""
        name = plugin_label(self.target)
        weights = list(self.network.parameters())
        if not any(p.requires_grad for p in weights):
            why = "has no parameters" if not weights else "has every parameter frozen"
            raise FfadeError(
                f"target '{name}': its model {why}, so the fine-tuner has no weight to train; "
                "it needs parameters with requires_grad=True (param.requires_grad_(True))"
            )
        training = self.network.training
        self.network.eval()
        with torch.enable_grad(), torch_random_kept(self.target.device):
            outputs = self.network(self.target.preprocess(inputs))
        self.network.train(training)
        if not isinstance(outputs, torch.Tensor) or not outputs.requires_grad:
            raise FfadeError(
                f"target '{name}': model(preprocess(inputs)), which the fine-tuner trains, gives "
                "outputs with no gradient (a forward under torch.no_grad() or "
                "torch.inference_mode(), or a .detach()); it must be differentiable "
                "(docs/plugins.md, Trainable targets)"
            )

    @override
    def on_train_end(self) -> None:
        """Hands the model back with the ``requires_grad`` flags it came with: a model passed
        from Python is the caller's own, and a frozen backbone would stay frozen in their next
        training."""
        super().on_train_end()
        if self._requires_grad is not None:
            for parameter, flag in zip(self.network.parameters(), self._requires_grad, strict=True):
                parameter.requires_grad_(flag)

    def _check_preprocess(self, count: int = 16) -> None:
        """One line unless ``model(preprocess(x))`` picks the classes ``predict(x)`` picks on the
        first finetune inputs (a quarter may differ: bf16 or batching rounds borderline ones).
        The fine-tuner trains the former and judges the latter: a ``preprocess`` that is not
        ``predict``'s way in (an input zeroed, a step left out) would train a model whose fix
        ``predict`` never shows, and the guard would pass it as changing nothing."""
        items = self.task.inputs[:count]
        inputs = self.target.to_device(self.task.dataset.collate(items)[0])
        training = self.network.training
        self.network.eval()
        # a check must not shift the training: hf_pipeline's predict draws from torch's stream
        # (its DataLoader's seed), which moved every dropout mask after it (27.9% -> 22.3% for
        # the README's text fine-tune where it read 19.5%)
        with torch.no_grad(), torch_random_kept(self.target.device):
            predict = torch.as_tensor(predicted(self.target, inputs, len(items))).float().cpu()
            trained = self.network(self.target.preprocess(inputs)).float().cpu()
        self.network.train(training)
        name = plugin_label(self.target)  # a function passed to ffade.discover: its own name
        same = predict.shape == trained.shape
        agree = (predict.argmax(-1) == trained.argmax(-1)).sum().item() if same else 0
        if agree < 0.75 * len(predict):
            got = (
                f"the class predict(inputs) picks on {agree} of the first {len(predict)} "
                "finetune inputs"
                if same
                else f"shape {tuple(trained.shape)} where predict(inputs) gives "
                f"{tuple(predict.shape)}"
            )
            raise FfadeError(
                f"target '{name}': model(preprocess(inputs)), which the fine-tuner trains, gave "
                f"{got}; it must give predict(inputs)'s outputs (docs/plugins.md, Trainable "
                "targets)"
            )

    @override
    def on_train_epoch_start(self) -> None:
        if self.hparams.train == "head":  # frozen layers keep their normalization statistics
            self.network.eval()
            self.head().train()

    @override
    def configure_optimizers(self) -> Any:
        h = self.hparams
        optimizer = torch.optim.SGD(
            [p for p in self.network.parameters() if p.requires_grad],
            lr=h.learning_rate,
            momentum=h.momentum,
            weight_decay=h.weight_decay,
        )
        if h.schedule == "constant":
            return optimizer
        steps = max(int(self.trainer.estimated_stepping_batches), 1)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": cosine, "interval": "step"}}

    @override
    def on_fit_start(self) -> None:
        super().on_fit_start()
        if self.hparams.distill_weight > 0:  # the original model's answers on clean inputs
            restored = (self._restored or {}).get("teacher")  # resumed: the model is half trained
            self._teacher = restored if restored is not None else self._clean_logits()

    @override
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        if "ffade" in checkpoint and self._teacher is not None:
            checkpoint["ffade"]["teacher"] = self._teacher

    def _clean_logits(self) -> torch.Tensor:
        """Logits of the model as it is now on every unchanged finetune input (N, classes)."""
        training = self.network.training
        self.network.eval()
        chunks = []
        size = self.hparams.eval_batch_size
        with torch.no_grad():
            for start in range(0, len(self.task.inputs), size):
                ids = np.arange(start, min(start + size, len(self.task.inputs)))
                batch = self.make_batch(ids, np.tile(self.task.space.neutral, (len(ids), 1)))
                chunks.append(self.network(self.target.preprocess(batch.inputs)).float())
        self.network.train(training)
        return torch.cat(chunks)

    @override
    def training_loss(self, batch: TrainingBatch) -> tuple[torch.Tensor, dict[str, Any]]:
        logits = self.network(self.target.preprocess(batch.inputs))
        labels = torch.as_tensor(batch.references, device=logits.device).long().reshape(-1)
        loss = F.cross_entropy(logits, labels)
        metrics = {"accuracy": right_answers(logits, labels).float().mean().detach()}
        h = self.hparams
        if h.distill_weight > 0 and batch.clean.any():
            t = h.distill_temperature
            teacher = self._teacher[torch.as_tensor(batch.input_ids[batch.clean.cpu().numpy()])]
            student = logits[batch.clean]
            distill = F.kl_div(
                F.log_softmax(student / t, -1),
                F.log_softmax(teacher.to(student.device) / t, -1),
                log_target=True,
                reduction="batchmean",
            ) * (t * t)
            loss = loss + h.distill_weight * distill
            metrics["distill_loss"] = distill.detach()
        return loss, metrics

    @override
    def clean_correct(self, outputs: Any, references: Any) -> torch.Tensor:
        """Top-1 accuracy by the rewards' rule (:func:`ffade.top_class.right_answers`): the label
        scores strictly above every other class. A tie for the top is wrong whatever the classes'
        order (argmax read it as right for the class listed first, where the rewards counted a
        failure), and so is a row with a NaN (an all-NaN row's argmax is class 0)."""
        if isinstance(outputs, np.ndarray):
            outputs = torch.from_numpy(outputs)
        if not (
            isinstance(outputs, torch.Tensor) and outputs.ndim == 2 and outputs.is_floating_point()
        ):
            got = (
                f"a {outputs.dtype} tensor of shape {tuple(outputs.shape)}"
                if isinstance(outputs, torch.Tensor)
                else a_type(outputs)
            )
            raise FfadeError(
                f"model.init_args.run: the classifier fine-tuner needs a target whose outputs are "
                f"class logits (a float tensor, inputs x classes); target "
                f"'{self.plan.task_spec['target']['name']}' returned {got} (a summarizer takes "
                "ffade_text.mitigate.Seq2SeqFineTuner, a text-to-image model "
                "ffade_diffusion.mitigate.DiffusionLoRAFineTuner, a target of another kind a "
                "fine-tuner of your own: see docs/plugins.md, Your own fine-tuner)"
            )
        logits = outputs
        labels = torch.as_tensor(references, device=logits.device)
        one_each = labels.numel() == len(logits)
        if one_each:
            # a label column read as floats (pandas, sklearn) is one class per input, but no
            # index: "a set of accepted classes" sent its author looking for a set it never gave
            refuse_float_references(
                "model.init_args.run: the classifier fine-tuner trains on one class index per "
                "input",
                labels,
                f"dataset '{self.plan.task_spec['dataset']['name']}'",
            )
        if labels.dtype == torch.bool or labels.is_floating_point() or not one_each:
            # a set of accepted classes (sample_photos' boolean mask) has no one class to teach;
            # reshaped, one row's mask compared as if it were 1,000 labels (no error, no sense)
            raise FfadeError(
                "model.init_args.run: the classifier fine-tuner trains on one class index per "
                f"input; dataset '{self.plan.task_spec['dataset']['name']}' gives a "
                f"{labels.dtype} reference of shape {tuple(labels.shape)} for {len(logits)} "
                "input(s) (a set of accepted classes is for discovery: fix a run on a dataset "
                "with single labels, such as digits or image_folder)"
            )
        labels = labels.long().reshape(-1)
        return right_answers(logits, labels) & ~logits.isnan().any(-1)


def head_of(target: Any, network: nn.Module) -> nn.Module:
    """The module ``train: head`` trains: ``target.head`` if it names one, else the last
    ``nn.Linear`` of ``network`` (the target's model).

    A ``head`` that is no module of ``model`` is refused in one line: one that is no module
    was ignored (the last ``nn.Linear`` trained instead, unsaid), and one outside ``model``
    left nothing of it to train ("its model has every parameter frozen")."""
    head = getattr(target, "head", None)
    if head is not None:
        name = plugin_label(target)
        if not isinstance(head, nn.Module):
            raise FfadeError(
                f"target '{name}': its head is {a_type(head)}, not a torch.nn.Module; make "
                "it the module of its model to train with train: head (such as model.fc), "
                "or leave it out to train the model's last nn.Linear"
            )
        if not any(module is head for module in network.modules()):
            raise FfadeError(
                f"target '{name}': its head is not a module of its model, which is what the "
                "fine-tuner trains and saves; make head a part of model (such as model.fc), "
                "or leave it out to train the model's last nn.Linear"
            )
        return head
    linears = [m for m in network.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise FfadeError(
            "model.init_args.train 'head': the target's model has no nn.Linear and the "
            "target names no 'head'; use train: full"
        )
    return linears[-1]
