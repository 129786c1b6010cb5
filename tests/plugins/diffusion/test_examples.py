"""The worst-failure pictures of a text-to-image run whose prompt slot's grid is all words, as
the paper's is (no "": no empty slot): the original beside each failure is the prompt at the
slot's stand-in, a prompt the search tried, not the template with the slot left empty."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from matplotlib.image import imread

from ffade.env import Evaluator
from ffade.explore.examples import MIN_PAIR_HEIGHT, save_worst_examples
from ffade.task import build_task

STYLES = ["thin", "slanted", "messy"]
"""A slot grid without "": "thin", the first, stands for the empty slot."""


def _spec() -> dict:
    return {
        "target": {"name": "tiny_digits_t2i", "args": {"num_inference_steps": 2}},
        "dataset": {"name": "digit_prompts", "args": {"samples_per_prompt": 1, "seed": 0}},
        "reward": {"name": "judge", "args": {"classifier": {"name": "digits_cnn"}}},
        "concepts": [
            {"name": "prompt_slot", "args": {"slot": "style", "label": "style", "values": STYLES}},
            {"name": "prompt_words", "args": {"position": "after", "values": ["", "on paper"]}},
        ],
        "mode": "macroscopic",
    }


def test_a_slot_grid_of_words_draws_the_original_at_its_stand_in(tmp_path: Path) -> None:
    task = build_task(_spec())
    assert any("'thin', the first, stands for 'unchanged'" in note for note in task.notes)
    evaluator = Evaluator(task, batch_size=16)
    ids = np.repeat(np.arange(len(task.inputs)), 6)
    states = np.tile(np.array([[i, j] for i in range(3) for j in range(2)]), (len(task.inputs), 1))
    assert evaluator.evaluate(ids, states).failed.any()
    assert save_worst_examples(evaluator, tmp_path) >= 1
    target = task.target
    entries = json.loads((tmp_path / "examples" / "examples.json").read_text())
    assert any(entry["concepts"]["style"] == "thin" for entry in entries)
    for entry in entries:
        # named as reports name it: the stand-in is the neutral, no change
        assert "style" not in entry["changed"] or entry["changed"]["style"] != "thin"
        one = np.array([entry["input_id"]])
        stand_in = evaluator.changes.inputs(one, task.space.neutral[None])
        assert "thin" in target.describe_inputs(stand_in)[0]  # the slot filled, as searched
        with torch.inference_mode():
            original = target.render(stand_in)[0].permute(1, 2, 0).float().numpy()
        side = original.shape[0]
        scale = max(1, -(-MIN_PAIR_HEIGHT // side))
        png = imread(tmp_path / "examples" / entry["file"])[:, :, :3]
        width = (2 * side + max(1, side // 16)) * scale
        left = (png.shape[1] - width) // 2
        shown = png[-side * scale :, left : left + side * scale][::scale, ::scale]
        assert np.allclose(shown, np.clip(original, 0, 1), atol=1 / 255), entry
