"""Class-folder images: class mapping, resizing and cropping, seeded disjoint splits."""

from __future__ import annotations

import io
import json
import shlex
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from ffade_vision.datasets import ImageFolderDataset
from PIL import Image
from torchvision.transforms.v2 import functional as F

from ffade.errors import FfadeError, FfadeWarning
from ffade.plugin_api import SPLITS, disjoint_split_indices
from ffade.task import build_task


def test_images_are_square_crops_in_unit_range(image_root: Path) -> None:
    data = ImageFolderDataset(str(image_root), image_size=32, fractions=(0.5, 0.25, 0.25))
    assert data.classes == ["cat", "dog", "fox"] and data.num_classes == 3
    assert len(data.files) == 12, "notes.txt is not an image"
    pairs = [pair for name in SPLITS for pair in data.split(name)]
    assert len(pairs) == 12
    for image, label in pairs:
        assert image.shape == (3, 32, 32) and image.dtype == torch.float32
        assert image.min() >= 0.0 and image.max() <= 1.0
        assert label in (0, 1, 2)
    seen = np.concatenate([data.indices[name] for name in SPLITS])
    assert len(np.unique(seen)) == 12
    first = data.split("discovery")[0][0]
    assert torch.equal(first, data.split("discovery")[0][0])  # cached decode, same tensor values


def test_labels_follow_the_folder_of_each_file(image_root: Path) -> None:
    data = ImageFolderDataset(str(image_root), classes=["fox", "dog", "cat", "owl"])
    for path, label in zip(data.files, data.labels, strict=True):
        assert data.classes[label] == path.parent.name


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("classes.json", json.dumps(["fox", "dog", "cat"])),
        ("classes.json", json.dumps({"cat": 2, "dog": 1, "fox": 0})),
        (
            "classes.json",
            json.dumps({"0": ["fox", "red fox"], "1": ["dog", "x"], "2": ["cat", "y"]}),
        ),
        ("classes.json", json.dumps({"2": "cat", "0": "fox", "1": "dog"})),
        ("classes.txt", "fox\ndog\ncat\n"),
        ("classes.names", "fox\n\n  dog\ncat\n"),  # any other suffix: one name a line
    ],
)
def test_class_mapping_files(tmp_path: Path, image_root: Path, filename: str, content: str) -> None:
    mapping = tmp_path / filename
    mapping.write_text(content)
    assert ImageFolderDataset(str(image_root), classes=str(mapping)).classes == [
        "fox",
        "dog",
        "cat",
    ]


def test_errors_name_the_problem(tmp_path: Path, image_root: Path) -> None:
    with pytest.raises(FfadeError, match=r"folders \[fox\] are not in classes"):
        ImageFolderDataset(str(image_root), classes=["cat", "dog"])
    with pytest.raises(FfadeError, match=r"root '.*nowhere' does not exist$"):
        ImageFolderDataset(str(tmp_path / "nowhere"))
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.raises(FfadeError, match=r"root '.*a\.png' is not a folder$"):
        ImageFolderDataset(str(tmp_path / "a.png"))
    (tmp_path / "empty" / "cat").mkdir(parents=True)
    with pytest.raises(FfadeError, match="no images"):
        ImageFolderDataset(str(tmp_path / "empty"))
    with pytest.raises(FfadeError, match=r"classes file 'missing\.json' does not exist"):
        ImageFolderDataset(str(image_root), classes="missing.json")
    with pytest.raises(FfadeError, match="repeat"):
        ImageFolderDataset(str(image_root), classes=["cat", "dog", "fox", "cat"])
    # was resize's RuntimeError traceback (or memory filled) when the split was read
    for size in (0, -5, 2.5, 1025, 9223372036854775807):
        with pytest.raises(FfadeError) as error:
            ImageFolderDataset(str(image_root), image_size=size)
        assert str(error.value) == (
            "dataset 'image_folder': image_size must be a whole number of pixels from 1 to "
            f"1024; got {size}"
        )
    assert ImageFolderDataset(str(image_root), image_size=1024).image_size == 1024
    (image_root / "cat" / "broken.png").write_bytes(b"not a png")
    data = ImageFolderDataset(str(image_root), fractions=(1.0, 0.0, 0.0))
    with pytest.raises(FfadeError, match="cannot read image"):
        list(data.split("discovery"))  # decoded as read


def test_a_task_decodes_only_the_images_it_searches(image_root: Path) -> None:
    """A split is read lazily: ``max_inputs`` images of a large folder are all that is decoded.

    Every other image is made unreadable, so decoding one of them would be an error line."""
    args = {"root": str(image_root), "image_size": 32, "fractions": [0.5, 0.25, 0.25]}
    indices = ImageFolderDataset(**args).indices
    files = ImageFolderDataset(**args).files
    for name in SPLITS:
        for i in indices[name][2 if name == "discovery" else 0 :]:
            files[i].write_bytes(b"not an image any more")
    spec = {
        "target": {
            "name": "torchvision_classifier",
            "args": {"model": "resnet18", "weights": None},
        },
        "dataset": {"name": "image_folder", "args": args},
        "reward": {"name": "misclassification"},
        "concepts": [{"name": "rotation", "args": {"values": [0, 10]}}],
        "max_inputs": 2,
    }
    task = build_task(spec)
    assert [label for _, label in task.inputs] == [
        ImageFolderDataset(**args).labels[i] for i in indices["discovery"][:2]
    ]
    with pytest.raises(FfadeError, match="cannot read image"):
        build_task({**spec, "max_inputs": 3})


def _wordnet_folders(root: Path, names: list[str]) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / name / "0.png")
    return root


def test_a_wordnet_subset_without_classes_is_noted_before_the_search(tmp_path: Path) -> None:
    """Goldfish and shark folders alone become labels 0 and 1 (tench, goldfish for an ImageNet
    model): every label shifted, silently, until the run said so."""
    root = _wordnet_folders(tmp_path / "val", ["n01443537", "n01484850"])
    spec = {
        "target": {
            "name": "torchvision_classifier",
            "args": {"model": "resnet18", "weights": None},
        },
        "dataset": {  # two images: all to discovery, no note of an empty split
            "name": "image_folder",
            "args": {"root": str(root), "image_size": 16, "fractions": [1, 0, 0]},
        },
        "reward": {"name": "misclassification"},
        "concepts": [{"name": "rotation", "args": {"values": [0, 10]}}],
    }
    (note,) = build_task(spec).notes
    assert "2 WordNet-id folders are labelled 0-1" in note and "pass classes" in note
    ids = [f"n{i:08d}" for i in range(1000)]
    ids[:2] = ["n01443537", "n01484850"]  # not ImageNet's order; only the ids matter here
    spec["dataset"]["args"]["classes"] = sorted(ids)
    assert build_task(spec).notes == []
    pets = str(_wordnet_folders(tmp_path / "pets", ["cat", "dog"]))
    assert ImageFolderDataset(pets, fractions=(1, 0, 0)).notes == ()


def test_nested_images_count_and_hidden_entries_do_not(image_root: Path) -> None:
    """A class folder's sub-folders hold its images too; hidden folders and files (a
    ``.ipynb_checkpoints`` folder, macOS's ``._photo.jpg``) were a class that shifted every
    label, or an unreadable 'image' that stopped the run."""
    (image_root / "cat" / "indoor").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image_root / "cat" / "indoor" / "a.png")
    (image_root / ".ipynb_checkpoints").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image_root / ".ipynb_checkpoints" / "b.png")
    (image_root / "dog" / "._0.jpg").write_bytes(b"a resource fork, not a JPEG")
    data = ImageFolderDataset(str(image_root), fractions=(1.0, 0.0, 0.0))
    assert data.classes == ["cat", "dog", "fox"]
    assert len(data.files) == 13
    nested = data.files.index(image_root / "cat" / "indoor" / "a.png")
    assert data.labels[nested] == 0
    assert len(list(data.split("discovery"))) == 13  # every file decodes


def test_linked_sub_folders_are_read_and_a_link_loop_is_not_walked(tmp_path: Path) -> None:
    """A class organised with linked sub-folders (``cat/indoor -> /data/indoor``) was read
    without them, and said nothing: ``Path.rglob`` does not follow links. torchvision's
    ``ImageFolder`` follows them; a link back up (``cat/up -> ..``) must not loop."""
    (tmp_path / "shelf").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "shelf" / "a.png")
    root = tmp_path / "images"
    (root / "cat").mkdir(parents=True)
    Image.fromarray(np.full((8, 8, 3), 255, np.uint8)).save(root / "cat" / "b.png")
    (root / "cat" / "indoor").symlink_to(tmp_path / "shelf")
    (root / "cat" / "up").symlink_to(root)
    (root / "dog").mkdir()
    Image.fromarray(np.full((8, 8, 3), 99, np.uint8)).save(root / "dog" / "c.png")
    data = ImageFolderDataset(str(root), fractions=(1.0, 0.0, 0.0))
    cat = [root / "cat" / "b.png", root / "cat" / "indoor" / "a.png"]
    assert data.files == [*cat, root / "dog" / "c.png"]  # no dog read through cat/up as a cat
    assert data.labels == [0, 0, 1] and data.notes == ()


def test_a_class_name_matches_its_folder_in_either_unicode_form(tmp_path: Path) -> None:
    """macOS names a folder ``café`` as ``cafe`` + a combining accent (NFD); the class list in a
    YAML file has one ``é`` (NFC). They read the same, and were "folders [café] are not in
    classes"."""
    decomposed = "cafe\u0301"
    for name in (decomposed, "dog"):
        (tmp_path / name).mkdir()
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / name / f"{name}.png")
    data = ImageFolderDataset(str(tmp_path), classes=["dog", "caf\u00e9"], fractions=(1, 0, 0))
    assert data.classes == ["dog", "caf\u00e9"]
    assert data.labels == [1, 0]  # sorted folders: the café folder first, labelled 1
    with pytest.raises(FfadeError, match="classes repeat a name"):
        ImageFolderDataset(str(tmp_path), classes=["dog", "caf\u00e9", decomposed])


def test_a_root_of_split_folders_is_noted_as_one_level_too_high(tmp_path: Path) -> None:
    """``root: data`` over ``data/train/cat``, ``data/val/dog`` made two classes, "train" and
    "val", every image labelled by its split, and nothing said so."""
    for split, name in (("train", "cat"), ("train", "dog"), ("val", "cat")):
        (tmp_path / split / name).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / split / name / "a.png")
    data = ImageFolderDataset(str(tmp_path), fractions=(1.0, 0.0, 0.0))
    assert data.classes == ["train", "val"]  # as asked, but said
    (note,) = data.notes
    assert "named as splits" in note and repr(str(tmp_path / "train")) in note
    one_level_down = ImageFolderDataset(str(tmp_path / "train"), fractions=(1.0, 0.0, 0.0))
    assert one_level_down.classes == ["cat", "dog"] and one_level_down.notes == ()


def test_transparency_is_dropped_leaving_the_stored_colours(tmp_path: Path) -> None:
    """RGBA (and gray with alpha) reads as its colour channels, as torchvision's ImageFolder
    loader reads it (the README says so): a fully transparent pixel keeps the colour stored
    under it, not a background it would be composited onto."""
    (tmp_path / "cat").mkdir()
    pixels = np.zeros((4, 4, 4), np.uint8)
    pixels[..., 0], pixels[:, :2, 3] = 200, 255  # red everywhere, the right half transparent
    Image.fromarray(pixels, "RGBA").save(tmp_path / "cat" / "a.png")
    Image.fromarray(pixels[..., [0, 3]], "LA").save(tmp_path / "cat" / "b.png")
    data = ImageFolderDataset(str(tmp_path), image_size=4, fractions=(1.0, 0.0, 0.0))
    rgba, gray_alpha = data.image(0), data.image(1)
    red = torch.full((4, 4), 200 / 255)
    assert torch.allclose(rgba[0], red) and rgba[1:].eq(0).all()
    assert torch.allclose(gray_alpha, red.expand(3, 4, 4))


def test_16_bit_gray_images_keep_their_tones(tmp_path: Path) -> None:
    """A 16-bit PNG (Pillow mode I;16) was clipped at 255 by Pillow's RGB conversion: white."""
    (tmp_path / "gray").mkdir()
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (64, 1))
    Image.fromarray(ramp).save(tmp_path / "gray" / "ramp.png")
    assert Image.open(tmp_path / "gray" / "ramp.png").mode.startswith("I")
    image, _ = ImageFolderDataset(str(tmp_path), image_size=64, fractions=(1.0, 0.0, 0.0)).split(
        "discovery"
    )[0]
    assert image.shape == (3, 64, 64)
    assert abs(float(image.mean()) - 0.5) < 0.02
    assert float(image[:, :, 0].max()) < 0.05 and float(image[:, :, -1].min()) > 0.95


def test_palette_images_with_transparency_read_as_their_colours_without_a_warning(
    tmp_path: Path,
) -> None:
    """A PNG-8 whose palette has transparency (bytes): Pillow's RGB conversion printed a
    two-line UserWarning ("should be converted to RGBA images") at the top of the run."""
    (tmp_path / "web").mkdir()
    rng = np.random.default_rng(0)
    palette = Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).convert("P")
    palette.save(tmp_path / "web" / "icon.png", transparency=bytes([0] * 10 + [255] * 246))
    with Image.open(tmp_path / "web" / "icon.png") as saved:
        assert saved.mode == "P" and isinstance(saved.info["transparency"], bytes)
        colours = np.asarray(saved.convert("RGBA"))[..., :3]
    data = ImageFolderDataset(str(tmp_path), image_size=16, fractions=(1.0, 0.0, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image, _ = data.split("discovery")[0]
    expected = torch.from_numpy(colours.copy()).permute(2, 0, 1)
    assert torch.equal((image * 255).round().to(torch.uint8), expected)


def test_images_in_root_itself_are_said_to_be_in_no_class(tmp_path: Path) -> None:
    """Images beside the class folders, or a flat folder of images given as root: they were
    left out in silence, and a flat folder was "no images" although it held some."""
    for name in ("x.png", "y.png"):
        Image.new("RGB", (8, 8)).save(tmp_path / name)
    with pytest.raises(FfadeError) as error:
        ImageFolderDataset(str(tmp_path))
    assert str(error.value) == (
        "dataset 'image_folder': no images (.jpg, .jpeg, .png, .bmp, .webp) in class folders under "
        f"{str(tmp_path)!r}; 2 images in root itself (e.g. 'x.png'): put each in its class's folder"
    )
    (tmp_path / "cat").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "cat" / "a.png")
    data = ImageFolderDataset(str(tmp_path), fractions=(1.0, 0.0, 0.0))
    assert data.files == [tmp_path / "cat" / "a.png"]
    assert data.notes == (
        "dataset 'image_folder': left out, in no class folder: 2 images in root itself "
        "(e.g. 'x.png'); to use them, put each in its class's folder",
    )


def test_a_split_its_fraction_leaves_empty_is_noted_in_the_task(image_root: Path) -> None:
    """12 images at [0.5, 0.4, 0.02] give 6, 5 and 0: the held-out split a fine-tune judges its
    fix on was empty with no word until then."""
    spec = {
        "target": {
            "name": "torchvision_classifier",
            "args": {"model": "resnet18", "weights": None, "num_classes": 3},
        },
        "dataset": {
            "name": "image_folder",
            "args": {"root": str(image_root), "image_size": 16, "fractions": [0.5, 0.4, 0.02]},
        },
        "reward": {"name": "misclassification"},
        "concepts": [{"name": "rotation", "args": {"values": [0, 10]}}],
    }
    assert build_task(spec).notes == [
        "dataset 'image_folder': fractions [0.5, 0.4, 0.02] of 12 images give 6, 5 and 0 to "
        "discovery, finetune and heldout, so split 'heldout' is empty (a fine-tune judges its fix "
        "on it; ffade export samples it); raise its fraction"
    ]


def test_images_of_types_not_read_and_broken_links_are_said_to_be_left_out(
    tmp_path: Path,
) -> None:
    """GIFs, TIFFs and links to deleted photos in class folders were skipped without a word: a
    class of GIFs looked read. Now a note (or the no-images error) counts them and says what is
    read; other files (notes.txt) and hidden ones stay unsaid."""
    (tmp_path / "cat").mkdir()
    for name in ("b.gif", "a.GIF", "c.tif"):
        Image.new("RGB", (8, 8)).save(tmp_path / "cat" / name)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    Image.new("RGB", (8, 8)).save(tmp_path / "cat" / ".hidden.gif", format="GIF")
    (tmp_path / "cat" / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    read = ".jpg, .jpeg, .png, .bmp, .webp"
    types = f"3 files of another type (e.g. 'cat/a.GIF'); read are {read}: convert them to one "
    links = "1 file links to no file (e.g. 'cat/gone.jpg'); point each link at its image"
    with pytest.raises(FfadeError) as error:
        ImageFolderDataset(str(tmp_path))
    assert str(error.value) == (
        f"dataset 'image_folder': no images ({read}) in class folders under {str(tmp_path)!r}; "
        f"left out: {types}of these to use them; left out: {links}"
    )
    Image.new("RGB", (8, 8)).save(tmp_path / "cat" / "d.png")
    data = ImageFolderDataset(str(tmp_path), fractions=(1.0, 0.0, 0.0))
    assert data.files == [tmp_path / "cat" / "d.png"]
    assert data.notes == (
        f"dataset 'image_folder': left out: {types}of these to use them",
        f"dataset 'image_folder': left out: {links}",
    )


def test_an_image_too_large_for_pillow_is_one_line(tmp_path: Path) -> None:
    """A PNG header of 20,000 x 20,000 pixels: Pillow's DecompressionBombError, no OSError,
    was a traceback."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 0, 0, 0, 0)
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "huge.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    )
    data = ImageFolderDataset(str(tmp_path), fractions=(1.0, 0.0, 0.0))
    with pytest.raises(FfadeError, match=r"cannot read image .*huge\.png.*exceeds limit.*move it"):
        data.split("discovery")[0]


def test_a_photo_saved_twice_lands_in_one_split(image_root: Path) -> None:
    copies = {"cat/0.jpg": ["dog/copy.jpg", "cat/sub/again.jpg"], "fox/1.png": ["fox/1b.png"]}
    for source, targets in copies.items():
        for target in targets:
            (image_root / target).parent.mkdir(exist_ok=True)
            (image_root / target).write_bytes((image_root / source).read_bytes())
    for seed in range(10):
        data = ImageFolderDataset(str(image_root), fractions=(0.5, 0.25, 0.25), seed=seed)
        where = {
            data.files[i].relative_to(image_root).as_posix(): name
            for name in SPLITS
            for i in data.indices[name].tolist()
        }
        assert len(where) == 15
        for source, targets in copies.items():
            assert {where[t] for t in targets} == {where[source]}, seed


def test_a_folder_without_copies_splits_as_before(image_root: Path) -> None:
    data = ImageFolderDataset(str(image_root), fractions=(0.5, 0.25, 0.25), seed=2)
    plain = disjoint_split_indices(12, (0.5, 0.25, 0.25), 2)
    assert all(data.indices[name].tolist() == plain[name].tolist() for name in SPLITS)


def test_a_long_strip_is_cropped_before_it_is_resized(tmp_path: Path) -> None:
    """A 2 x 3,000 strip was resized whole, its short edge to 224: a 224 x 336,000 tensor (over
    200 MB, seconds) for one 224 x 224 crop; its long edge is cut to twice the short one first.
    Images within that ratio are resized as they were."""
    (tmp_path / "strip").mkdir()
    ramp = np.tile(np.linspace(0, 255, 3000).astype(np.uint8), (2, 1))
    Image.fromarray(ramp).save(tmp_path / "strip" / "long.png")
    Image.fromarray(ramp[:, 1498:1502]).save(tmp_path / "strip" / "middle.png")
    resized: list[tuple[int, ...]] = []
    real_resize = F.resize

    def recording_resize(pixels: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        resized.append(tuple(pixels.shape))
        return real_resize(pixels, *args, **kwargs)

    data = ImageFolderDataset(str(tmp_path), image_size=8, fractions=(1.0, 0.0, 0.0), seed=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ffade_vision.datasets.image_folder.F.resize", recording_resize)
        images = {data.files[i].name: data.image(i) for i in range(2)}
    assert sorted(resized) == [(3, 2, 4), (3, 2, 4)], "both strips resized from their middle"
    assert torch.equal(images["long.png"], images["middle.png"])
    assert images["long.png"].shape == (3, 8, 8)


def test_an_image_over_pillows_pixel_limit_is_read_without_its_warning(tmp_path: Path) -> None:
    """Between Image.MAX_IMAGE_PIXELS and twice it, Pillow reads an image but printed a two-line
    DecompressionBombWarning at the top of the run."""
    (tmp_path / "big").mkdir()
    Image.new("L", (40, 40), 200).save(tmp_path / "big" / "wide.png")
    data = ImageFolderDataset(str(tmp_path), image_size=8, fractions=(1.0, 0.0, 0.0))
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1,600 pixels: over it, not twice it
        warnings.simplefilter("error")
        image = data.image(0)
    assert image.shape == (3, 8, 8) and abs(float(image.mean()) - 200 / 255) < 1e-6


UPRIGHT_QUADRANTS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))
"""Top left, top right, bottom left, bottom right: every turn or mirror moves some colour."""

UNDO_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
"""How a camera stores an upright picture for each EXIF orientation value (the EXIF spec's
table): the stored pixels are the upright ones turned or mirrored this way."""


def _quadrants(height: int, width: int, border: int = 0) -> list[tuple[slice, slice]]:
    """Rows and columns of the top left, top right, bottom left and bottom right quarters, each
    less ``border`` pixels on every side (where JPEG blurs the edge between two colours)."""
    top, left = height // 2, width // 2
    rows = (slice(border, top - border), slice(top + border, height - border))
    cols = (slice(border, left - border), slice(left + border, width - border))
    return [(row, col) for row in rows for col in cols]


def _quadrant_picture(width: int, height: int) -> Image.Image:
    pixels = np.zeros((height, width, 3), np.uint8)
    for (rows, cols), colour in zip(_quadrants(height, width), UPRIGHT_QUADRANTS, strict=True):
        pixels[rows, cols] = colour
    return Image.fromarray(pixels)


@pytest.mark.parametrize(
    ("orientation", "suffix", "image_size"),
    [*((o, ".jpg", 48) for o in range(1, 9)), (6, ".png", 48), (6, ".jpg", 8)],
)
def test_photos_are_turned_upright_from_their_exif_orientation(
    tmp_path: Path, orientation: int, suffix: str, image_size: int
) -> None:
    """A phone stores a portrait photo's pixels sideways with an EXIF orientation tag; read as
    stored, the model saw it sideways (or mirrored). At image_size 8 the JPEG is decoded at a
    reduced scale (1/2) before it is turned."""
    (tmp_path / "phone").mkdir()
    upright = _quadrant_picture(48, 64)  # portrait, as a phone shows it
    undo = UNDO_ORIENTATION[orientation]
    stored = upright if undo is None else upright.transpose(undo)
    exif = Image.Exif()
    exif[0x0112] = orientation  # the Orientation tag
    stored.save(tmp_path / "phone" / f"photo{suffix}", exif=exif, quality=95)
    data = ImageFolderDataset(str(tmp_path), image_size=image_size, fractions=(1.0, 0.0, 0.0))
    image = (data.image(0) * 255).round()
    assert image.shape == (3, image_size, image_size)
    quadrants = _quadrants(image_size, image_size, border=max(1, image_size // 12))
    for (rows, cols), colour in zip(quadrants, UPRIGHT_QUADRANTS, strict=True):
        mean = image[:, rows, cols].mean(dim=(1, 2))
        assert torch.allclose(mean, torch.tensor(colour, dtype=torch.float32), atol=12), (
            f"orientation {orientation}: quadrant expected {colour}, got {mean.tolist()}"
        )


def _textured_jpeg(path: Path, width: int, height: int) -> None:
    """A photo-like JPEG: smooth shading under seeded grain, the hard case for a reduced scale."""
    rows, cols = np.mgrid[0:height, 0:width] / max(width, height)
    shading = np.stack([np.sin(cols * 17 + c) * np.cos(rows * 23 - c) for c in range(3)], -1)
    grain = np.random.default_rng(0).normal(0, 20, shading.shape)
    pixels = np.clip(shading * 127 + 128 + grain, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=90)


def _full_decode(path: Path, image_size: int) -> torch.Tensor:
    """The image as it was read before JPEG drafts: every pixel decoded, then resized."""
    with Image.open(path) as img:
        pixels = F.pil_to_tensor(img.convert("RGB"))
    pixels = F.resize(pixels, [image_size], antialias=True)
    return F.center_crop(pixels, [image_size, image_size])


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_close_to_a_full_decode(
    tmp_path: Path,
) -> None:
    """A 10,000 x 9,500 JPEG was decoded whole (28 s) for a 224-pixel input. libjpeg's reduced
    scale keeps at least twice image_size: a 1,024 x 768 photo for a 64-pixel input decodes at
    1/4 (256 x 192). Its DCT scaling is not the antialiased resize: a pixel may move by some
    levels of 255 at sharp detail (up to ~30 on the bundled photos), the mean by about one."""
    (tmp_path / "big").mkdir()
    _textured_jpeg(tmp_path / "big" / "photo.jpg", 1024, 768)
    data = ImageFolderDataset(str(tmp_path), image_size=64, fractions=(1.0, 0.0, 0.0))
    image, resized = _recorded_resizes(data)
    assert resized == [(3, 192, 256)], "decoded at 1/4, short edge 192 >= 2 x 64"
    difference = (image * 255).round() - _full_decode(data.files[0], 64).float()
    assert float(difference.abs().mean()) < 1  # 0.33 with Pillow 13's libjpeg-turbo
    assert float(difference.abs().max()) <= 8  # 3 there


def test_a_jpeg_under_twice_the_draft_margin_decodes_exactly_as_before(tmp_path: Path) -> None:
    """Below 4 x image_size on its short edge no reduced scale applies: the pixels are unchanged."""
    (tmp_path / "photo").mkdir()
    _textured_jpeg(tmp_path / "photo" / "photo.jpg", 300, 255)
    data = ImageFolderDataset(str(tmp_path), image_size=64, fractions=(1.0, 0.0, 0.0))
    expected = F.to_dtype(_full_decode(data.files[0], 64), torch.float32, scale=True)
    assert torch.equal(data.image(0), expected)


def _recorded_resizes(data: ImageFolderDataset) -> tuple[torch.Tensor, list[tuple[int, ...]]]:
    """Image 0 of ``data`` and the shapes of what was resized to read it."""
    resized: list[tuple[int, ...]] = []
    real_resize = F.resize

    def recording_resize(pixels: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        resized.append(tuple(pixels.shape))
        return real_resize(pixels, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ffade_vision.datasets.image_folder.F.resize", recording_resize)
        image = data.image(0)
    return image, resized


def test_a_large_png_is_box_reduced_after_decoding_close_to_a_full_decode(tmp_path: Path) -> None:
    """A 10,000 x 9,500 PNG took 28 s for a 224-pixel input: no reduced decode exists for PNG,
    but turning, converting, copying and resizing all its pixels took longer than decoding.
    A 1,000 x 641 PNG for a 64-pixel input is box-averaged by 5 (641 // 128) to 200 x 128,
    then resized to the size a full decode would have (99 x 64, not the reduced one's 100 x 64)."""
    (tmp_path / "big").mkdir()
    _textured_jpeg(tmp_path / "big" / "as_jpeg.jpg", 1000, 641)
    with Image.open(tmp_path / "big" / "as_jpeg.jpg") as img:
        img.save(tmp_path / "big" / "photo.png")
    (tmp_path / "big" / "as_jpeg.jpg").unlink()
    data = ImageFolderDataset(str(tmp_path), image_size=64, fractions=(1.0, 0.0, 0.0))
    image, resized = _recorded_resizes(data)
    assert resized == [(3, 128, 200)]
    difference = (image * 255).round() - _full_decode(data.files[0], 64).float()
    assert float(difference.abs().mean()) < 2
    assert float(difference.abs().max()) <= 24


def test_a_png_under_twice_the_margin_decodes_exactly_as_before(tmp_path: Path) -> None:
    (tmp_path / "photo").mkdir()
    _textured_jpeg(tmp_path / "photo" / "photo.jpg", 300, 255)
    with Image.open(tmp_path / "photo" / "photo.jpg") as img:
        img.save(tmp_path / "photo" / "photo.png")
    (tmp_path / "photo" / "photo.jpg").unlink()
    data = ImageFolderDataset(str(tmp_path), image_size=64, fractions=(1.0, 0.0, 0.0))
    expected = F.to_dtype(_full_decode(data.files[0], 64), torch.float32, scale=True)
    assert torch.equal(data.image(0), expected)


def test_a_jpeg_with_damaged_exif_is_one_ffade_warning_naming_it(tmp_path: Path) -> None:
    """Pillow's "TiffImagePlugin.py:982: UserWarning: Corrupt EXIF data. Expecting to read 12
    bytes but only got 10." and a source line named no file; ffade's warning does."""
    (tmp_path / "cut").mkdir()
    _textured_jpeg(tmp_path / "cut" / "ok.jpg", 64, 48)
    with Image.open(tmp_path / "cut" / "ok.jpg") as img:
        exif = Image.Exif()
        exif[0x010F] = "Maker" * 20
        buffer = io.BytesIO()
        img.save(buffer, "JPEG", exif=exif)
    data = bytearray(buffer.getvalue())
    tiff = data.find(b"Exif\x00\x00") + 6  # claim 65,280 IFD entries: the EXIF runs short
    data[tiff + 8 : tiff + 10] = b"\x00\xff" if data[tiff : tiff + 2] == b"MM" else b"\xff\x00"
    (tmp_path / "cut" / "ok.jpg").write_bytes(bytes(data))
    images = ImageFolderDataset(str(tmp_path), image_size=32, fractions=(1.0, 0.0, 0.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images.image(0)
    assert [w.category for w in caught] == [FfadeWarning]
    assert "ok.jpg" in str(caught[0].message) and "damaged EXIF" in str(caught[0].message)


def test_an_empty_image_file_says_it_is_empty(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "blank.png").write_bytes(b"")
    images = ImageFolderDataset(str(tmp_path), image_size=32, fractions=(1.0, 0.0, 0.0))
    with pytest.raises(FfadeError, match=r"blank\.png: the file is empty; replace it or move"):
        images.image(0)


def test_the_readme_names_every_classes_file_shape_the_dataset_reads() -> None:
    """Each shape test_class_mapping_files reads is in the README's ``classes``: it said only
    "a list, or a JSON or text file", and imagenet_class_index.json's {"index": [wordnet id,
    label]}, whose first item becomes the class name, was nowhere."""
    readme = (Path(__file__).parents[4] / "plugins/vision/README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `image_folder` |"))
    said = row[row.index("`classes` (") :]
    for shape in (
        "a list of names",
        '`{"name": index}`',
        '`{"index": "name"}`',
        '`{"index": ["wordnet_id", "label"]}`',
        "the WordNet id, is the class name",
        "any other suffix, one name per line",
    ):
        assert shape in " ".join(said.split()), shape


def test_classes_of_another_shape_are_one_line_naming_the_key(
    tmp_path: Path, image_root: Path
) -> None:
    """The README's ``classes`` is "a list, or a JSON or text file". A number was "'int' object
    is not iterable" (naming no key), an inline mapping was read in its keys' order with its
    indices ignored (``{dog: 1, cat: 0}`` labelled dogs 0), and a JSON file that is no list or
    mapping, is not JSON, or repeats an index gave Python's words or a misleading line."""
    from tests.helpers import ffade_in_process

    spec = f"{{name: image_folder, args: {{root: {image_root}, image_size: 28, classes: 5}}}}"
    result = ffade_in_process(
        "fit",
        "--config",
        "configs/quickstart.yaml",
        "--model.init_args.task.dataset",
        spec,
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "runs"),
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ffade: error: "), lines
    assert "classes must be a list of class names" in lines[0] and "got 5" in lines[0]
    with pytest.raises(FfadeError, match="classes must be a list"):
        ImageFolderDataset(str(image_root), classes={"dog": 1, "cat": 0, "fox": 2})  # type: ignore[arg-type]
    files = {
        "bad.json": ('["cat", "dog"', "is not valid JSON"),
        "number.json": ("5", "a list of names or a mapping"),
        "twice.json": ('{"cat": 0, "dog": 0, "fox": 1}', r"indices must be 0\.\.2, each once"),
        "words.json": ('{"cat": "zero"}', r"indices must be 0\.\.0, each once"),
    }
    for name, (text, message) in files.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(FfadeError, match=rf"classes file '.*{name}' {message}|{message}"):
            ImageFolderDataset(str(image_root), classes=str(tmp_path / name))


def test_an_unreadable_image_is_named_as_a_shell_takes_it(tmp_path: Path) -> None:
    """Under a folder with a space, an unreadable photo was named in Python's repr
    (`cannot read image '/tmp/my photos/cat/broken.png'`); it is quoted as a shell takes it,
    as ffade's other errors quote a path."""
    root = tmp_path / "my photos"
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(root / name / "0.png")
    (root / "cat" / "it's broken.png").write_bytes(b"not a png")
    data = ImageFolderDataset(str(root), fractions=(1.0, 0.0, 0.0))
    with pytest.raises(FfadeError) as caught:
        list(data.split("discovery"))
    quoted = shlex.quote(str(root / "cat" / "it's broken.png"))
    assert f"cannot read image {quoted}: " in str(caught.value)
