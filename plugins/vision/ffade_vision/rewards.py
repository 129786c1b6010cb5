"""Classification rewards: misclassification log-odds, accuracy drop, confidence drop.

All take logits (B, num_classes) and references that are either integer labels (B,) or a
boolean mask (B, num_classes) of the classes that count as right (a photo of a tabby cat is
right as "tabby" or "tiger cat"). The RL reward follows the paper: a miss earns
``scale * |log-odds|`` of the top-1 probability, a pass costs ``pass_reward`` (-1). Above
p = 0.5 a more confident miss is worth more; the formula is symmetric about 0.5, so below it a
miss spread over several classes is worth more too (p = 0.25 as p = 0.75). The worst examples a
run saves are ranked by this reward: the digits quickstart's show "predicted 8 (p=0.25)" among
misses at p >= 0.75.
"""

from __future__ import annotations

import math
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

CERTAIN_LOG_ODDS = math.log(torch.finfo(torch.float32).max)
"""The log-odds a certain miss counts (about 88.7): those of the largest odds float32 holds."""


def top1_log_odds(logits: torch.Tensor) -> torch.Tensor:
    """ln(p / (1 - p)) of the top-1 softmax probability p, per row, without overflow.

    Computed as the top logit minus the log-sum-exp of the others, which stays finite when p
    rounds to 1 in float32 (where ln(p / (1 - p)) would be infinite).
    """
    top = logits.max(dim=-1)
    others = logits.scatter(-1, top.indices[:, None], float("-inf"))
    return top.values - torch.logsumexp(others, dim=-1)


def _prepare(outputs: Any, references: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (B, C) and the mask (B, C) of the classes that count as right for each input."""
    try:
        logits = torch.as_tensor(outputs).float()
        accepted = torch.as_tensor(references, device=logits.device)
    except (TypeError, ValueError, RuntimeError) as exc:  # strings, or a text-to-image dict
        held = f"holding {type(next(iter(outputs), None)).__name__}"
        if isinstance(outputs, dict):
            held = f"with keys {', '.join(map(str, outputs))}"
        raise FfadeError(
            "classification rewards need a classifier's logits (B, num_classes) and class "
            f"labels; got {type(outputs).__name__} {held} and {type(references).__name__}: a "
            "summarizer needs a summary reward (bleu_drop, ...), a text-to-image model judge "
            "or clip_score"
        ) from exc
    # .long() read a label column's 0.7 as class 0, silently (a wrong shape is said first)
    if logits.dim() == 2:
        refuse_float_references(
            "classification rewards need class indices as references (or a boolean mask of the "
            "classes that count as right)",
            accepted,
        )
    is_labels = accepted.dtype != torch.bool and logits.dim() == 2
    if is_labels and accepted.numel() == logits.shape[0]:
        outside = accepted[(accepted < 0) | (accepted >= logits.shape[-1])]
        if len(outside):  # one_hot's "Class values must be smaller than num_classes", said fully
            raise FfadeError(
                f"classification rewards: reference label {outside[0].item()} is past the "
                f"target's {logits.shape[-1]} scores per input; the target must score every "
                "class of the dataset"
            )
        accepted = torch.nn.functional.one_hot(accepted.long().reshape(-1), logits.shape[-1])
        accepted = accepted.bool()
    is_mask = accepted.dtype == torch.bool and accepted.dim() == 2 and logits.dim() == 2
    if is_mask and len(accepted) == len(logits) and accepted.shape[1] != logits.shape[1]:
        raise FfadeError(  # sample_photos' 1,000 ImageNet classes judged by digits_cnn's 10
            f"classification rewards: the dataset's references are masks over "
            f"{accepted.shape[1]} classes but the target scores {logits.shape[1]}; the target "
            "must score every class of the dataset"
        )
    if logits.dim() != 2 or accepted.shape != logits.shape or accepted.dtype != torch.bool:
        raise FfadeError(
            f"classification rewards need logits (B, num_classes) and labels (B,) or a mask of "
            f"accepted classes (B, num_classes); got {tuple(logits.shape)} and "
            f"{tuple(torch.as_tensor(references).shape)}"
        )
    return settle_infinite(logits), accepted


def _is_correct(logits: torch.Tensor, accepted: torch.Tensor) -> torch.Tensor:
    """Whether a class that counts as right scores above every other class, per input: ffade's
    one rule (:func:`ffade.top_class.right_answers`), so a tie for the top is a miss here and in
    the fine-tuners' guard alike. A NaN score is never right; its metric is NaN, so the run
    counts it invalid.
    """
    return right_answers(logits, accepted)


def _accepted_probability(logits: torch.Tensor, accepted: torch.Tensor) -> torch.Tensor:
    """The probability the model gives the right classes: the true class's, for one label."""
    return logits.softmax(-1).masked_fill(~accepted, 0.0).sum(-1)


def _clean(reward: Reward, clean_outputs: Any | None, like: torch.Tensor) -> torch.Tensor:
    name = reward.plugin_name or type(reward).__name__
    if clean_outputs is None:
        raise FfadeError(
            f"reward '{name}' compares with the model's outputs on unchanged "
            "images, but none were given (clean_outputs=None)"
        )
    clean = torch.as_tensor(clean_outputs, device=like.device).float()
    if clean.shape != like.shape:
        raise FfadeError(
            f"reward '{name}': clean outputs {tuple(clean.shape)} do not match "
            f"outputs {tuple(like.shape)}"
        )
    return settle_infinite(clean)


class _ClassificationReward(Reward):
    """Shared constructor for the paper-style reward scale.

    Args:
        scale: multiplies the log-odds (or the drop) of a failure (the paper uses 10).
        pass_reward: the reward of an input that did not fail (the paper uses -1).
    """

    output_kinds = ("class_scores",)

    def __init__(self, scale: float = 10.0, pass_reward: float = -1.0) -> None:
        self.scale = require_positive_arg(self, "reward", "scale", scale)
        self.pass_reward = require_pass_reward(self, pass_reward)

    def _reward(self, failed: torch.Tensor, amount: torch.Tensor) -> torch.Tensor:
        """``scale * |amount|`` on a failure, kept positive and finite, else ``pass_reward``.

        A miss at a top-1 probability of exactly one half (log-odds 0) would earn 0, no more
        than a pass at ``pass_reward`` 0: it earns the smallest positive float32 instead. A
        certain miss (every other class scored -inf, as log-probabilities of 0 are, or the top
        class +inf) has infinite log-odds, which the run would count as invalid rather than
        failed: it counts ``CERTAIN_LOG_ODDS``, bounded so that an explorer without a reward
        clip still learns. A NaN stays NaN (the run counts it invalid). A finite miss is paid in
        full, but ``scale`` times log-odds past about 3e37 overflowed float32 to inf, which the
        run counted invalid: a failure that costs the most was dropped; it is kept at float32's
        largest value, as the synthetic margin reward keeps its own.
        """
        size = amount.abs().nan_to_num(nan=float("nan"), posinf=CERTAIN_LOG_ODDS)
        finite = torch.finfo(torch.float32)
        paid = (self.scale * size).clamp(min=finite.tiny, max=finite.max)
        return torch.where(failed, paid, torch.full_like(amount, self.pass_reward))


class Misclassification(_ClassificationReward):
    """Fails when the top-1 class is not the label.

    metric: the probability the model gives the true class, or the accepted classes together
    (1 is perfect, lower is worse).
    reward: ``scale * |ln(p / (1 - p))|`` of the top-1 probability p on a miss, else
    ``pass_reward``.
    """

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        logits, accepted = _prepare(outputs, references)
        failed = ~_is_correct(logits, accepted)
        metric = _accepted_probability(logits, accepted)
        return Scores(metric, failed, self._reward(failed, top1_log_odds(logits)))


class AccuracyDrop(_ClassificationReward):
    """Fails when the change turned a correct prediction into a wrong one.

    Images the model already got wrong unchanged are not failures of the change, so searching
    with this reward finds what the concepts break, not what was broken before.

    metric: the accuracy drop of the input, clean-correct minus changed-correct (-1, 0 or 1).
    reward: as :class:`Misclassification` on a failure, else ``pass_reward``.
    """

    needs_clean_outputs: ClassVar[bool] = True

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        logits, accepted = _prepare(outputs, references)
        clean = _clean(self, clean_outputs, logits)
        was_correct = _is_correct(clean, accepted)
        is_correct = _is_correct(logits, accepted)
        failed = was_correct & ~is_correct
        metric = was_correct.float() - is_correct.float()
        # a NaN score, unchanged or changed, is no answer: a NaN metric has the run count the
        # evaluation invalid (a NaN unchanged read as a pass, every change of that input passing)
        scored_nan = logits.isnan().any(-1) | clean.isnan().any(-1)
        metric = metric.masked_fill(scored_nan, float("nan"))
        return Scores(metric, failed, self._reward(failed, top1_log_odds(logits)))


class ConfidenceDrop(_ClassificationReward):
    """Fails when the true (or accepted) classes' probability fell by more than ``threshold``.

    Catches changes that shake the model without (yet) flipping its answer.

    Args:
        threshold: the drop in true-class probability, in [0, 1), that counts as a failure.
        scale: multiplies the drop into the reward of a failure.
        pass_reward: the reward of an input that did not fail.

    metric: the drop, clean minus changed true-class probability (negative if it rose).
    reward: ``scale * drop`` on a failure, else ``pass_reward``.
    """

    needs_clean_outputs: ClassVar[bool] = True

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
        logits, accepted = _prepare(outputs, references)
        clean = _clean(self, clean_outputs, logits)
        drop = _accepted_probability(clean, accepted) - _accepted_probability(logits, accepted)
        # "more than threshold": float32 softmax made a drop of exactly 0.25 (0.75 -> 0.5) come
        # out 0.25000003, a failure; a drop within rounding of the threshold is at it
        failed = drop_exceeds(drop, self.threshold)
        return Scores(drop, failed, self._reward(failed, drop))
