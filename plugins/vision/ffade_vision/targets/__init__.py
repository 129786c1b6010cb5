"""Image classifier targets: any torchvision classification model, and the bundled digits CNN."""

from __future__ import annotations

from ffade_vision.targets.digits_cnn import DigitsCNN, DigitsCNNTarget
from ffade_vision.targets.torchvision_classifier import TorchvisionClassifier

__all__ = ["DigitsCNN", "DigitsCNNTarget", "TorchvisionClassifier"]
