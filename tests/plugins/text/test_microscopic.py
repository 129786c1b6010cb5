"""Microscopic exploration on text: edits added one at a time until the summary fails.

The explorer's smallest failing change per article is checked against the plugins themselves:
applying exactly those edits to the article breaks the summary (BLEU drop over the threshold),
the change has as many edits as the episode took steps, and the unedited article passes.
"""

from __future__ import annotations

from pathlib import Path

from ffade.explore import DQNExplorer
from ffade.explore.run import discover


def test_fewest_edits_that_break_a_summary(tmp_path: Path) -> None:
    values = [0, 1, 2, 3]
    task = {
        "target": {"name": "tiny_news_bart"},
        "dataset": {"name": "tiny_news"},
        "reward": {"name": "bleu_drop", "args": {"threshold": 20.0, "pass_reward": 0.0}},
        "concepts": [
            {"name": "keyboard_typo", "args": {"values": values}},
            {"name": "delete_word", "args": {"values": values}},
            {"name": "negate", "args": {"values": values}},
        ],
        "mode": "microscopic",
        "max_inputs": 12,
    }
    explorer = DQNExplorer(
        task, budget=200, num_envs=12, max_steps=9, learning_starts=24, buffer_size=1000
    )
    discover(explorer, tmp_path, seed=0)
    summary = explorer.summary()
    changes = summary["smallest_failing_changes"]
    assert summary["gradient_updates"] > 0 and changes
    assert [c["steps"] for c in changes] == sorted(c["steps"] for c in changes)

    built = explorer.task
    for change in changes:
        article, reference = built.inputs[change["input_id"]]
        assert sum(change["concepts"].values()) == change["steps"] >= 1
        edited = [article]
        for concept in built.space.concepts:
            edited = concept.apply(edited, change["concepts"][concept.label])
        clean = built.target.predict([article])
        scores = built.reward.score(built.target.predict(edited), [reference], clean)
        assert scores.failed.item(), change
        unedited = built.reward.score(clean, [reference], clean)
        assert not unedited.failed.item()
