"""Classification rewards on hand-made logits whose answers are known."""

from __future__ import annotations

import math

import pytest
import torch
from ffade_vision.rewards import AccuracyDrop, ConfidenceDrop, Misclassification, top1_log_odds
from hypothesis import given, settings
from hypothesis import strategies as st

from ffade import registry
from ffade.errors import FfadeError

# row 0: confident and right; row 1: wrong (predicts class 1, label 0)
LOGITS = torch.tensor([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
LABELS = torch.tensor([0, 0])


def test_misclassification_follows_the_paper() -> None:
    scores = Misclassification().score(LOGITS, LABELS)
    assert scores.failed.tolist() == [False, True]
    # miss: p = e^3 / (e^3 + 2), so ln(p / (1 - p)) = 3 - ln 2
    assert scores.reward.tolist() == pytest.approx([-1.0, 10 * (3 - math.log(2))], rel=1e-6)
    true_class = [math.exp(2) / (math.exp(2) + 2), 1 / (math.exp(3) + 2)]
    assert scores.metric.tolist() == pytest.approx(true_class, rel=1e-6)


def test_misclassification_reward_stays_finite_when_the_model_is_certain() -> None:
    scores = Misclassification(scale=1.0, pass_reward=0.0).score(torch.tensor([[500.0, 0.0]]), [1])
    assert scores.failed.item() and scores.reward.item() == pytest.approx(500.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=6))
def test_log_odds_match_the_definition(row: list[float]) -> None:
    logits = torch.tensor([row], dtype=torch.float64)
    p = logits.softmax(-1).max().item()
    if p < 1 - 1e-9:
        assert top1_log_odds(logits).item() == pytest.approx(math.log(p / (1 - p)), abs=1e-6)


def test_accuracy_drop_counts_only_answers_the_change_broke() -> None:
    clean = torch.tensor([[2.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, 2.0]])
    changed = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([0, 0, 0, 0])
    reward = AccuracyDrop()
    assert reward.needs_clean_outputs
    scores = reward.score(changed, labels, clean)
    assert scores.failed.tolist() == [True, False, False, False]
    assert scores.metric.tolist() == [1.0, 0.0, 0.0, -1.0]
    assert scores.reward.tolist() == pytest.approx([10.0, -1.0, -1.0, -1.0])  # |ln(e/1)| = 1
    with pytest.raises(FfadeError, match=r"reward 'accuracy_drop'.*clean_outputs=None"):
        registry.create("reward", "accuracy_drop").score(changed, labels)


def test_confidence_drop_uses_the_threshold() -> None:
    clean = torch.tensor([[3.0, 0.0], [3.0, 0.0], [0.0, 0.0]])
    changed = torch.tensor([[0.0, 0.0], [2.5, 0.0], [3.0, 0.0]])
    labels = torch.tensor([0, 0, 0])
    p = torch.tensor([3.0, 0.0]).softmax(-1)[0].item()
    scores = ConfidenceDrop(threshold=0.3).score(changed, labels, clean)
    assert scores.failed.tolist() == [True, False, False]
    assert scores.metric[0].item() == pytest.approx(p - 0.5)
    assert scores.metric[2].item() < 0, "confidence rose"
    assert scores.reward[0].item() == pytest.approx(10 * (p - 0.5))
    assert ConfidenceDrop.needs_clean_outputs
    with pytest.raises(FfadeError, match=r"threshold 1\.5 is not allowed"):
        ConfidenceDrop(threshold=1.5)


def test_shapes_are_checked() -> None:
    with pytest.raises(FfadeError, match=r"logits \(B, num_classes\)"):
        Misclassification().score(torch.zeros(3), torch.zeros(3))
    with pytest.raises(FfadeError, match="do not match"):
        AccuracyDrop().score(LOGITS, LABELS, LOGITS[:1])
