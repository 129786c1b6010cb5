"""The margin reward: a negative margin fails, and deeper failures earn more."""

from __future__ import annotations

import pytest
import torch
from ffade_synthetic.reward import MarginReward


def test_failed_exactly_when_the_margin_is_negative() -> None:
    margins = torch.tensor([-0.5, -0.01, 0.0, 0.3])
    scores = MarginReward().score(margins, references=None)
    assert scores.failed.tolist() == [True, True, False, False]
    assert scores.metric.tolist() == pytest.approx(margins.tolist())
    assert scores.reward.tolist() == pytest.approx([1 + 10 * 0.5, 1 + 10 * 0.01, -1.0, -1.0])


def test_scale_sets_the_reward_per_unit_of_depth() -> None:
    scores = MarginReward(scale=2.0).score(torch.tensor([-0.25, 0.25]), references=None)
    assert scores.reward.tolist() == pytest.approx([1.5, -1.0])
