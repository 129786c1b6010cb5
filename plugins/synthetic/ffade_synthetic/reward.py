"""Judge a margin: failed when negative, rewarded by how deep the failure goes."""

from __future__ import annotations

import math

import torch

from ffade.errors import require_positive_arg
from ffade.plugin_api import Reward, Scores

CERTAIN_DEPTH = math.log(torch.finfo(torch.float32).max)
"""The depth a certain failure (a margin of -inf) counts (about 88.7): the log-odds the vision
rewards give a certain miss, so that a margin read as a logit gap pays alike."""


class MarginReward(Reward):
    """Failure when the target's margin is below zero.

    Like the paper's classification reward, a failure earns a reward that grows with its depth
    (``1 + scale * |margin|``) and a pass costs -1, so the explorer prefers clear failures.
    A margin of -inf (a user's callable may give one) would pay inf, which the run counts as
    invalid rather than failed: it counts a depth of :data:`CERTAIN_DEPTH` instead, bounded so
    that an explorer without a reward clip still learns; a finite margin so deep that its
    reward passes float32's largest pays that float instead.

    Args:
        scale: reward per unit of margin on a failure.
    """

    output_kinds = ("margins",)
    """Declared, not only checked: a target of another kind is refused when the task is built
    (a summarizer's texts reached ``outputs < 0`` at the first evaluation, a TypeError), and
    the synthetic target given another reward is told that this one scores its margins (it was
    told "no installed or registered reward scores output_kind 'margins'"). A target that
    declares no ``output_kind`` (``callable``) may return margins."""

    def __init__(self, scale: float = 10.0) -> None:
        self.scale = require_positive_arg(self, "reward", "scale", scale)

    def score(self, outputs: torch.Tensor, references, clean_outputs=None) -> Scores:
        failed = outputs < 0
        depth = outputs.abs().nan_to_num(nan=float("nan"), posinf=CERTAIN_DEPTH)
        # Scores holds float32: a deeper reward, in any dtype, would become inf there
        paid = (1 + self.scale * depth).clamp(max=torch.finfo(torch.float32).max)
        reward = torch.where(failed, paid, torch.full_like(paid, -1.0))
        return Scores(metric=outputs, failed=failed, reward=reward)
