"""Fixtures for the vision plugin tests: a tiny class-folder dataset written on the fly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CLASSES = ("cat", "dog", "fox")


@pytest.fixture
def image_root(tmp_path: Path) -> Path:
    """Three class folders of four random images each, in two sizes and two formats."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    for name in CLASSES:
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(4):
            height, width = (48, 80) if i % 2 else (90, 70)
            pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.{'png' if i % 2 else 'jpg'}")
        (folder / "notes.txt").write_text("not an image")
    return root
