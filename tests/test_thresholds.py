"""ffade.thresholds: the one rule by which a drop is *more than* its threshold."""

from __future__ import annotations

import torch

from ffade.thresholds import DROP_ROUNDING, drop_exceeds


def test_a_drop_within_float32_rounding_of_the_threshold_is_at_it() -> None:
    # float32 1.0 - 0.9 and 0.75 - 0.5 through softmax: just above the typed threshold
    drops = torch.tensor([0.1, 1.0], dtype=torch.float32) - torch.tensor([0.0, 0.9])
    assert drops[1].item() > 0.1
    assert drop_exceeds(drops, 0.1).tolist() == [False, False]
    assert drop_exceeds(torch.tensor([0.1 + 1e-4, float("nan")]), 0.1).tolist() == [True, False]


def test_the_rounding_is_a_share_of_the_scores_range() -> None:
    """BLEU points round 100 times as coarsely as a probability: the same share of each range."""
    drop = torch.tensor([20.0 + 50 * DROP_ROUNDING, 20.0 + 1e-3])
    assert drop_exceeds(drop, 20.0, full_scale=100.0).tolist() == [False, True]
    assert drop_exceeds(drop, 20.0).tolist() == [True, True]
