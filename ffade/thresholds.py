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
