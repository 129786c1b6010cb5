"""Fine-tune a classifier on its prioritized failures: cross-entropy, SGD, full or head only.

The paper's recipe for image classifiers (SGD, learning rate 1e-3, momentum 0.9, the failure
concept applied to half the training images), for any target that is a
:class:`~ffade.plugin_api.TrainableTarget` whose outputs are logits and whose references are class
indices: ``model(preprocess(inputs))`` is trained against the labels.

    ffade fit --config configs/mitigate_digits.yaml
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn
from torch.nn import functional as F
from typing_extensions import override

from ffade.errors import FfadeError
from ffade.mitigate.base import FineTuner


class ClassifierFineTuner(FineTuner):
    """Cross-entropy fine-tuning of a classifier target; see the module docstring.

    Args:
        run, feedback, clean_share, batch_size, clean_tolerance, guard_pairs, eval_batch_size,
            priority_weights, max_finetune_inputs: as :class:`~ffade.mitigate.base.FineTuner`.
        train: "full" trains every weight; "head" only the classifier head (the target's
            ``head``, else the last ``nn.Linear``), the rest frozen and kept in eval mode.
        learning_rate: SGD step size.
        momentum: SGD momentum.
        weight_decay: SGD weight decay.
    """

    name = "classifier"

    def __init__(
        self,
        run: str,
        feedback: str | None = None,
        train: Literal["full", "head"] = "full",
        learning_rate: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        clean_share: float = 0.5,
        batch_size: int = 64,
        clean_tolerance: float = 0.01,
        guard_pairs: int = 4096,
        eval_batch_size: int = 512,
        priority_weights: dict[str, float] | None = None,
        max_finetune_inputs: int | None = None,
    ) -> None:
        if train not in ("full", "head"):
            raise FfadeError(f"model.init_args.train {train!r} is not allowed; choose full or head")
        if not learning_rate > 0:
            raise FfadeError(f"model.init_args.learning_rate must be > 0, got {learning_rate}")
        super().__init__(
            run,
            feedback,
            clean_share,
            batch_size,
            clean_tolerance,
            guard_pairs,
            eval_batch_size,
            priority_weights,
            max_finetune_inputs,
        )
        self.save_hyperparameters()

    def head(self) -> nn.Module:
        """The target's ``head`` if it names one, else the last ``nn.Linear`` of the model."""
        head = getattr(self.target, "head", None)
        if isinstance(head, nn.Module):
            return head
        linears = [m for m in self.network.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise FfadeError(
                "model.init_args.train 'head': the target's model has no nn.Linear and the "
                "target names no 'head'; use train: full"
            )
        return linears[-1]

    @override
    def select_parameters(self) -> None:
        if self.hparams.train == "head":
            self.network.requires_grad_(False)
            self.head().requires_grad_(True)

    @override
    def on_train_epoch_start(self) -> None:
        if self.hparams.train == "head":  # frozen layers keep their normalization statistics
            self.network.eval()
            self.head().train()

    @override
    def configure_optimizers(self) -> torch.optim.Optimizer:
        h = self.hparams
        return torch.optim.SGD(
            [p for p in self.network.parameters() if p.requires_grad],
            lr=h.learning_rate,
            momentum=h.momentum,
            weight_decay=h.weight_decay,
        )

    @override
    def training_loss(self, inputs: Any, references: Any) -> tuple[torch.Tensor, dict[str, Any]]:
        logits = self.network(self.target.preprocess(inputs))
        labels = torch.as_tensor(references, device=logits.device).long().reshape(-1)
        loss = F.cross_entropy(logits, labels)
        accuracy = (logits.argmax(-1) == labels).float().mean()
        return loss, {"accuracy": accuracy.detach()}

    @override
    def clean_correct(self, outputs: Any, references: Any) -> torch.Tensor:
        """Top-1 accuracy: the arg-max class is the label."""
        logits = torch.as_tensor(outputs)
        labels = torch.as_tensor(references, device=logits.device).long().reshape(-1)
        return logits.argmax(-1) == labels
