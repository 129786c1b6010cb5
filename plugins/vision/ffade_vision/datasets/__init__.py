"""Image datasets: scikit-learn's digits (offline, for the quickstart) and class folders."""

from __future__ import annotations

from ffade_vision.datasets.digits import DigitsDataset
from ffade_vision.datasets.image_folder import ImageFolderDataset

__all__ = ["DigitsDataset", "ImageFolderDataset"]
