"""Whether a classifier's answer is right: the one rule the rewards and the fine-tuners share.

A right class must score strictly above every wrong one. A tie for the top with a wrong class is
a miss whatever the classes' order: ``argmax`` picks the class listed first, so the same tie
passed for label 0 and failed for label 1 (and bf16 or fp16 scores tie often). A tie between two
accepted classes (a mask of them, as sample_photos gives) is right. A NaN score is never right.
"""

from __future__ import annotations

import torch


def right_answers(scores: torch.Tensor, accepted: torch.Tensor) -> torch.Tensor:
    """Per input, whether a right class scores above every wrong class.

    Args:
        scores: logits or probabilities, (inputs, classes).
        accepted: one class index per input, (inputs,), or a boolean mask of the classes that
            count as right, (inputs, classes).

    Returns:
        A boolean tensor, (inputs,).
    """
    if accepted.dtype != torch.bool:
        accepted = torch.nn.functional.one_hot(
            accepted.long().reshape(-1).to(scores.device), scores.shape[-1]
        ).bool()
    accepted = accepted.to(scores.device)
    best_right = scores.masked_fill(~accepted, float("-inf")).amax(-1)
    best_wrong = scores.masked_fill(accepted, float("-inf")).amax(-1)
    return best_right > best_wrong
