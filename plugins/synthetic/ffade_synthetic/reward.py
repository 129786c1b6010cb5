"""Judge a margin: failed when negative, rewarded by how deep the failure goes."""

from __future__ import annotations

import torch

from ffade.errors import require_positive_arg
from ffade.plugin_api import Reward, Scores, Target
from ffade.plugin_checks import check_output_kind


class MarginReward(Reward):
    """Failure when the target's margin is below zero.

    Like the paper's classification reward, a failure earns a reward that grows with its depth
    (``1 + scale * |margin|``) and a pass costs -1, so the explorer prefers clear failures.

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
        reward = torch.where(failed, 1 + self.scale * outputs.abs(), torch.full_like(outputs, -1.0))
        return Scores(metric=outputs, failed=failed, reward=reward)
