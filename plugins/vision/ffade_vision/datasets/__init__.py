"""Image datasets: scikit-learn's digits, class folders, and the bundled sample photos."""

from __future__ import annotations

from ffade_vision.datasets.digits import DigitsDataset
from ffade_vision.datasets.image_folder import ImageFolderDataset
from ffade_vision.datasets.sample_photos import SamplePhotosDataset

__all__ = ["DigitsDataset", "ImageFolderDataset", "SamplePhotosDataset"]
