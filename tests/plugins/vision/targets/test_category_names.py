"""A user's own torchvision classifier names its classes (``categories``), so the worst failing
examples read "should be cat ... predicted dog", not class indices no one can look up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from torchvision.models import get_model

from tests.helpers import ffade_in_process
from tests.plugins.vision.conftest import CLASSES


def own_model_config(tmp_path: Path, image_root: Path, **target_args: object) -> Path:
    """A config as a user writes one: their resnet18 state dict, their image folder."""
    torch.manual_seed(0)
    weights = tmp_path / "mine.pt"
    torch.save(get_model("resnet18", num_classes=len(CLASSES)).state_dict(), weights)
    args = {"model": "resnet18", "weights": str(weights), "image_size": 32, **target_args}
    task = {
        "target": {"name": "torchvision_classifier", "args": args},
        "dataset": {"name": "image_folder", "args": {"root": str(image_root), "image_size": 32}},
        "reward": {"name": "misclassification"},
        "concepts": [{"name": "rotation", "args": {"values": [0, 90, 180]}}],
    }
    config = {
        "seed_everything": 0,
        "model": {"class_path": "RandomExplorer", "init_args": {"task": task, "budget": 12}},
        "trainer": {
            "logger": {
                "class_path": "lightning.pytorch.loggers.CSVLogger",
                "init_args": {"save_dir": str(tmp_path / "runs"), "name": "mine"},
            }
        },
    }
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_examples_name_the_classes_of_the_users_own_model(
    tmp_path: Path, image_root: Path
) -> None:
    config = own_model_config(tmp_path, image_root, categories=list(CLASSES))
    result = ffade_in_process("fit", "--config", str(config))
    assert result.returncode == 0, result.stderr
    examples = json.loads((tmp_path / "runs/mine/version_0/examples/examples.json").read_text())
    assert examples, "the random weights failed nowhere: no examples to read"
    for example in examples:
        assert example["reference"] in CLASSES
        assert example["output"].split(" (p=")[0].removeprefix("predicted ") in CLASSES


@pytest.mark.parametrize(
    ("categories", "said"),
    [
        ("[cat, dog]", "categories names 2 classes but num_classes is 3; give one name per class"),
        ("[a, a, b]", "categories names 'a' more than once"),
        ("cats", "categories must be a list of at least 2 class names in class-index order"),
    ],
)
def test_categories_that_cannot_name_the_classes_are_one_line(
    tmp_path: Path, image_root: Path, categories: str, said: str
) -> None:
    config = own_model_config(tmp_path, image_root, num_classes=len(CLASSES))
    option = "--model.init_args.task.target.args.categories"
    result = ffade_in_process("fit", "--config", str(config), option, categories)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ffade: error: ") and said in lines[0], lines
