"""Images in class folders (``root/<class name>/<image>``), the layout ImageNet uses.

The class index of each folder is what the model's outputs mean, so it must match the model:
sorted folder names match torchvision's ImageNet models when the folders are all 1,000 WordNet
ids (n01440764, ...); for a subset, or other names, pass the model's class list (or a file
holding it, such as imagenet_class_index.json), or every index shifts.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from ffade.errors import FfadeError, as_written
from ffade.image_files import REDUCE_MARGIN, read_rgb
from ffade.plugin_api import Dataset, missing_file, read_text_lines
from ffade_vision._lazy import F
from ffade_vision.datasets._splits import (
    check_split_name,
    empty_split_notes,
    file_keys,
    split_indices,
)

WORDNET_ID = re.compile(r"n\d{8}")
"""An ImageNet class folder's name, e.g. n01440764."""

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")

OTHER_IMAGES = frozenset(
    {".gif", ".tif", ".tiff", ".jfif", ".jpe", ".avif", ".heic", ".heif", ".jp2", ".svg", ".ico"}
    | {".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".psd", ".dng", ".cr2", ".nef", ".arw", ".raw"}
)
"""Image types not read: such files in class folders are left out, and a note says how many,
not in silence (a folder of GIFs or TIFFs looked read, and was not)."""

SPLIT_FOLDERS = frozenset(
    {"train", "training", "val", "valid", "validation", "test", "testing", "eval", "dev"}
)
"""Names of the split folders many datasets ship (``root/train/<class>``): a root whose folders
are all such names was most likely given one level too high, each split read as a class."""

MOST_IMAGE_SIZE = 1024
"""The largest ``image_size``: above any torchvision weights' crop (EfficientNet-B7's is 600).
Each image is 3 x image_size^2 values in memory; a typo such as 10**9 stopped in torch (or
filled memory) at the first image read, after the task was built."""

MOST_ASPECT = 2
"""Long edge over short edge that is resized whole; a longer edge is center-cropped first."""

DRAFT_MARGIN = REDUCE_MARGIN
"""An image is decoded at a reduced scale (a JPEG at libjpeg's 1/2, 1/4 or 1/8; any format
box-averaged by Pillow's ``Image.reduce`` after decoding) only down to a short edge of this many
times ``image_size``, so that the antialiased resize still makes at least a 2x reduction itself
(:func:`ffade.image_files.read_rgb`). The pixels stay close to a full decode's (on the bundled
JPEG photos, under 1.3 levels of 255 on average; single pixels at sharp edges up to ~30); images
whose short edge is under twice that are decoded exactly as before."""


class ImageFolderDataset(Dataset):
    """Class-folder images, resized and center-cropped to ``image_size``, as floats in [0, 1].

    Each image is decoded when its pair is first read from a split (a run reads only the first
    ``max_inputs``) and kept (as bytes) if ``cache`` is set, so later reads do not decode again.

    Args:
        root: the folder holding one sub-folder per class (its images may sit in sub-folders
            of it; files and folders whose names start with a dot are skipped).
        classes: class names in index order: a list, or a path to a ``.json`` file holding a
            list of names, a ``{"name": index}`` object, an ``{"index": "name"}`` object or an
            ``{"index": ["wordnet_id", "label"]}`` object (``imagenet_class_index.json``: the
            WordNet id, its first item, is the class name, as ImageNet's folders are named; the
            label is not read), each index 0..n-1 exactly once; or a path to a file of any
            other suffix, one name per line. Folders must be among them; classes without a
            folder are fine (a subset of ImageNet, say). Default: the sorted folder names.
        image_size: side of the square center crop; the shorter edge is resized to it first.
        seed: fixes which images go to which split.
        fractions: shares of the discovery, fine-tune and held-out splits (sum at most 1).
        cache: keep decoded images in memory (uint8, 3 x image_size^2 bytes each).

    Attributes:
        indices: each split's positions in the whole dataset, for provenance and checks.
    """

    path_arguments = ("root", "classes")  # recorded absolute: a resume finds them from anywhere

    def __init__(
        self,
        root: str,
        classes: Sequence[str] | str | None = None,
        image_size: int = 224,
        seed: int = 0,
        fractions: Sequence[float] = (0.4, 0.4, 0.2),
        cache: bool = True,
    ) -> None:
        super().__init__(seed)
        whole = isinstance(image_size, int) and not isinstance(image_size, bool)
        if not (whole and 1 <= image_size <= MOST_IMAGE_SIZE):  # huge: torch's error, or RAM
            raise FfadeError(
                f"dataset 'image_folder': image_size must be a whole number of pixels from 1 to "
                f"{MOST_IMAGE_SIZE}; got {as_written(image_size)}"
            )
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            where = f"dataset 'image_folder': root {str(self.root)!r}"
            gone = (
                f"{where} is not a folder" if self.root.exists() else missing_file(where, self.root)
            )
            raise FfadeError(gone)
        folders = sorted(p.name for p in self.root.iterdir() if p.is_dir() and _shown(Path(p.name)))
        self.classes = _read_classes(classes) if classes is not None else folders
        if classes is None and 0 < len(folders) < 1000 and all(map(WORDNET_ID.fullmatch, folders)):
            self.notes = (  # a subset's sorted ids are not ImageNet's indices: labels shift
                f"dataset 'image_folder': its {len(folders)} WordNet-id folders are labelled "
                f"0-{len(folders) - 1} in sorted order, ImageNet's class order only when all "
                "1,000 are there; for an ImageNet model pass classes (the 1,000 ids in order, "
                "e.g. imagenet_class_index.json), or every label shifts",
            )
        if classes is None and folders and all(n.lower() in SPLIT_FOLDERS for n in folders):
            self.notes = (  # root/train/cat/...: "train" became the class of every cat and dog
                *self.notes,
                f"dataset 'image_folder': root's folders {as_written(folders)} are named as "
                "splits, yet each is read as one class (all the images under it labelled with "
                "it); if they hold the class folders, point root at one of them (root: "
                f"{str(self.root / folders[0])!r}): ffade cuts its own splits",
            )
        if len(set(map(_nfc, self.classes))) != len(self.classes):
            raise FfadeError("dataset 'image_folder': classes repeat a name; each must be unique")
        index = {_nfc(name): i for i, name in enumerate(self.classes)}
        unknown = [name for name in folders if _nfc(name) not in index]
        if unknown:
            raise FfadeError(
                f"dataset 'image_folder': folders {as_written(unknown[:5])} are not in classes; "
                "add them to classes or move them out of root"
            )
        self.files: list[Path] = []
        self.labels: list[int] = []
        unread: dict[str, list[str]] = {"of another type": [], "links to no file": []}
        for name in folders:  # images in sub-folders of a class folder belong to the class
            for path in _files_under(self.root / name):
                relative = path.relative_to(self.root)
                if _is_image(path, relative):
                    self.files.append(path)
                    self.labels.append(index[_nfc(name)])
                elif _shown(relative):  # skipped, said below: not in silence
                    kind = _unread_kind(path)
                    if kind:
                        unread[kind].append(relative.as_posix())
        skipped = [_skipped(kind, names) for kind, names in unread.items() if names]
        # images lying in root itself have no class: said, not skipped in silence
        loose = sorted(p.name for p in self.root.iterdir() if _is_image(p, Path(p.name)))
        count = f"{len(loose)} image{'s' * (len(loose) != 1)}"
        outside = f"{count} in root itself (e.g. {loose[0]!r})" if loose else ""
        if not self.files:
            fix = f"; {outside}: put each in its class's folder" * bool(loose)
            raise FfadeError(
                f"dataset 'image_folder': no images ({', '.join(EXTENSIONS)}) in class folders "
                f"under {str(self.root)!r}{fix}{''.join(f'; left out: {s}' for s in skipped)}"
            )
        self.notes = (*self.notes, *(f"dataset 'image_folder': left out: {s}" for s in skipped))
        if loose:
            self.notes = (
                *self.notes,
                f"dataset 'image_folder': left out, in no class folder: {outside}; to use "
                "them, put each in its class's folder",
            )
        self.image_size = int(image_size)
        self.cache = cache
        self._decoded: dict[int, torch.Tensor] = {}
        keys = file_keys(self.files)  # a photo saved twice goes to one split
        self.indices = split_indices("image_folder", len(self.files), fractions, seed, keys)
        of = f"{len(self.files)} image{'s' * (len(self.files) != 1)}"
        self.notes = (*self.notes, *empty_split_notes("image_folder", self.indices, fractions, of))

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def split(self, name: str) -> Sequence[tuple[torch.Tensor, int]]:
        """The (image (3, image_size, image_size), class index) pairs of one split, decoded as
        they are read: a run with ``max_inputs: 200`` on a 50,000-photo folder decodes 200."""
        check_split_name("image_folder", name)
        return FolderSplit(self, [int(i) for i in self.indices[name]])

    def image(self, i: int) -> torch.Tensor:
        """Image ``i`` as a float tensor in [0, 1], decoded once if caching."""
        pixels = self._decoded.get(i)
        if pixels is None:
            pixels = self._decode(self.files[i])
            if self.cache:
                self._decoded[i] = pixels
        return F.to_dtype(pixels, torch.float32, scale=True)

    def _decode(self, path: Path) -> torch.Tensor:
        picture, (width, height) = read_rgb(
            path,
            DRAFT_MARGIN * self.image_size,
            "dataset 'image_folder'",
            "replace it or move it out of root",
        )
        pixels = F.pil_to_tensor(_within_aspect(picture))
        # the size a full decode is resized to (torchvision's rule for one int), from the full
        # size: the same numbers when nothing was reduced, so those pixels do not change
        width, height = min(width, MOST_ASPECT * height), min(height, MOST_ASPECT * width)
        short, long = sorted((width, height))
        sides = [self.image_size, int(self.image_size * long / short)]
        pixels = F.resize(pixels, sides if height <= width else sides[::-1], antialias=True)
        return F.center_crop(pixels, [self.image_size, self.image_size])


def _within_aspect(img: Image.Image) -> Image.Image:
    """The image, its long edge center-cropped to at most ``MOST_ASPECT`` times its short one.

    Only the center square survives the crop after resizing; resizing a 1 x 3,000 strip whole
    first made a 224 x 672,000 tensor (1.2 GB and seconds for one image, more for longer ones).
    Images within the ratio come back as they are, so their pixels do not change."""
    width, height = img.size
    short = min(width, height)
    longest = MOST_ASPECT * short
    if max(width, height) <= longest:
        return img
    left, top = max(0, (width - longest) // 2), max(0, (height - longest) // 2)
    return img.crop((left, top, left + min(width, longest), top + min(height, longest)))


def _files_under(folder: Path) -> list[Path]:
    """Every file under ``folder``, sorted, linked sub-folders followed (as torchvision's
    ``ImageFolder`` follows them): ``Path.rglob`` skipped them, and the images of a class
    organised with links were left out with no word. A link back to a folder already walked, or
    to one above ``folder`` (a loop), is not walked again; folders named with a dot (hidden) are
    not walked, as none of their files is read."""
    start = os.path.realpath(folder)
    seen = {start}
    files: list[Path] = []
    for parent, folders, names in os.walk(folder, followlinks=True):
        kept = []
        for name in sorted(folders):
            real = os.path.realpath(os.path.join(parent, name))
            above = start.startswith(os.path.join(real, ""))  # a link up: a loop
            if not name.startswith(".") and real not in seen and not above:
                seen.add(real)
                kept.append(name)
        folders[:] = kept
        files.extend(Path(parent, name) for name in names)
    return sorted(files)


def _is_image(path: Path, relative: Path) -> bool:
    """An image file ffade reads, ``relative`` (to root) not hidden."""
    return path.suffix.lower() in EXTENSIONS and path.is_file() and _shown(relative)


def _unread_kind(path: Path) -> str | None:
    """Why a file named as an image is not read: another image type, or a link to no file
    (``path.is_file()`` is false for both a folder and a broken link); None for other files."""
    suffix = path.suffix.lower()
    if suffix in EXTENSIONS and path.is_symlink() and not path.exists():
        return "links to no file"
    if suffix in OTHER_IMAGES and path.is_file():
        return "of another type"
    return None


def _skipped(kind: str, names: list[str]) -> str:
    """One clause for the files of one kind left out: how many, one example, and what to do."""
    files = f"{len(names)} file{'s' * (len(names) != 1)} {kind} (e.g. {names[0]!r})"
    if kind == "links to no file":
        return f"{files}; point each link at its image"
    return f"{files}; read are {', '.join(EXTENSIONS)}: convert them to one of these to use them"


def _nfc(name: str) -> str:
    """A class or folder name in Unicode's composed form (NFC), so that they match as they read:
    macOS writes ``café`` as ``cafe`` plus a combining accent (NFD), a YAML or JSON class list
    as one ``é``, and the folder was "not in classes" though the names looked the same."""
    return unicodedata.normalize("NFC", name)


def _shown(path: Path) -> bool:
    """Not hidden: no part of the path starts with a dot (``.ipynb_checkpoints``, macOS's
    ``._photo.jpg`` copies of resource forks, which are no images)."""
    return not any(part.startswith(".") for part in path.parts)


class FolderSplit(Sequence):
    """A split's (image, class index) pairs; each image decoded when its pair is read."""

    def __init__(self, dataset: ImageFolderDataset, positions: list[int]) -> None:
        self.dataset = dataset
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return FolderSplit(self.dataset, self.positions[index])
        i = self.positions[index]
        return self.dataset.image(i), self.dataset.labels[i]


def _read_classes(classes: Sequence[str] | str) -> list[str]:
    """Class names in index order from a list, a JSON file or a text file.

    Anything else is refused by name: a number was "'int' object is not iterable", and an
    inline mapping was read in its keys' order, its indices silently ignored.
    """
    if isinstance(classes, (list, tuple)):
        return [str(c) for c in classes]
    if not isinstance(classes, str):
        raise FfadeError(
            "dataset 'image_folder': classes must be a list of class names in index order or "
            f"a .json/.txt file of them, got {as_written(classes)}"
        )
    path = Path(classes).expanduser()
    if not path.is_file():
        where = f"dataset 'image_folder': classes file {classes!r}"
        gone = f"{where} is a directory" if path.is_dir() else missing_file(where, path)
        raise FfadeError(f"{gone}; pass a list of class names or a .json/.txt file")
    lines = read_text_lines(path, "dataset 'image_folder': classes file")
    if path.suffix.lower() != ".json":
        return [line.strip() for line in lines if line.strip()]
    where = f"dataset 'image_folder': classes file {classes!r}"
    try:
        data = json.loads("".join(lines))
    except json.JSONDecodeError as error:
        raise FfadeError(f"{where} is not valid JSON ({error})") from None
    if isinstance(data, list):
        return [str(c) for c in data]
    if not isinstance(data, dict):
        raise FfadeError(f"{where} must hold a list of names or a mapping of names to indices")
    return _by_index(data, where)


def _by_index(data: dict[str, Any], where: str) -> list[str]:
    """Names in index order from {name: index}, or {"index": name} / {"index": [wordnet id,
    name]} (imagenet_class_index.json); each index 0..n-1 exactly once, so no class is lost."""
    try:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in data.values()):
            pairs = [(int(i), str(name)) for name, i in data.items()]
        else:
            pairs = [(int(i), str(v[0] if isinstance(v, list) else v)) for i, v in data.items()]
    except (ValueError, TypeError, IndexError):
        pairs = []
    if not pairs or sorted(i for i, _ in pairs) != list(range(len(pairs))):
        raise FfadeError(
            f"{where}: class indices must be 0..{len(data) - 1}, each once "
            '({name: index} or {"index": name})'
        )
    by_index = dict(pairs)
    return [by_index[i] for i in range(len(by_index))]
