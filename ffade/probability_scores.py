"""Class scores that read as probabilities, and the note that says what the rewards make of them.

The shipped plugins' classification rewards read a target's class scores as logits and take their
softmax: probabilities 0.9 / 0.1 read as 0.69 / 0.31. Both a plugin's target
(:mod:`ffade.plugin_checks`) and a callable one (:mod:`ffade.callable_target`) say so once, in
one wording.
"""

from __future__ import annotations

import torch


def probability_rows(scores: torch.Tensor) -> bool:
    """Whether every row of a (B, C) table is a probability distribution (C >= 2).

    The classification rewards read scores as logits: softmax turned probabilities 0.9 / 0.1 into
    0.69 / 0.31, and a fall from 0.9 to 0.55 (more than confidence_drop's 0.3) into 0.165, a pass.
    """
    if scores.dim() != 2 or scores.shape[1] < 2 or not len(scores):
        return False
    rows = scores.double()
    return bool(((rows >= 0).all() & ((rows.sum(-1) - 1).abs() < 1e-4).all()).item())


def probability_note(name: str, fix: str = "(torch.log(p))") -> str:
    """The note for a target whose class scores read as probabilities, said once per target.

    It names the rewards that take the softmax (the shipped plugins'; core imports no plugin,
    so by name): the targets that print it know nothing of the task's reward, and "the
    classification rewards take the softmax" was false beside a plugin's own reward, which may
    read probabilities as they are.
    """
    return (
        f"ffade: note: target '{name}': predict's scores read as probabilities (every row sums "
        f"to 1); ffade's classification rewards ({', '.join(SOFTMAX_REWARDS)}) take the softmax "
        f"of scores, so for those return logits or log-probabilities {fix} for their probability "
        "and drop to be the model's"
    )


SOFTMAX_REWARDS = (
    "misclassification",
    "accuracy_drop",
    "confidence_drop",
    "label_flip",
    "label_confidence_drop",
)
"""The shipped plugins' rewards of class scores (ffade-vision's and ffade-text's), every one of
which reads them as logits and takes their softmax."""
