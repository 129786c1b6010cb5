"""Text classification rewards: a label flip, and a confidence drop, caused by an edit.

Both compare the classifier's scores on the edited text with its scores on the unedited one
(``needs_clean_outputs``), so a text the model got wrong before any edit is not blamed on the
edit. Outputs are scores (B, num_classes) whose softmax is the model's probabilities (the
``hf_pipeline`` target returns log-probabilities); references are class indices (B,).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from ffade.errors import (
    FfadeError,
    require_pass_reward,
    require_plugin_number,
    require_positive_arg,
)
from ffade.plugin_api import Reward, Scores
from ffade.thresholds import drop_exceeds, drop_threshold_decides, drop_threshold_range
from ffade.top_class import refuse_float_references, right_answers, settle_infinite


def probabilities(name: str, outputs: Any, references: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities (B, C) and class indices (B,), checked; one-line errors name the reward."""
    try:
        scores = torch.as_tensor(outputs).float()
    except (TypeError, ValueError, RuntimeError) as exc:  # strings, or a text-to-image dict
        got = f"{type(outputs).__name__} of {type(next(iter(outputs), None)).__name__}"
        if isinstance(outputs, dict):
            got = f"a dict with keys {', '.join(map(str, outputs))}"
        raise FfadeError(
            f"reward '{name}' needs a classifier's scores (B, num_classes), e.g. from hf_pipeline "
            f"with task text-classification; got {got}: use a summary reward (bleu_drop, ...), "
            "or for a text-to-image model judge or clip_score"
        ) from exc
    try:
        labels = torch.as_tensor(references)
    except (TypeError, ValueError) as exc:  # a summary dataset's reference texts
        raise FfadeError(
            f"reward '{name}' needs class indices as references, e.g. from dataset "
            f"text_classification or tiny_sentiment; got {type(references).__name__} of "
            f"{type(next(iter(references), None)).__name__}"
        ) from exc
    # .long() read a label column's 0.7 as class 0, silently
    refuse_float_references(f"reward '{name}' needs class indices as references", labels)
    labels = labels.long().reshape(-1)
    if scores.dim() != 2 or labels.shape[0] != scores.shape[0]:
        raise FfadeError(
            f"reward '{name}' needs scores (B, num_classes) and labels (B,); got "
            f"{tuple(scores.shape)} and {tuple(labels.shape)}"
        )
    outside = labels[(labels < 0) | (labels >= scores.shape[1])]
    if len(outside):  # e.g. hf_pipeline given fewer labels than the dataset has classes
        raise FfadeError(
            f"reward '{name}': reference label {outside[0].item()} is past the target's "
            f"{scores.shape[1]} scores per input; the target must score every class of the "
            "dataset (hf_pipeline: one entry in labels per class)"
        )
    # a +inf score is the classifier certain of its class, not NaN probabilities
    return settle_infinite(scores).softmax(-1), labels.to(scores.device)


def _is_right(probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Whether the label's probability is above every other class's, per input: ffade's one
    rule (:func:`ffade.top_class.right_answers`), so a tie with another class is a wrong answer
    whatever the classes' order, here and in the fine-tuners' guard alike.
    """
    return right_answers(probabilities, labels)


class _EditReward(Reward):
    """Shared arguments: how a failure and a pass are rewarded.

    Args:
        scale: multiplies the drop in the label's probability into a failure's reward.
        pass_reward: the reward of an input that did not fail.
    """

    needs_clean_outputs: ClassVar[bool] = True
    output_kinds = ("class_scores",)
    name = "label_flip"

    def __init__(self, scale: float = 10.0, pass_reward: float = -1.0) -> None:
        self.scale = require_positive_arg(self, "reward", "scale", scale)
        self.pass_reward = require_pass_reward(self, pass_reward)

    def _inputs(self, outputs: Any, references: Any, clean_outputs: Any | None):
        name = self.plugin_name or self.name
        if clean_outputs is None:
            raise FfadeError(
                f"reward '{name}' compares with the unedited texts' outputs; none given"
            )
        edited, labels = probabilities(name, outputs, references)
        clean, _ = probabilities(name, clean_outputs, references)
        if clean.shape != edited.shape:
            raise FfadeError(
                f"reward '{name}': clean outputs {tuple(clean.shape)} do not match outputs "
                f"{tuple(edited.shape)}"
            )
        return edited, clean, labels

    def _scores(self, failed: torch.Tensor, drop: torch.Tensor) -> Scores:
        reward = torch.where(
            failed, 1.0 + self.scale * drop.abs(), torch.full_like(drop, self.pass_reward)
        )
        return Scores(drop, failed, reward)


class LabelFlip(_EditReward):
    """Fails when the edit changed a right answer into a wrong one.

    metric: the drop in the right label's probability, unedited minus edited.
    reward: ``1 + scale * |drop|`` on a failure, else ``pass_reward``.
    """

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        edited, clean, labels = self._inputs(outputs, references, clean_outputs)
        failed = _is_right(clean, labels) & ~_is_right(edited, labels)
        drop = clean.gather(-1, labels[:, None]).squeeze(-1) - edited.gather(
            -1, labels[:, None]
        ).squeeze(-1)
        return self._scores(failed, drop)


class LabelConfidenceDrop(_EditReward):
    """Fails when the right label's probability fell by more than ``threshold``.

    Catches edits that shake the classifier before they flip it.

    Args:
        threshold: the drop in probability, in [0, 1), that counts as a failure.
        scale: multiplies the drop into a failure's reward.
        pass_reward: the reward of an input that did not fail.
    """

    name = "label_confidence_drop"

    def __init__(
        self, threshold: float = 0.3, scale: float = 10.0, pass_reward: float = -1.0
    ) -> None:
        super().__init__(scale, pass_reward)
        self.threshold = require_plugin_number(  # false is no 0: YAML's no is refused
            self,
            "reward",
            "threshold",
            threshold,
            value_ok=drop_threshold_decides,
            what=drop_threshold_range(1.0, "a drop in probability", "input"),
        )

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        edited, clean, labels = self._inputs(outputs, references, clean_outputs)
        drop = clean.gather(-1, labels[:, None]).squeeze(-1) - edited.gather(
            -1, labels[:, None]
        ).squeeze(-1)
        # "more than threshold": float32 softmax made 0.75 -> 0.5 a drop of 0.25000006, a
        # failure at threshold 0.25; a drop within rounding of the threshold is at it
        return self._scores(drop_exceeds(drop, self.threshold), drop)
