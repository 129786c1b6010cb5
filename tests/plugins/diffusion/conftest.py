"""Fixtures for the diffusion plugin tests: a tiny Stable Diffusion built from configs."""

from __future__ import annotations

from pathlib import Path

import pytest
from ffade_diffusion.tiny.clip import save_random_clip
from ffade_diffusion.tiny.pipeline import save_random_pipeline


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny StableDiffusionPipeline (16 px, random weights, word-level CLIP tokenizer)."""
    return save_random_pipeline(tmp_path_factory.mktemp("tiny_sd"))


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny CLIPModel (16 px images, word-level tokenizer), random weights."""
    return save_random_clip(tmp_path_factory.mktemp("tiny_clip"))
