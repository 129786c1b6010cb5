"""hf_image_pipeline on a tiny ViT built from a config and saved here: offline, in seconds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from ffade_vision.datasets.digits import DigitsDataset
from ffade_vision.targets.hf_pipeline import HFImagePipeline

from ffade.errors import PluginError
from ffade.hf_models import quiet_saving
from ffade.plugin_api import TrainableTarget
from tests.helpers import REPO, ffade_in_process

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_vit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    config = transformers.ViTConfig(
        image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=64, num_labels=10,
        id2label={i: f"digit {i}" for i in range(10)},
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny_vit")
    processor = transformers.ViTImageProcessor(
        size={"height": 32, "width": 32}, image_mean=[0.5] * 3, image_std=[0.5] * 3
    )
    with quiet_saving():
        transformers.ViTForImageClassification(config).save_pretrained(folder)
        processor.save_pretrained(folder)
    return folder


def test_logits_follow_the_dataset_classes(tiny_vit: Path) -> None:
    images, _ = DigitsDataset().collate(DigitsDataset().split("discovery")[:4])
    target = HFImagePipeline(str(tiny_vit))
    logits = target.predict(images)
    assert logits.shape == (4, 10)
    reordered = HFImagePipeline(str(tiny_vit), labels=["Digit 3", "digit 1"])
    assert torch.allclose(reordered.predict(images), logits[:, [3, 1]], atol=1e-5)
    assert target.features(images).shape == (4, 32)
    assert isinstance(target, TrainableTarget)
    assert target.describe_outputs(logits)[0].startswith("predicted digit ")
    assert reordered.describe_references([1, 0]) == ["digit 1", "Digit 3"]
    assert target.describe_references([torch.tensor(2)]) == [target.categories[2]]


def test_mistakes_are_one_line_errors(tiny_vit: Path, tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="labels: 'cat' is not one of the model's labels"):
        HFImagePipeline(str(tiny_vit), labels=["cat"])
    # a string was read as its letters, a repeat made two dataset classes one model class
    for labels in ("cat", ["cat", "Cat"]):
        with pytest.raises(PluginError, match="labels must be a list of distinct names"):
            HFImagePipeline(str(tiny_vit), labels=labels)
    with pytest.raises(PluginError, match="task 'summarization' is not allowed"):
        HFImagePipeline(str(tiny_vit), task="summarization")
    fetch = r"not in the Hugging Face cache: fetch it once with `hf download nobody/no-such-vit`"
    with pytest.raises(PluginError, match=fetch) as error:
        HFImagePipeline("nobody/no-such-vit")
    assert "\n" not in str(error.value) and "connect" not in str(error.value)  # none was tried
    with pytest.raises(
        PluginError,
        match=r"missing': no such folder /\S+/missing; download the model there first \(hf",
    ):
        HFImagePipeline(str(tmp_path / "missing"))


def test_a_directory_without_its_image_processor_is_one_line_naming_the_file(
    tiny_vit: Path, tmp_path: Path
) -> None:
    # transformers' own line told the user to check that no local directory had the model's
    # name, for the directory they meant to give
    shutil.copytree(tiny_vit, tmp_path / "vit")
    (tmp_path / "vit" / "preprocessor_config.json").unlink()
    with pytest.raises(PluginError) as error:
        HFImagePipeline(str(tmp_path / "vit"))
    assert str(error.value) == (
        f"target 'hf_image_pipeline': model {str(tmp_path / 'vit')!r} has no "
        "preprocessor_config.json (its image processor); save it into the directory: "
        "processor.save_pretrained(DIR)"
    )


def test_loading_prints_no_progress_bar(tiny_vit: Path, capfd: pytest.CaptureFixture) -> None:
    from transformers.utils import logging as hf_logging

    capfd.readouterr()
    with pytest.raises(PluginError, match="labels: 'cat'"):
        HFImagePipeline(str(tiny_vit), labels=["cat"])
    assert "Loading weights" not in capfd.readouterr().err  # the error is the one line
    assert hf_logging.is_progress_bar_enabled()  # and the bars are back for everything else


def test_a_class_past_the_listed_labels_is_refused_up_front(tiny_vit: Path) -> None:
    """Two labels score two dataset classes: a class index 2 was refused only by the reward."""
    target = HFImagePipeline(str(tiny_vit), labels=["digit 3", "digit 1"])
    target.check_references([0, 1])
    with pytest.raises(PluginError, match=r"class index 2, but the target scores 2 .* in labels"):
        target.check_references([0, 2])
    HFImagePipeline(str(tiny_vit)).check_references([9])


def test_labels_given_as_numbers_name_a_model_labelled_with_numbers(
    tiny_vit: Path, tmp_path: Path
) -> None:
    """A digits model labelled "0".."9" takes YAML's ``labels: [3, 1]``, numbers: the run
    found them, then ended in a TypeError traceback at its first failure's caption."""
    import json

    shutil.copytree(tiny_vit, tmp_path / "vit")
    config = json.loads((tmp_path / "vit" / "config.json").read_text())
    config["id2label"] = {str(i): str(i) for i in range(10)}
    config["label2id"] = {str(i): i for i in range(10)}
    (tmp_path / "vit" / "config.json").write_text(json.dumps(config))
    target = HFImagePipeline(str(tmp_path / "vit"), labels=[3, 1])
    assert target.describe_references([1, 0]) == ["1", "3"]
    with pytest.raises(PluginError, match=r"labels must be a list of distinct names.*got 5$"):
        HFImagePipeline(str(tmp_path / "vit"), labels=5)  # was TypeError: not iterable


def test_weights_take_the_models_own_state_dict_or_a_fine_tunes(
    tiny_vit: Path, tmp_path: Path
) -> None:
    """The docs' ``torch.save(model.state_dict())`` of the transformers model was refused as
    "does not fit the model" (24 keys missing, network.vit...; 24 unexpected, vit...)."""
    images, _ = DigitsDataset().collate(DigitsDataset().split("discovery")[:4])
    network = transformers.ViTForImageClassification.from_pretrained(tiny_vit)
    with torch.no_grad():
        network.classifier.bias += torch.arange(10.0)  # weights unlike the directory's
    torch.save(network.state_dict(), tmp_path / "own.pt")
    loaded = HFImagePipeline(str(tiny_vit), weights=str(tmp_path / "own.pt"))
    network.eval()
    with torch.no_grad():
        expected = network(pixel_values=loaded.preprocess(images)).logits
    assert torch.allclose(loaded.predict(images), expected, atol=1e-4)
    # a fine-tune's model.pt holds the target's model, whose keys start with network.
    torch.save(loaded.model.state_dict(), tmp_path / "model.pt")
    again = HFImagePipeline(str(tiny_vit), weights=str(tmp_path / "model.pt"))
    assert torch.allclose(again.predict(images), expected, atol=1e-4)


def test_a_file_or_a_folder_without_config_is_no_model(tiny_vit: Path, tmp_path: Path) -> None:
    """A weights file as model read as "model directory ... does not exist", a folder without
    config.json as transformers' "Should have a `model_type` key in its config.json"."""
    with pytest.raises(PluginError, match=r"model '.*model.safetensors' is a file, not a model"):
        HFImagePipeline(str(tiny_vit / "model.safetensors"))
    (tmp_path / "images").mkdir()
    with pytest.raises(PluginError, match=r"model '.*images' has no config.json; give the dir"):
        HFImagePipeline(str(tmp_path / "images"))


def test_a_model_without_a_trained_classifier_head_is_refused(
    tiny_vit: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    """A base ViT (no classifier) got a random head and a table of its weights on stderr."""
    base = transformers.ViTModel.from_pretrained(tiny_vit, add_pooling_layer=False)
    with quiet_saving():
        base.save_pretrained(tmp_path / "base")
        transformers.ViTImageProcessor.from_pretrained(tiny_vit).save_pretrained(tmp_path / "base")
    capfd.readouterr()
    with pytest.raises(PluginError, match=r"is no trained image-classification model: 2 of its "):
        HFImagePipeline(str(tmp_path / "base"))
    assert "classifier" not in capfd.readouterr().err  # the error is the one line


def _saved_tiny_vit(folder: Path, processor: object, cls: str = "ViT") -> Path:
    config = getattr(transformers, f"{cls}Config")(
        image_size=32, patch_size=8, num_channels=3, hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=32, num_labels=3,
    )  # fmt: skip
    torch.manual_seed(0)
    model = getattr(transformers, f"{cls}ForImageClassification")(config)
    with quiet_saving():
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
    return folder


def test_a_processor_that_center_crops_feeds_the_model_its_crop_size(tmp_path: Path) -> None:
    """DeiT's processor resizes to 256 and crops 224: the target fed the model 256 x 256 images,
    which it refused at the first batch (ValueError: Input image size doesn't match model)."""
    processor = transformers.DeiTImageProcessor(
        size={"height": 36, "width": 36}, crop_size={"height": 32, "width": 32}
    )
    target = HFImagePipeline(str(_saved_tiny_vit(tmp_path, processor, "DeiT")))
    images = torch.rand(2, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    assert target.preprocess(images).shape == (2, 3, 32, 32)
    assert target.predict(images).shape == (2, 3)


def test_images_are_resized_with_the_processors_own_resampling(tmp_path: Path) -> None:
    """A bicubic processor (DeiT, BEiT, ConvNeXt, Swin) gives the logits the processor's
    pixels give; the target resized bilinearly whatever the processor said."""
    processor = transformers.ViTImageProcessor(size={"height": 32, "width": 32}, resample=3)
    folder = _saved_tiny_vit(tmp_path, processor)
    target = HFImagePipeline(str(folder))
    images = torch.rand(2, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    pixels = processor(images=list(images), return_tensors="pt", do_rescale=False)
    model = transformers.ViTForImageClassification.from_pretrained(folder).eval()
    with torch.no_grad():
        expected = model(pixel_values=pixels["pixel_values"]).logits
    torch.testing.assert_close(target.predict(images), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("size", [32, 64])  # down and up
def test_a_lanczos_processors_pixels_are_its_own(size: int, tmp_path: Path) -> None:
    """A processor of LANCZOS resampling (Chameleon's, FLAVA's codebook) resizes with Lanczos on
    the CPU from torchvision 0.27; the target resized bicubic, up to 0.16 of [0, 1] off."""
    processor = transformers.ViTImageProcessor(size={"height": size, "width": size}, resample=1)
    target = HFImagePipeline(str(_saved_tiny_vit(tmp_path, processor)))
    images = torch.rand(2, 3, 48, 40, generator=torch.Generator().manual_seed(0))
    expected = processor(images=list(images), return_tensors="pt", do_rescale=False)
    got = target.preprocess(images)
    torch.testing.assert_close(got, expected["pixel_values"], atol=1e-5, rtol=1e-5)


_SIZE = {"height": 32, "width": 32}


@pytest.mark.parametrize(
    ("kind", "settings"),
    [
        ("ViT", {}),
        ("ViT", {"do_normalize": False}),
        ("ViT", {"do_rescale": False}),
        ("ViT", {"rescale_factor": 1 / 127.5, "image_mean": [1.0] * 3, "image_std": [1.0] * 3}),
        ("MobileViT", {"size": {"shortest_edge": 32}, "crop_size": _SIZE}),
        ("MobileViT", {"size": {"shortest_edge": 32}, "crop_size": _SIZE, "do_rescale": False}),
        ("EfficientNet", {"crop_size": _SIZE}),
        ("EfficientNet", {"crop_size": _SIZE, "rescale_offset": True, "include_top": False}),
    ],
)
def test_pixels_are_the_processors_own(kind: str, settings: dict, tmp_path: Path) -> None:
    """The target gives the model the pixel values its processor gives the same image: without
    normalization (do_normalize false, MobileViT), with another rescale (rescale_factor 1/127.5,
    do_rescale false, EfficientNet's offset and include_top), channels flipped to BGR (MobileViT).
    The target normalized with image_mean and image_std whatever these settings said."""
    settings = {"size": _SIZE, **settings}
    processor = getattr(transformers, f"{kind}ImageProcessor")(**settings)
    target = HFImagePipeline(str(_saved_tiny_vit(tmp_path, processor)))
    pixels = torch.randint(0, 256, (2, 3, 32, 32), generator=torch.Generator().manual_seed(0))
    expected = processor(images=list(pixels.to(torch.uint8)), return_tensors="pt")
    got = target.preprocess(pixels.float() / 255)
    torch.testing.assert_close(got, expected["pixel_values"].float(), atol=1e-5, rtol=1e-6)


def test_a_processor_of_the_short_edge_crops_an_image_that_is_not_square(tmp_path: Path) -> None:
    """MobileViT's and ConvNeXt's processors resize the short edge and keep the center: a 2:3
    image came to the model stretched. ViT's (a height and width) stretches, and so does this."""
    settings = {"size": {"shortest_edge": 32}, "crop_size": _SIZE, "do_flip_channel_order": False}
    processor = transformers.MobileViTImageProcessor(**settings)
    target = HFImagePipeline(str(_saved_tiny_vit(tmp_path / "mobilevit", processor)))
    pixels = torch.randint(0, 256, (2, 3, 32, 48), generator=torch.Generator().manual_seed(0))
    expected = processor(images=list(pixels.to(torch.uint8)), return_tensors="pt")
    got = target.preprocess(pixels.float() / 255)
    torch.testing.assert_close(got, expected["pixel_values"].float(), atol=1e-5, rtol=1e-6)
    processor = transformers.ViTImageProcessor(size=_SIZE, do_normalize=False)
    target = HFImagePipeline(str(_saved_tiny_vit(tmp_path / "vit", processor)))
    stretched = processor(images=list(pixels.to(torch.uint8)), return_tensors="pt")
    assert stretched["pixel_values"].shape == target.preprocess(pixels.float() / 255).shape


def _saved_tiny_convnext(folder: Path, processor: object) -> Path:
    config = transformers.ConvNextConfig(
        num_channels=3, hidden_sizes=[8, 16], depths=[1, 1], num_stages=2, num_labels=3
    )
    torch.manual_seed(0)
    model = transformers.ConvNextForImageClassification(config)
    with quiet_saving():
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
    return folder


_SHAPES = [(32, 32), (48, 48), (40, 70), (71, 40), (20, 25)]
"""Square, larger, wide and tall with odd crop margins, smaller than the crop (padded)."""


@pytest.mark.parametrize(
    ("kind", "settings"),
    [
        ("ConvNext", {"size": {"shortest_edge": 32}}),  # crop_pct 0.875: short edge 36, crop 32
        ("ConvNext", {"size": {"shortest_edge": 32}, "crop_pct": 0.5}),
        ("ConvNext", {"size": {"shortest_edge": 384}}),  # from 384 on: stretched, not cropped
        ("ConvNext", {"size": {"shortest_edge": 32}, "do_resize": False}),
        ("PoolFormer", {"size": {"shortest_edge": 32}, "crop_size": _SIZE}),
        ("DeiT", {"size": {"height": 36, "width": 36}, "crop_size": _SIZE}),
        ("ViT", {"size": _SIZE, "do_resize": False}),
    ],
)
def test_resizes_and_crops_are_the_processors_own(
    kind: str, settings: dict, tmp_path: Path
) -> None:
    """The model sees the region and size its processor gives it, on square and other images.
    The target fed ConvNeXt its crop size (short edge 32, not 36, then the center), cropped what
    a ConvNeXt-384's processor stretches, resized DeiT's images straight to its crop, cut odd
    margins a pixel off the processor's, and resized even with do_resize false."""
    processor = getattr(transformers, f"{kind}ImageProcessor")(**settings)
    target = HFImagePipeline(str(_saved_tiny_convnext(tmp_path, processor)))
    for height, width in _SHAPES:
        images = torch.rand(2, 3, height, width, generator=torch.Generator().manual_seed(0))
        expected = processor(images=list(images), return_tensors="pt", do_rescale=False)
        got = target.preprocess(images)
        torch.testing.assert_close(got, expected["pixel_values"], atol=1e-5, rtol=1e-6)


def test_a_model_that_cannot_take_unresized_images_is_refused_up_front(tmp_path: Path) -> None:
    """With do_resize false a ViT of 32 pixels got the digits' 28 x 28 images, and refused them
    in a traceback at the first evaluation; a ConvNeXt takes any size and is not refused."""
    processor = transformers.ViTImageProcessor(size=_SIZE, do_resize=False)
    target = HFImagePipeline(str(_saved_tiny_vit(tmp_path / "vit", processor)))
    digits = [torch.rand(3, 28, 28)]
    with pytest.raises(PluginError, match=r"28 x 28 images .* do_resize: false") as caught:
        target.check_task(digits, [])
    assert "\n" not in str(caught.value)
    target.check_task([torch.rand(3, 32, 32)], [])
    processor = transformers.ConvNextImageProcessor(do_resize=False)
    target = HFImagePipeline(str(_saved_tiny_convnext(tmp_path / "convnext", processor)))
    target.check_task(digits, [])
    assert target.predict(torch.rand(2, 3, 40, 60)).shape == (2, 3)


def test_a_crop_pct_the_target_cannot_follow_is_refused(tmp_path: Path) -> None:
    """A crop_pct on a processor other than ConvNeXt's or PoolFormer's, or one outside (0, 1],
    is one line naming it (ConvNeXt's resize divided by it whatever it was)."""
    processor = transformers.ViTImageProcessor(size=_SIZE)
    processor.crop_pct = 0.9
    folder = _saved_tiny_vit(tmp_path / "vit", processor)
    with pytest.raises(PluginError, match=r"crop_pct \(0.9\) is followed for ConvNeXt"):
        HFImagePipeline(str(folder))
    processor = transformers.ConvNextImageProcessor(size={"shortest_edge": 32}, crop_pct=1.5)
    folder = _saved_tiny_convnext(tmp_path / "convnext", processor)
    with pytest.raises(PluginError, match=r"crop_pct must be a number in \(0, 1\] .*; got 1.5"):
        HFImagePipeline(str(folder))


def test_an_uncached_hub_id_names_the_model_key(tmp_path: Path) -> None:
    """``model: nosuch/model`` (not in the cache) said "target 'hf_image_pipeline': cannot load
    'nosuch/model' ...", naming no key: now the CLI names the one to change."""
    result = ffade_in_process(
        "fit",
        *("--config", str(REPO / "configs" / "quickstart.yaml")),
        "--model.init_args.task.target={name: hf_image_pipeline, args: {model: nosuch/model}}",
        *("--trainer.logger.init_args.save_dir", str(tmp_path / "runs")),
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "ffade: error: target 'hf_image_pipeline': model.init_args.task.target.args.model "
        "'nosuch/model': cannot load it (hub id, not in the Hugging Face cache: fetch it once "
    )
    assert not (tmp_path / "runs").exists()
