"""Every diffusion plugin resolves by its entry-point name, from ffade-diffusion, which imports
no other plugin (the judge reaches classifiers through ffade's registry)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ffade_diffusion import concepts, datasets
from ffade_diffusion.rewards import clip_score, human, judge
from ffade_diffusion.targets import pipeline

from ffade import registry

EXPECTED = {
    "target": {
        "diffusers_pipeline": pipeline.DiffusersPipeline,
        "tiny_digits_t2i": pipeline.TinyDigitsT2I,
    },
    "dataset": {"prompts": datasets.PromptsDataset, "digit_prompts": datasets.DigitPrompts},
    "reward": {
        "clip_score": clip_score.ClipScore,
        "judge": judge.Judge,
        "human": human.HumanRating,
    },
    "concept": {
        "prompt_slot": concepts.PromptSlot,
        "prompt_words": concepts.PromptWords,
        "guidance_scale": concepts.GuidanceScale,
        "inference_steps": concepts.InferenceSteps,
    },
}
CASES = [(kind, name, cls) for kind, names in EXPECTED.items() for name, cls in names.items()]


@pytest.mark.parametrize(("kind", "name", "cls"), CASES, ids=[c[1] for c in CASES])
def test_entry_point_loads_the_class(kind: str, name: str, cls: type) -> None:
    assert registry.load(kind, name) is cls
    info = {(p.kind, p.name): p for p in registry.available(kind)}[(kind, name)]
    assert info.distribution.startswith("ffade-diffusion ")


def test_the_plugin_imports_no_other_plugin() -> None:
    package = Path(pipeline.__file__).resolve().parents[1]
    other = re.compile(r"^\s*(from|import)\s+ffade_(vision|text|synthetic)\b", re.MULTILINE)
    offenders = [p.name for p in package.rglob("*.py") if other.search(p.read_text())]
    assert offenders == []
