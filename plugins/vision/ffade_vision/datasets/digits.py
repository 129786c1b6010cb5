"""scikit-learn's handwritten digits: 1797 images of 8x8 pixels that ship with scikit-learn.

Small enough to load in milliseconds and available offline, which makes it the quickstart's
data. Images are upscaled (bilinear) so that rotation, blur and occlusion have pixels to act on.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import Dataset
from ffade_vision._lazy import F
from ffade_vision.datasets._splits import (
    array_keys,
    check_split_name,
    empty_split_notes,
    split_indices,
)

# All 1797 images are held in memory: at 512 pixels a side and 3 channels, 5.6 GB of float32.
# A larger size (a typo such as 9223372036854775807) would stop in torch with a traceback.
MOST_IMAGE_SIZE = 512


class DigitsDataset(Dataset):
    """Digits 0-9 as float images in [0, 1]: ink is 1, background is 0; labels are the digit.

    Args:
        seed: fixes which images go to which split.
        fractions: shares of the discovery, fine-tune and held-out splits (sum at most 1).
        image_size: side length of the square image, at most 512 pixels.
        margin: empty border (pixels each side) around the digit, which is upscaled (bilinear)
            from 8 pixels to ``image_size - 2 * margin``; as in MNIST (20 + 2 * 4 = 28), it
            leaves room to rotate, shrink or shift the digit without cutting it off.
        channels: 1 for gray images, 3 to repeat the gray into RGB (for color concepts or
            models that expect three channels; the bundled targets accept either).

    Attributes:
        indices: each split's positions in the whole dataset, for provenance and checks.
    """

    num_classes: ClassVar[int] = 10

    def __init__(
        self,
        seed: int = 0,
        fractions: Sequence[float] = (0.4, 0.4, 0.2),
        image_size: int = 28,
        margin: int = 4,
        channels: int = 1,
    ) -> None:
        super().__init__(seed)
        if channels not in (1, 3):
            raise FfadeError(
                f"dataset 'digits': channels must be 1 or 3, got {as_written(channels)}"
            )
        whole = isinstance(image_size, int) and not isinstance(image_size, bool)
        if not (whole and image_size <= MOST_IMAGE_SIZE):
            raise FfadeError(
                f"dataset 'digits': image_size must be a whole number of pixels, at most "
                f"{MOST_IMAGE_SIZE} (every image is held in memory), got {as_written(image_size)}"
            )
        digit_size = image_size - 2 * margin
        if margin < 0 or digit_size < 8:
            raise FfadeError(
                f"dataset 'digits': image_size {as_written(image_size)} and margin "
                f"{as_written(margin)} leave "
                f"{digit_size} pixels for the digit; it needs at least 8 (and margin >= 0)"
            )
        originals, labels = digits_arrays()
        images = torch.from_numpy(originals).float().div_(16.0).unsqueeze(1)
        images = F.resize(images, [digit_size, digit_size], antialias=True).clamp_(0.0, 1.0)
        images = F.pad(images, [margin], fill=0.0)
        self.images = images.expand(-1, channels, -1, -1).contiguous()
        self.labels = [int(y) for y in labels]
        keys = array_keys(originals)  # the 8x8 originals: equal ones stay equal resized
        # checked as given: tuple(5) was "'int' object is not iterable", naming no key
        self.indices = split_indices("digits", len(self.labels), fractions, seed, keys)
        self.fractions = tuple(fractions)
        of = f"{len(self.labels)} images"
        self.notes = empty_split_notes("digits", self.indices, self.fractions, of)

    def split(self, name: str) -> list[tuple[torch.Tensor, int]]:
        """The (image (C, H, W), digit) pairs of one split, in a seeded order."""
        check_split_name("digits", name)
        return [(self.images[i], self.labels[i]) for i in self.indices[name]]


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 images (0-16) and their digits, as ``sklearn.datasets.load_digits`` gives
    them, read from the file scikit-learn ships without importing scikit-learn: its import
    (scipy.stats and more) was 0.6 s of the 6.5 s of CPU of ``ffade feedback`` drawing the
    quickstart's pictures (1.3 s alone), to read a 57 kB file. A scikit-learn that keeps the
    file elsewhere is read with ``load_digits``."""
    spec = importlib.util.find_spec("sklearn")  # finds the package; runs none of it
    folders = (spec.submodule_search_locations or []) if spec is not None else []
    table = next((Path(f, "datasets", "data", "digits.csv.gz") for f in folders), None)
    if table is None or not table.is_file():
        from sklearn.datasets import load_digits

        bunch = load_digits()
        return bunch.images, bunch.target
    with gzip.open(table, mode="rt", encoding="utf-8") as rows:
        data = np.loadtxt(rows, delimiter=",")  # as load_digits reads it: float64, 65 columns
    return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(int)
