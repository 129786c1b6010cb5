from __future__ import annotations

import json
from pathlib import Path

import pytest
from ffade_diffusion.datasets import DigitPrompts, PromptsDataset
from ffade_diffusion.prompts import Prompt

from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS


def _pairs(dataset: PromptsDataset) -> dict[str, set[tuple[str, int]]]:
    return {s: {(p.template, p.sample) for p, _ in dataset.split(s)} for s in SPLITS}


def test_inline_prompts_split_disjointly_over_prompt_and_sample() -> None:
    dataset = PromptsDataset(["a cat", {"prompt": "a dog", "label": 3}], samples_per_prompt=5)
    pairs = _pairs(dataset)
    assert sum(map(len, pairs.values())) == 10
    assert not (pairs["discovery"] & pairs["finetune"] or pairs["discovery"] & pairs["heldout"])
    assert not pairs["finetune"] & pairs["heldout"]
    labels = {p.template: y for s in SPLITS for p, y in dataset.split(s)}
    assert labels == {"a cat": None, "a dog": 3}


def test_jsonl_and_csv_read_the_same(tmp_path: Path) -> None:
    rows = [
        {"prompt": f"a {{style}} {w}", "label": i} for i, w in enumerate(["zero", "one", "two"])
    ]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "p.csv").write_text(
        "prompt,label\n" + "".join(f"{r['prompt']},{r['label']}\n" for r in rows)
    )
    a = PromptsDataset(path=str(tmp_path / "p.jsonl"), samples_per_prompt=3, seed=4)
    b = PromptsDataset(path=str(tmp_path / "p.csv"), samples_per_prompt=3, seed=4)
    assert all(a.split(s) == b.split(s) for s in SPLITS)
    inputs, labels = a.collate(a.split("discovery"))
    assert all(isinstance(p, Prompt) for p in inputs) and all(isinstance(y, int) for y in labels)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give either 'prompts'"),
        ({"prompts": ["a"], "path": "x.jsonl"}, "give either 'prompts'"),
        ({"path": "missing.jsonl"}, "does not exist"),
        ({"prompts": [{"text": "a"}]}, "must be a prompt string or an object with a 'prompt'"),
        ({"prompts": [{"prompt": "a", "label": "seven"}]}, "expected a class index"),
        ({"prompts": ["a"], "samples_per_prompt": 0}, "samples_per_prompt must be at least 1"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(FfadeError, match=message):
        PromptsDataset(**kwargs)


def test_digit_prompts_label_each_digit() -> None:
    dataset = DigitPrompts(samples_per_prompt=4)
    items = [item for s in SPLITS for item in dataset.split(s)]
    assert len(items) == 40
    assert {(p.template, y) for p, y in items} >= {("a {style} handwritten seven", 7)}
