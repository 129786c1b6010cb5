"""Fixtures for the text plugin tests: untrained tiny BART and T5 built from configs, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from ffade_text.datasets import TinyNewsDataset
from ffade_text.tiny import save_tiny


def _texts() -> list[str]:
    return [t for pair in TinyNewsDataset().split("finetune")[:80] for t in pair]


@pytest.fixture(scope="session")
def tiny_bart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved 2-layer BART (d_model 128) with a byte-level BPE tokenizer, random weights."""
    return save_tiny("bart", _texts(), tmp_path_factory.mktemp("tiny_bart"))


@pytest.fixture(scope="session")
def tiny_t5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved 2-layer T5 (d_model 64) with a byte-level BPE tokenizer, random weights."""
    return save_tiny("t5", _texts(), tmp_path_factory.mktemp("tiny_t5"))
