"""The bundled tiny text-to-image model: an ordinary diffusers pipeline that draws digits.

Its failures under concepts are meant to be the model's own, so the tests pin that it loads the
way any Stable Diffusion checkpoint does, draws at its documented 16 px, and draws the digit a
plain prompt asks for far more often than chance (the shipped model: 80% of plain prompts, see
plugins/diffusion/ffade_diffusion/models/tiny_digits_t2i/TRAINING.txt; chance is 10%).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from diffusers import DiffusionPipeline, StableDiffusionPipeline
from ffade_diffusion.prompts import Prompt
from ffade_diffusion.targets.pipeline import BUNDLED_T2I
from ffade_diffusion.tiny.digits import DIGIT_WORDS

from ffade import registry
from ffade.cli import main

SIZE = 16
"""The side of the bundled model's images (documented in plugins/diffusion/README.md)."""


def test_shipped_pipeline_loads_with_from_pretrained_and_draws_at_16_px() -> None:
    pipeline = DiffusionPipeline.from_pretrained(str(BUNDLED_T2I))
    assert isinstance(pipeline, StableDiffusionPipeline)
    pipeline.set_progress_bar_config(disable=True)
    images = pipeline(
        ["a handwritten seven", "a thin slanted handwritten two"],
        num_inference_steps=10,
        guidance_scale=3.0,
        generator=torch.Generator().manual_seed(0),
        output_type="pt",
    ).images
    assert images.shape == (2, 3, SIZE, SIZE)
    assert float(images.min()) >= 0 and float(images.max()) <= 1
    assert float(images.std()) > 0.1  # strokes on a background, not a flat picture


def test_the_judge_reads_the_asked_digit_far_above_chance() -> None:
    """The shipped model draws most digits right (23 of these 30; 80% of 200 in TRAINING.txt)."""
    target = registry.create("target", "tiny_digits_t2i")
    assert (target.height, target.width) == (SIZE, SIZE)
    assert target.num_inference_steps <= 20
    prompts = [
        Prompt(template=f"a handwritten {word}", sample=s) for word in DIGIT_WORDS for s in range(3)
    ]
    labels = torch.arange(10).repeat_interleave(3)
    judge = registry.create("target", "digits_cnn")
    read = judge.predict(target.predict(prompts)["images"]).argmax(-1)
    assert float((read == labels).float().mean()) >= 0.7


def test_inputs_that_are_no_prompts_are_refused_in_the_configured_targets_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error named 'diffusers_pipeline', the class tiny_digits_t2i subclasses, which the
    user never typed: a config with images (digits) instead of prompts."""
    config = tmp_path / "t2i_images.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model": {
                    "class_path": "ffade.explore.RandomExplorer",
                    "init_args": {
                        "task": {
                            "target": {"name": "tiny_digits_t2i"},
                            "dataset": {"name": "digits"},
                            "reward": {
                                "name": "judge",
                                "args": {"classifier": {"name": "digits_cnn"}},
                            },
                            "concepts": [{"name": "rotation", "args": {"values": [0, 10]}}],
                        },
                        "budget": 8,
                    },
                }
            }
        )
    )
    monkeypatch.chdir(tmp_path)  # the run would go to ./runs
    assert main(["fit", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip() == (
        "ffade: error: target 'tiny_digits_t2i': inputs must be prompts from a ffade-diffusion "
        "dataset (prompts, digit_prompts), not Tensor"
    )
    assert not (tmp_path / "runs").exists()
