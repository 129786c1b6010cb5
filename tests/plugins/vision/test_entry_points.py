"""Every plugin resolves by its entry-point name through ffade's registry, from ffade-vision."""

from __future__ import annotations

import pytest
from ffade_vision import concepts, datasets, rewards, targets
from ffade_vision.targets.efficientnet_lite import EfficientNetLite

from ffade import registry

EXPECTED = {
    "target": {
        "torchvision_classifier": targets.TorchvisionClassifier,
        "digits_cnn": targets.DigitsCNNTarget,
        "efficientnet_lite": EfficientNetLite,
    },
    "concept": {
        "rotation": concepts.Rotation,
        "scale": concepts.Scale,
        "translation": concepts.Translation,
        "brightness": concepts.Brightness,
        "saturation": concepts.Saturation,
        "contrast": concepts.Contrast,
        "hue": concepts.Hue,
        "gamma": concepts.Gamma,
        "gaussian_blur": concepts.GaussianBlur,
        "gaussian_noise": concepts.GaussianNoise,
        "occlusion": concepts.Occlusion,
    },
    "reward": {
        "misclassification": rewards.Misclassification,
        "accuracy_drop": rewards.AccuracyDrop,
        "confidence_drop": rewards.ConfidenceDrop,
    },
    "dataset": {
        "digits": datasets.DigitsDataset,
        "image_folder": datasets.ImageFolderDataset,
        "sample_photos": datasets.SamplePhotosDataset,
    },
}
CASES = [(kind, name, cls) for kind, names in EXPECTED.items() for name, cls in names.items()]


@pytest.mark.parametrize(("kind", "name", "cls"), CASES, ids=[c[1] for c in CASES])
def test_entry_point_loads_the_class(kind: str, name: str, cls: type) -> None:
    assert registry.load(kind, name) is cls
    assert "plugin_name" not in vars(cls), "the entry point is the one source of a plugin's name"
    info = {(p.kind, p.name): p for p in registry.available(kind)}[(kind, name)]
    assert info.distribution.startswith("ffade-vision ")


def test_create_builds_configured_plugins() -> None:
    rotation = registry.create("concept", "rotation", {"values": [-10, 0, 10]})
    assert rotation.label == "rotation" and rotation.values == [-10, 0, 10]
    blur = registry.create("concept", "gaussian_blur")
    assert blur.label == blur.plugin_name == "gaussian_blur"
    assert registry.create("reward", "confidence_drop", {"threshold": 0.5}).threshold == 0.5
    target = registry.create("target", "digits_cnn", {"weights": None})
    assert target.modality == "image"
