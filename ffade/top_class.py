"""Whether a classifier's answer is right: the one rule the rewards and the fine-tuners share.

Also the one refusal of float references they share (:func:`refuse_float_references`).

A right class must score strictly above every wrong one. A tie for the top with a wrong class is
a miss whatever the classes' order: ``argmax`` picks the class listed first, so the same tie
passed for label 0 and failed for label 1 (and bf16 or fp16 scores tie often). A tie between two
accepted classes (a mask of them, as sample_photos gives) is right. A NaN score is never right.
"""

from __future__ import annotations

import torch

from ffade.errors import FfadeError


def refuse_float_references(
    lead: str, references: torch.Tensor, dataset: str = "the dataset"
) -> None:
    """Refuse float references (a label column read as floats, ``1.0``) in one wording.

    ``.long()`` would read a 0.7 as class 0 without a word, so the rewards and the classifier
    fine-tuner each refuse such references; one helper makes them say it alike. ``lead`` says who
    needs what (``reward 'label_flip' needs class indices as references``); ``dataset`` names the
    dataset where the caller knows it.
    """
    if references.is_floating_point():
        first = round(references.reshape(-1)[0].item(), 6)
        raise FfadeError(
            f"{lead}; {dataset} gives {references.dtype} references such as {first}, which are "
            "no class indices: make its split give each reference as an integer (int(label))"
        )


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


def settle_infinite(logits: torch.Tensor) -> torch.Tensor:
    """Logits whose rows holding a ``+inf`` score are replaced by their softmax's limit.

    softmax of ``[inf, 0, 0]`` is NaN in floating point (inf - inf), though the model is as sure
    as a model can be: an overflowed logit (fp16, a diverged fine-tune) would make a right answer
    an invalid evaluation and a miss no failure. Such a row becomes 0 at its ``+inf`` classes and
    ``-inf`` elsewhere, so its probabilities are the limit, ``1 / k`` on each of its ``k`` infinite
    classes and 0 on the rest, and which class scores highest (ties included) is unchanged. Rows
    with a NaN are left as they are (no answer), and so are finite rows, bit for bit.
    """
    rows = logits.isposinf().any(-1, keepdim=True) & ~logits.isnan().any(-1, keepdim=True)
    if not bool(rows.any()):
        return logits
    limit = torch.where(
        logits.isposinf(), torch.zeros_like(logits), torch.full_like(logits, float("-inf"))
    )
    return torch.where(rows, limit, logits)
