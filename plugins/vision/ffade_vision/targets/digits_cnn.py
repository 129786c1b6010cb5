"""A small CNN for 28x28 digits whose trained weights ship with this package (the quickstart).

The weights come from ``plugins/vision/scripts/train_digits_cnn.py``, trained on the digits
dataset's fine-tune split only, so discovery searches images the model has never seen.
"""

from __future__ import annotations

from importlib.resources import as_file, files

import torch
from torch import nn

from ffade.errors import PluginError
from ffade.plugin_api import load_weights
from ffade_vision.targets._base import ImageClassifier, check_weights_name

BUNDLED = "bundled"
"""The ``weights`` value that selects the checkpoint shipped in ``ffade_vision/checkpoints``."""

IMAGE_SIZE = 28
"""The side the CNN is built for: its head expects 3x3 maps after three 2x poolings."""


class DigitsCNN(nn.Module):
    """Three conv blocks (28 -> 14 -> 7 -> 3 pixels) and a two-layer head; about 33k weights.

    Args:
        num_classes: output classes (10 digits).
        embedding_dim: width of the head's hidden layer, the embedding ``features`` returns.
    """

    def __init__(self, num_classes: int = 10, embedding_dim: int = 64) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(1, 16), block(16, 32), block(32, 32), nn.Flatten())
        self.classifier = nn.Sequential(
            nn.Linear(32 * 3 * 3, embedding_dim), nn.ReLU(), nn.Linear(embedding_dim, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class DigitsCNNTarget(ImageClassifier):
    """The digits CNN as an ffade target: gray 28x28 inputs (RGB and other sizes are converted).

    The bundled weights were trained on the fine-tune split of ``DigitsDataset()`` with its
    defaults (seed 0, fractions 0.4/0.4/0.2, 28 px, margin 4); keep those for the dataset, or
    discovery and held-out splits would contain images the model was trained on.

    Args:
        weights: "bundled" for the shipped checkpoint, a local state-dict path, or None for
            random weights (tests, or training from scratch).
        device: where the model runs.
        precision, channels_last, compile, cpu_threads: speed options of every image target
            ("32" or "bf16" autocast, NHWC convolutions, ``torch.compile``, torch CPU threads);
            see ``ImageClassifier``.
    """

    path_arguments = ("weights",)  # recorded absolute: a resume finds them from anywhere

    # the digits dataset scales the whole digit into the square, on a black border (MNIST's
    # layout): an image that is not square keeps all of its digit, padded, not stretched
    pad_to_fit = True

    classes_fix = (
        "digits_cnn scores the digits 0 to 9: choose a dataset with those classes (digits), or "
        "a target that scores every class of the dataset"
    )

    def __init__(
        self,
        weights: str | None = BUNDLED,
        device: str = "cpu",
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        cpu_threads: int | None = None,
    ) -> None:
        check_weights_name(weights, BUNDLED, "digits_cnn")
        network = DigitsCNN()
        if weights == BUNDLED:
            with as_file(files("ffade_vision") / "checkpoints" / "digits_cnn.pt") as path:
                if not path.is_file():
                    raise PluginError(
                        "target 'digits_cnn': the bundled checkpoint is missing; reinstall "
                        "ffade-vision or run plugins/vision/scripts/train_digits_cnn.py"
                    )
                load_weights(network, path, "digits_cnn")
        elif weights is not None:
            load_weights(network, weights, "digits_cnn")
        super().__init__(
            network,
            mean=(0.5,),  # maps [0, 1] to [-1, 1]; training used the same preprocess
            std=(0.5,),
            input_size=(IMAGE_SIZE, IMAGE_SIZE),
            in_channels=1,
            device=device,
            precision=precision,
            channels_last=channels_last,
            compile=compile,
            cpu_threads=cpu_threads,
        )
