"""Rewards and targets of different plugins: a reward that cannot score a target's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ffade_in_process


@pytest.mark.parametrize(
    ("config", "reward", "line"),
    [
        (
            "text_quickstart",
            "{name: label_flip}",
            "reward 'label_flip' needs a classifier's class scores, but target 'tiny_news_bart' "
            "returns texts (output_kind 'texts'); rewards that score texts: bleu, bleu_drop, "
            "rougel or rougel_drop",
        ),
        (
            "text_classification",
            "{name: bleu}",
            "reward 'bleu' needs texts, but target 'hf_pipeline' returns a classifier's class "
            "scores (output_kind 'class_scores'); rewards that score a classifier's class "
            "scores: accuracy_drop, confidence_drop, label_confidence_drop, label_flip or "
            "misclassification",
        ),
        (
            "text_quickstart",
            "{name: misclassification}",
            "reward 'misclassification' needs a classifier's class scores, but target "
            "'tiny_news_bart' returns texts (output_kind 'texts'); rewards that score texts: "
            "bleu, bleu_drop, rougel or rougel_drop",
        ),
        (
            "quickstart",
            "{name: bleu_drop}",
            "reward 'bleu_drop' needs texts, but target 'digits_cnn' returns a classifier's "
            "class scores (output_kind 'class_scores'); rewards that score a classifier's "
            "class scores: accuracy_drop, confidence_drop, label_confidence_drop, label_flip or "
            "misclassification",
        ),
    ],
)
def test_a_reward_of_the_wrong_kind_is_one_line_before_the_run(
    config: str, reward: str, line: str, tmp_path: Path
) -> None:
    """A classifier's reward on a summarizer, and a summary reward on a classifier (either
    plugin's), were refused only at the first evaluation, after the evaluations bar had started."""
    result = ffade_in_process(
        "fit",
        "--config",
        f"configs/{config}.yaml",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "runs"),
        "--model.init_args.task.reward",
        reward,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [f"ffade: error: {line}"]
    assert not (tmp_path / "runs").exists()
