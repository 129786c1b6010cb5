"""Judge a margin: failed when negative, rewarded by how deep the failure goes."""

from __future__ import annotations

import math

import torch

from ffade.errors import require_positive_arg
from ffade.plugin_api import Reward, Scores, Target
from ffade.plugin_checks import check_output_kind

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

    def __init__(self, scale: float = 10.0) -> None:
        self.scale = require_positive_arg(self, "reward", "scale", scale)

    def check_target(self, target: Target) -> None:
        """Refuse, before the run, a target that declares other outputs than margins: a
        summarizer's texts reached ``outputs < 0`` at the first evaluation, a TypeError
        traceback. A target that declares no ``output_kind`` (``callable``) may return margins."""
        check_output_kind(self, target, "margins")

    def score(self, outputs: torch.Tensor, references, clean_outputs=None) -> Scores:
        failed = outputs < 0
        depth = outputs.abs().nan_to_num(nan=float("nan"), posinf=CERTAIN_DEPTH)
        # Scores holds float32: a deeper reward, in any dtype, would become inf there
        paid = (1 + self.scale * depth).clamp(max=torch.finfo(torch.float32).max)
        reward = torch.where(failed, paid, torch.full_like(paid, -1.0))
        return Scores(metric=outputs, failed=failed, reward=reward)
