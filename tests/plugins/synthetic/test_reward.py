"""The margin reward: a negative margin fails, and deeper failures earn more."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ffade_synthetic.reward import CERTAIN_DEPTH, MarginReward

from tests.helpers import ffade_in_process


def test_failed_exactly_when_the_margin_is_negative() -> None:
    margins = torch.tensor([-0.5, -0.01, 0.0, 0.3])
    scores = MarginReward().score(margins, references=None)
    assert scores.failed.tolist() == [True, True, False, False]
    assert scores.metric.tolist() == pytest.approx(margins.tolist())
    assert scores.reward.tolist() == pytest.approx([1 + 10 * 0.5, 1 + 10 * 0.01, -1.0, -1.0])


def test_scale_sets_the_reward_per_unit_of_depth() -> None:
    scores = MarginReward(scale=2.0).score(torch.tensor([-0.25, 0.25]), references=None)
    assert scores.reward.tolist() == pytest.approx([1.5, -1.0])


def test_a_certain_failure_pays_a_finite_reward() -> None:
    """A margin of -inf paid 1 + scale * inf = inf, so the run counted that evaluation invalid
    instead of failed; it counts the depth a certain miss has in the vision rewards."""
    for dtype in (torch.float32, torch.float64):
        margins = torch.tensor(
            [float("-inf"), -1e308 if dtype == torch.float64 else -1e38], dtype=dtype
        )
        scores = MarginReward().score(margins, references=None)
        assert scores.failed.tolist() == [True, True]
        assert torch.isfinite(scores.reward).all()
        assert scores.reward[0].item() == pytest.approx(1 + 10 * CERTAIN_DEPTH)
        assert scores.reward[1].item() == torch.finfo(torch.float32).max  # Scores' float32
    assert round(CERTAIN_DEPTH, 2) == 88.72
    nan = MarginReward().score(torch.tensor([float("nan")]), references=None)
    assert nan.failed.tolist() == [False]  # not a failure; the run counts a NaN metric invalid


def test_a_summarizer_is_refused_before_the_run_in_one_line(tmp_path) -> None:
    """A summarizer's texts have no margin: the first evaluation raised a TypeError traceback
    after the run directory was made. margin declares output_kinds ("margins"), so the line
    names the rewards that score texts."""
    done = ffade_in_process(
        "fit",
        "--config",
        str(Path(__file__).resolve().parents[3] / "configs" / "text_quickstart.yaml"),
        "--model.init_args.task.reward.name=margin",
        cwd=tmp_path,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(
        "ffade: error: reward 'margin' needs output_kind 'margins', but target 'tiny_news_bart' "
        "returns texts (output_kind 'texts'); rewards that score texts: "
    )
    assert "bleu_drop" in line
    assert not (tmp_path / "runs").exists()


def test_the_synthetic_target_given_another_reward_is_told_margin_scores_it(tmp_path) -> None:
    """configs/synthetic.yaml with a classifier's reward said "no installed or registered
    reward scores output_kind 'margins' ... correct the target's output_kind if it is
    misspelled", though margin scores them: margin declared no output_kinds."""
    done = ffade_in_process(
        "fit",
        "--config",
        str(Path(__file__).resolve().parents[3] / "configs" / "synthetic.yaml"),
        "--model.init_args.task.reward.name=misclassification",
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "ffade: error: reward 'misclassification' needs a classifier's class scores, but target "
        "'synthetic' returns outputs (output_kind 'margins'); rewards that score output_kind "
        "'margins': margin"
    ]
    assert not (tmp_path / "runs").exists()
