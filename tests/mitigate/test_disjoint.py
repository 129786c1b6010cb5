"""The fine-tuner refuses a dataset whose splits share an input, compared by content."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from ffade_vision.datasets.digits import DigitsDataset

from ffade import registry
from ffade.errors import FfadeError
from ffade.mitigate.disjoint import check_disjoint, fingerprint
from tests.mitigate.test_classifier import fine_tune


def test_equal_contents_have_equal_fingerprints_and_different_ones_differ() -> None:
    image = torch.rand(1, 28, 28)
    assert fingerprint(image) == fingerprint(image.clone())
    assert fingerprint(image) != fingerprint(image.to(torch.float64))  # same values, other bytes
    assert fingerprint(image) != fingerprint(image.reshape(28, 28))
    assert fingerprint({"ids": torch.arange(3), "mask": torch.ones(3)}) == fingerprint(
        {"mask": torch.ones(3), "ids": torch.arange(3)}
    )
    assert fingerprint("a review") != fingerprint("a review ")
    assert fingerprint(np.zeros(4, np.float32)) == fingerprint(np.zeros(4, np.float32))
    assert fingerprint(torch.ones(2, dtype=torch.bfloat16)) is not None
    assert fingerprint(threading.Lock()) is None  # cannot be read as bytes: compared with nothing


def test_a_shared_input_is_named_with_its_splits_and_positions() -> None:
    splits = {"discovery": ["a", "b", "c"], "finetune": ["d", "c", "e", "b"], "heldout": ["f"]}
    with pytest.raises(FfadeError) as error:
        check_disjoint(splits, "reviews")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("dataset 'reviews': 2 input(s) of split 'discovery' also appear")
    assert "(e.g. discovery input 1 is finetune input 3)" in message
    check_disjoint({"discovery": ["a"], "finetune": ["b"], "heldout": ["c", "c"]}, "reviews")


class LeakyDigits(DigitsDataset):
    """A dataset plugin's mistake: the held-out split repeats fine-tuning images."""

    def split(self, name: str) -> list:
        pairs = super().split(name)
        return super().split("finetune")[:5] + pairs[5:] if name == "heldout" else pairs


def test_a_fine_tune_on_a_dataset_whose_splits_overlap_stops_before_training(
    digits_run: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["dataset"]["name"] = "leaky_digits"
    (run / "summary.json").write_text(json.dumps(summary))
    registry.register("dataset", "leaky_digits", LeakyDigits)
    try:
        with pytest.raises(FfadeError) as error:
            fine_tune(run, tmp_path / "out")
    finally:
        registry.unregister("dataset", "leaky_digits")
    message = str(error.value)
    assert message.startswith("dataset 'leaky_digits': 5 input(s) of split 'finetune' also ")
    assert "(e.g. finetune input 0 is heldout input 0)" in message
    assert not list((tmp_path / "out").rglob("model.pt"))
