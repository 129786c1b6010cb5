"""Real photos that ship with scikit-image and scikit-learn, labelled with ImageNet classes.

They make a real ImageNet model's failures visible offline: no image is downloaded, the files
come with the packages' wheels. Only photos whose subject has an ImageNet class are used, each
with the set of classes that name it correctly (the tabby cat is right as any of ImageNet's five
domestic cats: "tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"). Left
out: the astronaut (a person: no ImageNet class), the dahlia (no flower class fits), the
deliberately motion-blurred clock, the right image of the motorcycle stereo pair (the left one
again), and the drawings, textures and micrographs.

Each photo gives eight deterministic views (crops around its subject at three zooms and three
positions, and mirrored), so there are enough inputs for three disjoint splits; the same views of
every photo go to the same split, so each split holds every photo, seen differently.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from ffade.errors import FfadeError
from ffade.plugin_api import Dataset
from ffade_vision._lazy import F
from ffade_vision.datasets._splits import (
    check_split_name,
    empty_split_notes,
    split_indices,
)

NUM_CLASSES = 1000
"""ImageNet-1k, in the usual class order (torchvision's, and EfficientNet-Lite's)."""


@dataclass(frozen=True)
class Photo:
    """One bundled photo and the ImageNet classes that name its subject.

    Attributes:
        name: how inputs and errors refer to it.
        package: the importable package that ships the file.
        path: the file inside that package.
        classes: every ImageNet class index that is a correct answer.
        subject: what the photo shows, in words.
        centre: where the subject is along the photo's longer side, 0 (start) to 1 (end);
            views are cut around it, so that every view shows the subject.
    """

    name: str
    package: str
    path: str
    classes: tuple[int, ...]
    subject: str
    centre: float = 0.5


PHOTOS = (
    Photo("chelsea", "skimage", "data/chelsea.png", (281, 282, 283, 284, 285), "a tabby cat"),
    Photo("coffee", "skimage", "data/coffee.png", (504, 967, 968), "a cup of espresso"),
    Photo("rocket", "skimage", "data/rocket.jpg", (657, 744), "a rocket on its launch pad"),
    Photo("motorcycle", "skimage", "data/motorcycle_left.png", (665, 670), "a motorcycle"),
    Photo("cameraman", "skimage", "data/camera.png", (759, 872), "a camera on a tripod"),
    Photo("china", "sklearn", "datasets/images/china.jpg", (663, 698), "a palace tower", 0.33),
)
"""The classes: 281-285 domestic cats; 504 coffee mug, 967 espresso, 968 cup; 657 missile,
744 projectile; 665 moped, 670 motor scooter (ImageNet's motorbikes); 759 reflex camera,
872 tripod; 663 monastery, 698 palace (the tower is in the Summer Palace, a Buddhist temple)."""


@dataclass(frozen=True)
class View:
    """A deterministic crop: resize the shorter side to ``short_side``, then cut a square.

    Attributes:
        short_side: the shorter side after resizing, in pixels (at least the crop's side).
        shift: how far the square's centre lies from the subject's, along the longer side, as
            a fraction of the square's side (the square stays inside the photo).
        mirrored: flip left to right.
    """

    short_side: int
    shift: float
    mirrored: bool


VIEWS = (
    View(224, 0.0, False),
    View(224, 0.0, True),
    View(256, 0.0, False),
    View(256, -0.15, False),
    View(256, 0.15, False),
    View(256, 0.0, True),
    View(288, 0.0, False),
    View(288, 0.0, True),
)
"""Eight views per photo: the whole shorter side, a slight zoom at three positions and a closer
zoom, each also mirrored. Shifts move along the longer side (the width of a square photo)."""

IMAGE_SIZE = 224
"""The side of every view, the input size of ImageNet models."""


class SamplePhotosDataset(Dataset):
    """Views of the bundled photos as float images in [0, 1], with their acceptable classes.

    A reference is the tuple of ImageNet class indices that are correct for its photo;
    :meth:`collate` turns a batch of them into a boolean mask (B, 1000), which the
    classification rewards accept: any class in the set counts as right.

    Args:
        seed: fixes which views go to which split.
        fractions: shares of the views of each photo in the discovery, fine-tune and held-out
            splits (sum at most 1); the default puts 4, 2 and 2 of the 8 views in them.

    Attributes:
        photos: the photos used, in input order.
        views: each photo's views by name, uint8 (len(VIEWS), 3, 224, 224), in VIEWS order.
        indices: each split's view indices, the same for every photo.
    """

    def __init__(self, seed: int = 0, fractions: Sequence[float] = (0.5, 0.25, 0.25)) -> None:
        super().__init__(seed)
        self.photos = PHOTOS
        self.indices = split_indices("sample_photos", len(VIEWS), fractions, seed)
        of = f"each photo's {len(VIEWS)} views"
        self.notes = empty_split_notes("sample_photos", self.indices, fractions, of)
        self.views = {p.name: cut_views(_read(p), p.centre) for p in self.photos}

    def split(self, name: str) -> list[tuple[torch.Tensor, tuple[int, ...]]]:
        """The (image (3, 224, 224) in [0, 1], acceptable classes) pairs of one split.

        Photo by photo, and within a photo in the split's (seeded) view order.
        """
        check_split_name("sample_photos", name)
        return [
            (F.to_dtype(self.views[photo.name][int(v)], torch.float32, scale=True), photo.classes)
            for photo in self.photos
            for v in self.indices[name]
        ]

    def collate(
        self, items: Sequence[tuple[torch.Tensor, tuple[int, ...]]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Stack the images, and turn each set of acceptable classes into a row of a mask."""
        images = torch.stack([image for image, _ in items])
        accepted = torch.zeros(len(items), NUM_CLASSES, dtype=torch.bool)
        for row, (_, classes) in enumerate(items):
            accepted[row, list(classes)] = True
        return images, accepted


def cut_views(pixels: torch.Tensor, centre: float = 0.5) -> torch.Tensor:
    """A photo's views (len(VIEWS), 3, 224, 224), in the dtype of ``pixels`` (3, H, W).

    ``centre`` is where the subject is along the longer side (see :class:`Photo`).
    """
    views = []
    for view in VIEWS:
        scaled = F.resize(pixels, [view.short_side], antialias=True)
        height, width = scaled.shape[-2:]
        along_height = height > width
        length = height if along_height else width
        middle = centre * length + view.shift * IMAGE_SIZE
        start = min(max(round(middle - IMAGE_SIZE / 2), 0), length - IMAGE_SIZE)
        across = ((width if along_height else height) - IMAGE_SIZE) // 2
        top, left = (start, across) if along_height else (across, start)
        crop = F.crop(scaled, top, left, IMAGE_SIZE, IMAGE_SIZE)
        views.append(F.horizontal_flip(crop) if view.mirrored else crop)
    return torch.stack(views)


def _read(photo: Photo) -> torch.Tensor:
    """The photo as a uint8 RGB tensor (3, H, W), read from the package that ships it."""
    spec = importlib.util.find_spec(photo.package)
    if spec is None or not spec.submodule_search_locations:
        raise FfadeError(
            f"dataset 'sample_photos': photo {photo.name!r} ships with the {photo.package!r} "
            "package, which is not installed; pip install scikit-image scikit-learn"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / photo.path
    try:
        with Image.open(path) as image:
            return F.pil_to_tensor(image.convert("RGB"))
    except OSError as exc:
        raise FfadeError(
            f"dataset 'sample_photos': cannot read photo {photo.name!r} at {str(path)!r}: {exc}"
        ) from exc
