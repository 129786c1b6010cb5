"""Any torchvision classification model, by name, with pretrained, local or random weights."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ffade.errors import PluginError, as_written
from ffade.plugin_api import load_weights
from ffade_vision._lazy import F
from ffade_vision.datasets.image_folder import MOST_IMAGE_SIZE
from ffade_vision.targets._base import IMAGENET_MEAN, IMAGENET_STD, ImageClassifier

if TYPE_CHECKING:
    import torchvision

_CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors")


class TorchvisionClassifier(ImageClassifier):
    """A ``torchvision.models`` classifier (alexnet, resnet50, efficientnet_v2_l, vit_b_16, ...).

    Preprocessing follows the weights' own transforms: their mean and std, and a resize to their
    crop size with their interpolation (bicubic for EfficientNets, Swin, MaxViT and the SWAG
    weights); the dataset has already cropped, so the resize only matches the resolution. An
    image that is not square is resized on its short edge and center-cropped, as the weights'
    transforms do, not stretched. ``weights_transforms`` runs those transforms whole (resize
    the short edge to their ``resize_size``, then crop). Local checkpoints and random weights
    use ImageNet's mean and std.

    Args:
        model: a torchvision classification model name (``torchvision.models.list_models``).
        weights: a torchvision weights name ("ResNet50_Weights.IMAGENET1K_V2", "IMAGENET1K_V1"
            or "DEFAULT"), loaded through torchvision (from the torch hub cache when present);
            a local state-dict file (.pt/.pth, or .safetensors with the safetensors package);
            or None for random weights, as tests use.
        num_classes: output classes for random weights or a local checkpoint (default 1000,
            or as many as ``categories`` names).
        categories: the class names of random weights or a local checkpoint, in class-index
            order (an ``image_folder``'s sorted folder names, say), so that captions and reports
            read "should be cat ... predicted rocket", not class indices a reader cannot look up;
            a torchvision weights name brings its own.
        image_size: side the model is fed, at most ``MOST_IMAGE_SIZE`` (1024); default the
            weights' crop size, else the input's own.
        weights_transforms: preprocess every image as the weights' ``transforms()`` do: resize
            its short edge to their ``resize_size`` (256 for most, 232 for ResNet-50's V2), then
            keep the center crop (224); with a torchvision weights name only, and no image_size.
            Off (default): the dataset's image is the crop, resized to the crop size.
        device: where the model runs ("cpu", "cuda", "cuda:1").
        precision, channels_last, compile, cpu_threads: speed options of every image target
            ("32" or "bf16" autocast, NHWC convolutions, ``torch.compile``, torch CPU threads);
            see ``ImageClassifier``.
    """

    size_fix = (
        " (with random or local weights nothing resizes them); set image_size to a size it "
        "takes (224, the ImageNet models' own; a ViT takes only its own)"
    )
    path_arguments = ("weights",)  # recorded absolute: a resume finds them from anywhere

    classes_fix = (
        "set num_classes to the dataset's number of classes (random weights or a local "
        "checkpoint trained on them), or choose weights trained on the dataset's classes"
    )

    def __init__(
        self,
        model: str = "resnet18",
        weights: str | None = None,
        num_classes: int | None = None,
        categories: list[str] | None = None,
        image_size: int | None = None,
        weights_transforms: bool = False,
        device: str = "cpu",
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        cpu_threads: int | None = None,
    ) -> None:
        _check_model_name(model)
        from torchvision.models import get_model  # imported here: see ffade_vision._lazy

        for key, value in (("num_classes", num_classes), ("image_size", image_size)):
            whole = isinstance(value, int) and not isinstance(value, bool)
            if value is not None and not (whole and value >= 1):  # image_size 0 read as null
                raise PluginError(
                    f"target 'torchvision_classifier': {key} must be a whole number, at least 1, "
                    f"or null; got {as_written(value)}"
                )
        if image_size is not None and image_size > MOST_IMAGE_SIZE:  # every batch resized to it
            raise PluginError(  # 10**6 filled memory (or stopped in torch) at the first batch
                f"target 'torchvision_classifier': image_size must be at most {MOST_IMAGE_SIZE} "
                f"pixels (as dataset 'image_folder' allows), or null; got {as_written(image_size)}"
            )
        self.model_name = model
        self.weights = weights
        self.categories: list[str] | None = _checked_categories(categories, num_classes)
        if categories is not None and num_classes is None:
            num_classes = len(categories)
        mean, std, crop, resize = IMAGENET_MEAN, IMAGENET_STD, None, None
        interpolation = F.InterpolationMode.BILINEAR
        if weights_transforms and (weights is None or _is_path(weights) or image_size):
            raise PluginError(
                "target 'torchvision_classifier': weights_transforms: true runs a torchvision "
                "weights name's own transforms (resize, crop); it needs one as weights (e.g. "
                "DEFAULT) and no image_size (the crop size is theirs); got weights "
                f"{as_written(weights)}, image_size {as_written(image_size)}"
            )
        if weights is None or _is_path(weights):
            network = get_model(model, weights=None, num_classes=num_classes or 1000)
            if weights is not None:
                load_weights(
                    network,
                    weights,
                    "torchvision_classifier",
                    fit_hint="check the model name and num_classes",
                )
        else:
            for key, value in (("num_classes", num_classes), ("categories", categories)):
                if value is not None:
                    raise PluginError(
                        f"target 'torchvision_classifier': {key} applies to random weights or a "
                        f"local checkpoint; {weights!r} fixes the classes its weights were "
                        "trained on"
                    )
            enum = _weights_enum(model, weights)
            network = _load_pretrained(model, weights, enum)
            preset = enum.transforms()
            mean, std, crop = preset.mean, preset.std, preset.crop_size[0]
            resize = preset.resize_size[0] if weights_transforms else None
            interpolation = preset.interpolation  # bilinear resizes cost bicubic models accuracy
            self.categories = list(enum.meta.get("categories", [])) or None
        side = image_size or crop
        super().__init__(
            network,
            mean=mean,
            std=std,
            input_size=(side, side) if side else None,
            in_channels=3,
            device=device,
            precision=precision,
            channels_last=channels_last,
            compile=compile,
            cpu_threads=cpu_threads,
            num_classes=len(self.categories) if self.categories else num_classes or 1000,
        )
        self.interpolation = interpolation
        self.crop_to_fit = True  # a 4:3 photo is cropped, as the weights' transforms crop it
        self.resize_size = resize


def _checked_categories(categories: object, num_classes: int | None) -> list[str] | None:
    """The class names as given, refused unless a list of distinct names, one per class:
    a name missing or extra would caption every later class with its neighbour's name."""
    if categories is None:
        return None
    names_ok = isinstance(categories, (list, tuple)) and all(
        isinstance(name, str) and name.strip() for name in categories
    )
    if not names_ok or len(categories) < 2:
        raise PluginError(
            "target 'torchvision_classifier': categories must be a list of at least 2 class "
            f"names in class-index order, e.g. [cat, dog]; got {as_written(categories)}"
        )
    if len(set(categories)) != len(categories):
        twice = sorted({name for name in categories if categories.count(name) > 1})
        raise PluginError(
            f"target 'torchvision_classifier': categories names {twice[0]!r} more than once; "
            "give each class's name once, in class-index order"
        )
    if num_classes is not None and num_classes != len(categories):
        raise PluginError(
            f"target 'torchvision_classifier': categories names {len(categories)} classes but "
            f"num_classes is {num_classes}; give one name per class (or leave num_classes out)"
        )
    return list(categories)


def _is_path(weights: str) -> bool:
    path = Path(weights)
    return path.suffix in _CHECKPOINT_SUFFIXES or "/" in weights or path.is_file()


def _check_model_name(name: object) -> None:
    """Refuse a name torchvision has no classifier for, in one line that starts with the
    argument (named by its config key when built from a config) and says how to list the
    names: there are 80 of them, too many for one line."""
    import torchvision
    from torchvision.models import list_models

    known = list_models(module=torchvision.models)
    if name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise PluginError(
            f"target 'torchvision_classifier': model {as_written(name)} is not a torchvision "
            f"classification model{hint}; allowed: one of the {len(known)} names "
            "torchvision.models.list_models(torchvision.models) gives (alexnet, resnet18, "
            "resnet50, vit_b_16, ...)"
        )


def _weights_enum(model: str, weights: str) -> torchvision.models.WeightsEnum:
    from torchvision.models import get_model_weights

    enum_class = get_model_weights(model)
    try:
        return enum_class.verify(weights)
    except KeyError:
        names = ", ".join(["DEFAULT", *(f"{enum_class.__name__}.{w.name}" for w in enum_class)])
        raise PluginError(
            f"target 'torchvision_classifier': {weights!r} is not a weights name of model "
            f"{model!r}; allowed: {names}, a checkpoint path, or null for random weights"
        ) from None


def _load_pretrained(
    model: str, weights: str, enum: torchvision.models.WeightsEnum
) -> torch.nn.Module:
    """Build the model with pretrained weights from the torch hub cache; nothing is downloaded
    at run time (an offline machine would wait on the network, a shared one fetch unasked).
    Its errors say ``weights`` as the user wrote them, then what they resolved to where that
    differs (``'DEFAULT' (ResNet18_Weights.IMAGENET1K_V1)``): a user who wrote DEFAULT was
    told only of an enum they never typed."""
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(enum.url).name
    resolved = "" if weights == str(enum) else f" ({enum})"
    where = (
        f"target 'torchvision_classifier': weights {weights!r}{resolved} of {model!r} are "
        "unavailable"
    )
    if not cached.exists():
        raise PluginError(
            f"{where}: not in the torch hub cache ({str(cached)!r}); fetch them once where the "
            f"network is reachable (torchvision.models.get_model({model!r}, weights={str(enum)!r})"
            ") or copy the file there, or pass a local checkpoint path as weights"
        )
    from torchvision.models import get_model

    try:
        return get_model(model, weights=enum)
    except Exception as exc:  # a file cut short is an UnpicklingError: no common base with OSError
        raise PluginError(
            f"{where}: the cached file {str(cached)!r} failed to load ({type(exc).__name__}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); is it cut short or "
            "damaged? Delete it and fetch it again"
        ) from exc
