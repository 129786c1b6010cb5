"""Hugging Face image classifiers (ViT, ConvNeXt, ...) as ffade targets: ``hf_image_pipeline``.

It runs what ``transformers.pipeline("image-classification")`` runs, the model and its image
processor's resizing and normalization, but on the concept-changed image tensors directly, in
batches on the target's device and without a round trip through PIL, so the target is also
trainable (``ffade.mitigate`` fine-tunes it). The model is read from a local directory or a hub
id already in the Hugging Face cache; nothing is downloaded unless ``local_files_only`` is off,
and a model that is not there is a one-line error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision.transforms.v2 import functional as F

from ffade.errors import PluginError, loading_detail
from ffade.hf_models import check_model_path, check_trained_head
from ffade.plugin_api import load_weights
from ffade_vision.targets._base import ImageClassifier

NAME = "hf_image_pipeline"
TASKS = ("image-classification",)
PIL_NEAREST, PIL_LANCZOS, PIL_BICUBIC = 0, 1, 3
"""The PIL filter numbers image processors name their ``resample`` by."""


class _Logits(nn.Module):
    """The transformers model as ``images -> logits (B, len(columns))``: the dataset's classes.

    Its state dict names the model's tensors ``network.<key>``; a file saved from the model
    itself (``model.state_dict()``: ``<key>``) loads too, so ``weights`` takes either that or a
    fine-tune's ``model.pt``. Without this, the model's own state dict "did not fit the model".
    """

    def __init__(self, network: nn.Module, columns: list[int]) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("columns", torch.tensor(columns), persistent=False)
        self.register_load_state_dict_pre_hook(_prefix_bare_keys)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.network(pixel_values=pixel_values).logits[:, self.columns]


def _prefix_bare_keys(module: nn.Module, state: dict[str, Any], prefix: str, *_: Any) -> None:
    """Read a state dict of the transformers model itself as ``network.``'s (in place)."""
    inner = prefix + "network."
    if any(key.startswith(inner) for key in state):
        return  # a fine-tune's model.pt: the keys are this module's already
    bare = module.network.state_dict()
    for key in [k for k in state if k.startswith(prefix) and k[len(prefix) :] in bare]:
        state[inner + key[len(prefix) :]] = state.pop(key)


class HFImagePipeline(ImageClassifier):
    """An ``AutoModelForImageClassification`` with its image processor's preprocessing.

    Args:
        model: a local directory (``save_pretrained``) or a hub id in the Hugging Face cache.
        task: "image-classification", the only task (text tasks are ffade-text's hf_pipeline).
        labels: the dataset's class names in reference order, each one of the model's labels
            (case does not matter); default the model's own order (references index it).
        local_files_only: never reach the hub (on by default: runs are offline).
        weights: a ``torch.save(model.state_dict())`` file, e.g. a fix ffade.mitigate saved.
        device: where the model runs.
        precision, channels_last, compile, cpu_threads: speed options of every image target
            ("32" or "bf16" autocast, NHWC convolutions, ``torch.compile``, torch CPU threads);
            see ``ImageClassifier``.
    """

    path_arguments = ("model", "weights")  # recorded absolute: a resume finds them from anywhere

    classes_fix = (
        "list one of the model's labels per dataset class, in the dataset's order, in labels"
    )

    def __init__(
        self,
        model: str,
        task: str = "image-classification",
        labels: Sequence[str] | None = None,
        local_files_only: bool = True,
        weights: str | None = None,
        device: str = "cpu",
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        cpu_threads: int | None = None,
    ) -> None:
        if task not in TASKS:
            raise PluginError(
                f"target '{NAME}': task {task!r} is not allowed; choose {TASKS[0]} (text tasks "
                "are ffade-text's hf_pipeline)"
            )
        network, processor = _load(model, local_files_only)
        names = [str(network.config.id2label[i]) for i in range(network.config.num_labels)]
        self.categories = names if labels is None else list(labels)
        wrapped = _Logits(network, _columns(names, labels))
        if weights is not None:
            load_weights(wrapped, weights, NAME)
        mean, std, self.flip_channels = _pixel_scaling(processor, network.config.num_channels)
        super().__init__(
            wrapped,
            mean=mean,
            std=std,
            input_size=_input_size(processor),
            in_channels=network.config.num_channels,
            device=device,
            precision=precision,
            channels_last=channels_last,
            compile=compile,
            cpu_threads=cpu_threads,
            num_classes=len(self.categories),
        )
        self.interpolation = _interpolation(getattr(processor, "resample", None))
        # a processor that resizes the short edge (MobileViT, ConvNeXt) keeps a photo's aspect
        # and crops it; one with a height and width (ViT, DeiT) stretches it, as this does
        size = processor.size
        self.crop_to_fit = not isinstance(size, int) and bool(size.get("shortest_edge"))

    def preprocess(self, inputs: torch.Tensor) -> torch.Tensor:
        """The processor's pixel values: channels, size, its rescale and normalization folded
        into one mean and std (:func:`_pixel_scaling`), then its RGB -> BGR flip (MobileViT)."""
        pixels = super().preprocess(inputs)
        return pixels.flip(-3) if self.flip_channels else pixels


def _pixel_scaling(processor: Any, channels: int) -> tuple[list[float], list[float], bool]:
    """Mean, std and channel flip that give an image in [0, 1] the pixel values the processor
    gives the same image in 0..255: ``rescale_factor`` (1/255 by default; 1/127.5 with mean 1 for
    some), no rescale (``do_rescale: false``: the model takes 0..255), EfficientNet's
    ``rescale_offset`` (x * factor - 1) and ``include_top`` (divides by the std once more), no
    normalization (``do_normalize: false``, MobileViT) and ``do_flip_channel_order``.

    The processor computes ``(x * 255 * factor + offset - mean) / std``, which is
    ``(x - (mean - offset) / k) / (std / k)`` with ``k = 255 * factor``: one normalization. The
    target normalized with ``image_mean`` and ``image_std`` whatever these said, so a model
    trained on pixels in [0, 1] (no normalization) got pixels in [-2, 2]; with the default
    factor (k = 1) and no offset the mean and std are the processor's own, unchanged.
    """

    def per_channel(value: Any, key: str) -> list[float]:
        values = list(value) if isinstance(value, list | tuple) else [value] * channels
        if len(values) != channels or not all(isinstance(v, int | float) for v in values):
            raise PluginError(
                f"target '{NAME}': the image processor's {key} must be {channels} numbers (one "
                f"per channel) or one; got {value!r}"
            )
        return [float(v) for v in values]

    rescale = bool(getattr(processor, "do_rescale", True))
    factor = float(getattr(processor, "rescale_factor", 1 / 255)) if rescale else 1.0
    if factor <= 0:
        raise PluginError(
            f"target '{NAME}': the image processor's rescale_factor must be above 0; got {factor}"
        )
    scale = 255 * factor
    offset = -1.0 if rescale and getattr(processor, "rescale_offset", False) else 0.0
    if getattr(processor, "do_normalize", False):
        mean = per_channel(processor.image_mean, "image_mean")
        std = per_channel(processor.image_std, "image_std")
    else:
        mean, std = [0.0] * channels, [1.0] * channels
    if getattr(processor, "include_top", False):  # EfficientNet: a second division by the std
        std = [
            s * t for s, t in zip(std, per_channel(processor.image_std, "image_std"), strict=True)
        ]
    if scale != 1 or offset:
        mean = [(m - offset) / scale for m in mean]
        std = [s / scale for s in std]
    return mean, std, bool(getattr(processor, "do_flip_channel_order", False))


def _columns(names: list[str], labels: Sequence[str] | None) -> list[int]:
    """For each dataset class, the model's output index with that name."""
    if labels is None:
        return list(range(len(names)))
    listed = isinstance(labels, list | tuple)
    if not listed or len({str(x).lower() for x in labels}) != len(labels):
        raise PluginError(  # a string read as its letters; a repeat made two classes one
            f"target '{NAME}': labels must be a list of distinct names, e.g. [cat, dog]; "
            f"got {labels!r}"
        )
    lowered = [n.lower() for n in names]
    missing = [label for label in labels if str(label).lower() not in lowered]
    if missing:
        raise PluginError(
            f"target '{NAME}': label {missing[0]!r} is not one of the model's labels "
            f"({', '.join(names[:20])}{', ...' if len(names) > 20 else ''})"
        )
    return [lowered.index(str(label).lower()) for label in labels]


def _input_size(processor: Any) -> tuple[int, int]:
    """(height, width) the model is fed: the processor's crop when it center-crops (DeiT: resize
    to 256, crop 224), else its ``size`` (height/width or shortest_edge).

    The dataset has already cropped (``image_folder`` keeps the center square), so, as for
    ``torchvision_classifier``, a resize to the crop size matches the model's resolution; the
    resize size fed a 224 DeiT 256 x 256 images, which it refused at the first batch.
    """
    crop = getattr(processor, "crop_size", None)
    if getattr(processor, "do_center_crop", False) and crop:
        return _side_pair(crop)
    return _side_pair(processor.size)


def _side_pair(size: Any) -> tuple[int, int]:
    """(height, width) from an image processor's size: an int, height/width or shortest_edge."""
    if isinstance(size, int):
        return size, size
    height, width = size.get("height"), size.get("width")
    if height and width:
        return height, width
    edge = size.get("shortest_edge")
    if not edge:
        raise PluginError(f"target '{NAME}': cannot read an input size from {size!r}")
    return edge, edge


def _interpolation(resample: Any) -> F.InterpolationMode:
    """The processor's resampling (a PIL filter number) as a tensor resize can do it: bicubic
    for bicubic (DeiT, BEiT, ConvNeXt, Swin) and Lanczos, nearest for nearest, else bilinear."""
    modes = {
        PIL_NEAREST: F.InterpolationMode.NEAREST_EXACT,
        PIL_LANCZOS: F.InterpolationMode.BICUBIC,
        PIL_BICUBIC: F.InterpolationMode.BICUBIC,
    }
    return modes.get(int(resample) if resample is not None else -1, F.InterpolationMode.BILINEAR)


def _load(model: str, local_files_only: bool) -> tuple[Any, Any]:
    """The model and its image processor; a missing one is a one-line PluginError."""
    try:
        from transformers import AutoImageProcessor, AutoModelForImageClassification
    except ImportError as exc:
        raise PluginError(
            f"target '{NAME}' needs transformers: pip install 'ffade-vision[hf]'"
        ) from exc

    check_model_path(model, NAME)
    path = Path(model).expanduser()
    local = path.is_dir()
    source = str(path) if local else model
    only_local = local_files_only or local
    try:
        with quiet_loading():
            network, info = AutoModelForImageClassification.from_pretrained(
                source,
                local_files_only=only_local,
                # not passed on to the LoRA-adapter lookup when peft is installed (see ffade-text)
                adapter_kwargs={"local_files_only": only_local},
                output_loading_info=True,
            )
            processor = AutoImageProcessor.from_pretrained(source, local_files_only=only_local)
    except (OSError, ValueError) as exc:
        where = "local directory" if local else "hub id, downloading"
        if not local and only_local:  # runs never download by surprise: say how to fetch it
            where = (
                f"hub id, not in the Hugging Face cache: fetch it once with `hf download {model}`,"
                " or give a local directory; local_files_only: false downloads it at run time"
            )
        raise PluginError(
            f"target '{NAME}': cannot load {model!r} ({where}){loading_detail(exc)}"
        ) from exc
    check_trained_head(info, model, NAME, "image-classification")
    return network, processor


@contextmanager
def quiet_loading() -> Iterator[None]:
    """transformers' "Loading weights" bar off while a model loads, then as it was.

    Local models load in a blink, and a mistake found just after loading (a label the model
    lacks) was the bar on stderr and then the one-line error: two lines, not one.
    """
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()  # its table of missing weights: check_trained_head says it
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if was_enabled:
            hf_logging.enable_progress_bar()
