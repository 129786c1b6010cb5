"""Whether a drop is *more than* its threshold, read past float32 rounding.

The rewards that fail on a drop ("the probability fell by more than ``threshold``", "the edit
cost more than ``threshold`` ROUGE-L F1") subtract two float32 scores. Each carries a few float32
steps of rounding, so a drop exactly at the threshold came out just above it and failed: softmax
made 0.75 -> 0.5 a drop of 0.25000003, and ROUGE-L F1 1.0 -> 0.9 a drop of 0.10000002. One rule
for every plugin (plugins do not import each other): a drop counts as more than the threshold
only when it passes it by more than :data:`DROP_ROUNDING` of the score's full range.
"""

from __future__ import annotations

import torch

DROP_ROUNDING = 1e-6
"""How far above ``threshold``, as a share of the score's full range, a float32 drop must be to
count as more than it: float32 scores near the top of their range round by about 6e-8 of it."""


def drop_exceeds(drop: torch.Tensor, threshold: float, full_scale: float = 1.0) -> torch.Tensor:
    """Per input, whether ``drop`` is more than ``threshold`` by more than float32 rounding.

    Args:
        drop: unchanged minus changed score, per input (float32 or wider).
        threshold: the drop a failure must pass, in the score's own units.
        full_scale: the score's range (1 for a probability or ROUGE-L F1, 100 for BLEU points),
            so that the tolerance is the same share of every scale.

    Returns:
        A boolean tensor shaped like ``drop``; a NaN drop is False.
    """
    return drop > threshold + DROP_ROUNDING * full_scale


def as_compared(threshold: float) -> float:
    """``threshold`` as a float32 score tensor compares it: torch casts a Python number to the
    tensor's dtype, so ``1e-50`` is 0 and ``-0.99999999`` is -1 there. A threshold that rounds to
    an end of the score's range decides as that end does."""
    return float(torch.tensor(threshold, dtype=torch.float32))


def drop_threshold_decides(threshold: float, full_scale: float = 1.0) -> bool:
    """Whether some drop can be more than ``threshold`` under :func:`drop_exceeds`: the largest
    drop a score allows (its full range, from the top to 0) must pass it. The drop must pass
    ``threshold`` plus the rounding allowance, so a threshold just under the full range
    (``bleu_drop`` 99.99995, of at most 100) could never fail an edit."""
    top = full_scale * (1 - DROP_ROUNDING)
    largest = torch.tensor([full_scale], dtype=torch.float32)
    return 0 <= threshold < top and bool(drop_exceeds(largest, threshold, full_scale))


def drop_threshold_range(full_scale: float, what: str, failing: str) -> str:
    """The thresholds :func:`drop_threshold_decides` takes, as an error line says them:
    ``in [0, 99.9999) (a drop in BLEU, at most 100: it must pass the threshold by 0.0001, float32
    rounding, so from about 99.9999 up no edit can fail)``."""
    top = full_scale * (1 - DROP_ROUNDING)
    return (
        f"in [0, {top:g}) ({what}, at most {full_scale:g}: it must pass the threshold by "
        f"{DROP_ROUNDING * full_scale:g}, float32 rounding, so from about {top:g} up no "
        f"{failing} can fail)"
    )
