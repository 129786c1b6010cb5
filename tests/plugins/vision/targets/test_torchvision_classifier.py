"""torchvision classifiers as targets, with random weights at small resolution (offline, fast)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision
from ffade_vision.datasets import ImageFolderDataset
from ffade_vision.targets import TorchvisionClassifier
from ffade_vision.targets._base import IMAGENET_MEAN
from torchvision.models import get_model

from ffade.errors import PluginError

EMBEDDING = {"resnet18": 512, "alexnet": 4096, "efficientnet_b0": 1280}


@pytest.fixture
def batch(image_root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    data = ImageFolderDataset(str(image_root), image_size=64, fractions=(0.5, 0.25, 0.25))
    return data.collate(data.split("discovery")[:2])


@pytest.mark.parametrize("name", list(EMBEDDING))
def test_random_weights_give_logits_and_embeddings(name: str, batch) -> None:
    images, _ = batch
    torch.manual_seed(0)
    target = TorchvisionClassifier(name, num_classes=5)
    assert target.modality == "image" and not target.model.training
    logits = target.predict(images)
    assert logits.shape == (2, 5) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all() and not logits.requires_grad
    embedding = target.features(images)
    assert embedding.shape == (2, EMBEDDING[name])
    torch.testing.assert_close(target.predict(images), logits)  # eval mode: deterministic


def test_gray_images_and_other_sizes_are_adapted(batch) -> None:
    images, _ = batch
    target = TorchvisionClassifier("resnet18", num_classes=3, image_size=32)
    assert target.preprocess(images).shape == (2, 3, 32, 32)
    assert target.predict(images[:, :1]).shape == (2, 3)
    with pytest.raises(PluginError, match="2 channels"):
        target.predict(images[:, :2])


def test_local_checkpoint_reproduces_the_saved_model(tmp_path: Path, batch) -> None:
    images, _ = batch
    torch.manual_seed(1)
    original = TorchvisionClassifier("resnet18", num_classes=4)
    path = tmp_path / "fixed.pt"
    torch.save(original.model.state_dict(), path)
    loaded = TorchvisionClassifier("resnet18", weights=str(path), num_classes=4)
    torch.testing.assert_close(loaded.predict(images), original.predict(images))
    torch.save({"state_dict": original.model.state_dict(), "epoch": 3}, tmp_path / "wrapped.pth")
    wrapped = TorchvisionClassifier(
        "resnet18", weights=str(tmp_path / "wrapped.pth"), num_classes=4
    )
    torch.testing.assert_close(wrapped.predict(images), original.predict(images))


def test_safetensors_checkpoint(tmp_path: Path, batch) -> None:
    safetensors = pytest.importorskip("safetensors.torch")
    original = TorchvisionClassifier("resnet18", num_classes=2)
    path = tmp_path / "fixed.safetensors"
    safetensors.save_file(original.model.state_dict(), str(path))
    loaded = TorchvisionClassifier("resnet18", weights=str(path), num_classes=2)
    torch.testing.assert_close(loaded.predict(batch[0]), original.predict(batch[0]))


def test_checkpoint_errors_are_one_line_and_name_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "resnet.pt"
    torch.save(get_model("resnet18", num_classes=4).state_dict(), path)
    with pytest.raises(PluginError, match=r"does not fit the model.*num_classes"):
        TorchvisionClassifier("resnet18", weights=str(path), num_classes=7)
    with pytest.raises(PluginError, match="does not exist"):
        TorchvisionClassifier("resnet18", weights=str(tmp_path / "missing.pt"))
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(PluginError, match="not a state dict"):
        TorchvisionClassifier("resnet18", weights=str(tmp_path / "list.pt"))
    (tmp_path / "junk.pt").write_text("junk")
    with pytest.raises(PluginError, match="weights-only torch file"):
        TorchvisionClassifier("resnet18", weights=str(tmp_path / "junk.pt"))


def test_pretrained_weights_load_from_the_hub_cache_with_their_preprocessing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = torchvision.models.ResNet18_Weights.DEFAULT
    cached = tmp_path / "hub" / "checkpoints" / Path(weights.url).name
    cached.parent.mkdir(parents=True)
    torch.save(get_model("resnet18").state_dict(), cached)  # stands in for the real download
    target = TorchvisionClassifier("resnet18", weights="ResNet18_Weights.IMAGENET1K_V1")
    assert target.input_size == (224, 224)
    assert target.mean == list(IMAGENET_MEAN)
    assert target.categories is not None and len(target.categories) == 1000
    assert target.predict(batch[0]).shape == (2, 1000)


def test_weights_not_in_the_hub_cache_are_a_plugin_error_and_never_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    fetched = []
    monkeypatch.setattr(
        torchvision.models._api, "load_state_dict_from_url", lambda *a, **k: fetched.append(a)
    )
    with pytest.raises(PluginError, match="unavailable: not in the torch hub cache") as error:
        TorchvisionClassifier("resnet18", weights="DEFAULT")
    assert "\n" not in str(error.value) and not fetched
    # said as the user wrote it, then what it resolved to (was only the enum, never typed)
    assert str(error.value).startswith(
        "target 'torchvision_classifier': weights 'DEFAULT' (ResNet18_Weights.IMAGENET1K_V1) of "
        "'resnet18' are unavailable: "
    )
    with pytest.raises(PluginError) as error:
        TorchvisionClassifier("resnet18", weights="ResNet18_Weights.IMAGENET1K_V1")
    assert "weights 'ResNet18_Weights.IMAGENET1K_V1' of 'resnet18' are" in str(error.value)


def test_a_damaged_file_in_the_hub_cache_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, image_root: Path
) -> None:
    """A cached weights file cut short was pickle's UnpicklingError traceback, as typed."""
    from tests.helpers import REPO, ffade_in_process

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cached = tmp_path / "torch" / "hub" / "checkpoints" / "resnet50-11ad3fa6.pth"
    cached.parent.mkdir(parents=True)
    torch.save(get_model("resnet18").state_dict(), cached)
    cached.write_bytes(cached.read_bytes()[:5000])  # an interrupted copy
    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "resnet50.yaml"),
        "--model.init_args.task.dataset.args.root",
        str(image_root),
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "ffade: error: target 'torchvision_classifier': model.init_args.task.target.args.weights "
        "'ResNet50_Weights.IMAGENET1K_V2' of "
        f"'resnet50' are unavailable: the cached file {str(cached)!r} failed to load ("
    )
    assert lines[0].endswith("is it cut short or damaged? Delete it and fetch it again")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"model": "resnet19"},
            r"model 'resnet19' is not a torchvision classification model \(did you mean "
            r"'resnet18'\?\); allowed: one of the \d+ names torchvision.models.list_models",
        ),
        (
            {"model": "resnet18", "weights": "ResNet50_Weights.IMAGENET1K_V2"},
            "not a weights name of model 'resnet18'; allowed: DEFAULT, ResNet18_Weights",
        ),
        ({"model": "resnet18", "weights": "DEFAULT", "num_classes": 10}, "num_classes applies"),
        # a TypeError from the resize at the first evaluation; 0 was read as null
        ({"image_size": "224"}, r"image_size must be a whole number, at least 1, or null; got '"),
        ({"image_size": 0}, r"image_size must be a whole number, at least 1, or null; got 0"),
        ({"num_classes": 0}, r"num_classes must be a whole number, at least 1, or null; got 0"),
        # every batch resized to a million pixels a side: memory filled at the first evaluation
        (
            {"image_size": 10**6},
            r"^target 'torchvision_classifier': image_size must be at most 1024 pixels \(as "
            r"dataset 'image_folder' allows\), or null; got 1000000$",
        ),
    ],
)
def test_bad_names_say_what_is_allowed(kwargs: dict, match: str) -> None:
    with pytest.raises(PluginError, match=match):
        TorchvisionClassifier(**kwargs)


@pytest.mark.parametrize(
    ("model", "hint"), [("nope", ""), ("resnet5", " (did you mean 'resnet50'?)")]
)
def test_an_unknown_model_names_its_key_and_what_is_allowed(
    tmp_path: Path, image_root: Path, model: str, hint: str
) -> None:
    """Was "unknown model 'nope'": no key a user could find in the config, nor the names."""
    from tests.helpers import REPO, ffade_in_process

    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "alexnet.yaml"),
        "--model.init_args.task.dataset.args.root",
        str(image_root),
        "--model.init_args.task.target.args.model",
        model,
        "--model.init_args.task.target.args.weights",
        "null",
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    count = len(torchvision.models.list_models(module=torchvision.models))
    assert result.stderr.strip().splitlines() == [
        "ffade: error: target 'torchvision_classifier': model.init_args.task.target.args.model "
        f"'{model}' is not a torchvision classification model{hint}; allowed: one of the {count} "
        "names torchvision.models.list_models(torchvision.models) gives (alexnet, resnet18, "
        "resnet50, vit_b_16, ...)"
    ]
    assert not (tmp_path / "runs").exists()


@pytest.mark.gpu
def test_runs_on_cuda(batch) -> None:
    target = TorchvisionClassifier("resnet18", num_classes=3, device="cuda")
    images = target.to_device(batch[0])
    assert target.predict(images).device.type == "cuda"
    assert target.features(images).shape == (2, 512)


def test_pretrained_weights_resize_with_their_own_interpolation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EfficientNet's weights were trained on bicubic resizes; the target resized bilinearly."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = torchvision.models.EfficientNet_B0_Weights.IMAGENET1K_V1
    cached = tmp_path / "hub" / "checkpoints" / Path(weights.url).name
    cached.parent.mkdir(parents=True)
    torch.save(get_model("efficientnet_b0").state_dict(), cached)  # stands in for the download
    target = TorchvisionClassifier("efficientnet_b0", weights="DEFAULT")
    preset = weights.transforms()
    assert str(preset.interpolation) == "InterpolationMode.BICUBIC"
    # the weights' own transforms, on an image already cropped square: a resize to the crop size
    own = type(preset)(
        crop_size=224, resize_size=224, mean=preset.mean, std=preset.std,
        interpolation=preset.interpolation,
    )  # fmt: skip
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(target.preprocess(images), own(images))


def test_an_image_that_is_not_square_is_cropped_not_stretched() -> None:
    """A 4:3 image is resized on its short edge and center-cropped, as the weights' transforms
    do; the target stretched it to the square size, which no torchvision weights were fed."""
    target = TorchvisionClassifier("resnet18", num_classes=3, image_size=32)
    images = torch.rand(2, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    preset = type(torchvision.models.ResNet18_Weights.DEFAULT.transforms())
    published = preset(crop_size=32, resize_size=32)  # the weights' kind: short edge, center
    torch.testing.assert_close(target.preprocess(images), published(images))
    square = torch.rand(2, 3, 48, 48, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(target.preprocess(square), published(square))


@pytest.mark.parametrize("shape", [(3, 300, 400), (3, 224, 224)])
def test_weights_transforms_are_the_weights_own(
    shape: tuple[int, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """weights_transforms: true preprocesses as ``weights.transforms()`` does (EfficientNet-B0:
    the short edge to 256, bicubic, its center 224), square images of the crop size too."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = torchvision.models.EfficientNet_B0_Weights.IMAGENET1K_V1
    cached = tmp_path / "hub" / "checkpoints" / Path(weights.url).name
    cached.parent.mkdir(parents=True)
    torch.save(get_model("efficientnet_b0").state_dict(), cached)  # stands in for the download
    target = TorchvisionClassifier("efficientnet_b0", weights="DEFAULT", weights_transforms=True)
    images = torch.rand(2, *shape, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(target.preprocess(images), weights.transforms()(images))


@pytest.mark.parametrize("kwargs", [{}, {"weights": "DEFAULT", "image_size": 64}])
def test_weights_transforms_need_a_weights_name_and_no_image_size(kwargs: dict) -> None:
    with pytest.raises(PluginError, match=r"weights_transforms: true .* needs one as weights"):
        TorchvisionClassifier("resnet18", weights_transforms=True, **kwargs)
