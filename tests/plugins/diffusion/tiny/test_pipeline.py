"""Building the tiny test models prints nothing: transformers' "Writing model shards" bars are
no progress of real work, and left lines of noise on stderr at every test session's start."""

from __future__ import annotations

from pathlib import Path

import pytest
from ffade_diffusion.tiny.clip import save_random_clip
from ffade_diffusion.tiny.pipeline import save_random_pipeline
from transformers.utils import logging


def test_saving_the_tiny_models_prints_no_progress_bars(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    capfd.readouterr()
    save_random_pipeline(tmp_path / "sd")
    save_random_clip(tmp_path / "clip")
    out, err = capfd.readouterr()
    assert "Writing model shards" not in err + out
    assert (tmp_path / "sd" / "model_index.json").is_file()
    assert (tmp_path / "clip" / "config.json").is_file()
    assert logging.is_progress_bar_enabled()  # real downloads still show theirs
