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

from ffade.errors import PluginError, loading_detail
from ffade.hf_models import check_model_path, check_trained_head, label_columns
from ffade.plugin_api import load_weights
from ffade_vision._lazy import F
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

    size_fix = (
        ", and its image processor has do_resize: false (no resize); give the dataset the "
        "model's image size, or set do_resize to true in preprocessor_config.json"
    )
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
        columns = label_columns(names, labels, NAME, "[cat, dog]")  # labels: 5 is one line
        # as text: YAML's `labels: [0, 1]` are numbers, which a caption's join met mid-search
        self.categories = names if labels is None else [str(label) for label in labels]
        wrapped = _Logits(network, columns)
        if weights is not None:
            load_weights(wrapped, weights, NAME)
        mean, std, self.flip_channels = _pixel_scaling(processor, network.config.num_channels)
        resizing = _resizing(processor)
        super().__init__(
            wrapped,
            mean=mean,
            std=std,
            input_size=_input_size(resizing),
            in_channels=network.config.num_channels,
            device=device,
            precision=precision,
            channels_last=channels_last,
            compile=compile,
            cpu_threads=cpu_threads,
            num_classes=len(self.categories),
        )
        self.interpolation = _interpolation(getattr(processor, "resample", None))
        self.resizing = resizing

    def _sized(self, inputs: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """The processor's own resizes and center crops, in its order (:func:`_resizing`)."""
        mode = self.interpolation  # Lanczos: torchvision's from 0.27, on the CPU only; else
        if mode == F.InterpolationMode.LANCZOS and not (_lanczos_tensors() and inputs.is_cpu):
            mode = F.InterpolationMode.BICUBIC  # bicubic, as transformers' processors do
        for step, value in self.resizing:
            if step == "crop":
                inputs = _center_crop(inputs, value[0], value[1])
            elif tuple(inputs.shape[-2:]) != value and not (
                step == "short edge" and min(inputs.shape[-2:]) == value[0]
            ):
                inputs = F.resize(inputs, list(value), interpolation=mode, antialias=True)
        return inputs

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


Step = tuple[str, tuple[int, ...]]
"""("short edge", (edge,)), ("size", (height, width)) or ("crop", (height, width)): center."""

CONVNEXT_WARP_EDGE = 384
"""ConvNeXt's processor crops (``crop_pct``) below this ``shortest_edge`` and stretches the image
to a square at or above it, as its models were evaluated."""


def _resizing(processor: Any) -> list[Step]:
    """The processor's resizes and center crops, in order, so the model sees the region and size
    the processor gives it: ``size`` (height and width: stretched, ViT; ``shortest_edge``: the
    short edge, aspect kept, MobileViT), ConvNeXt's ``crop_pct`` (below a short edge of 384: the
    short edge to ``shortest_edge / crop_pct``, then the center ``shortest_edge`` square; from 384
    on: stretched to the square), PoolFormer's (``size / crop_pct``, then its crop), then
    ``do_center_crop`` to ``crop_size`` (DeiT: 256, then 224); ``do_resize: false``: no resize.

    The target fed ConvNeXt the crop size directly (objects 12.5% smaller than the processor
    shows them), cropped a ConvNeXt-384's photos that its processor stretches, resized DeiT's
    images straight to the crop size, and resized even with ``do_resize: false``.
    """
    steps: list[Step] = []
    kind = type(processor).__name__
    size = processor.size
    crop_pct = getattr(processor, "crop_pct", None)
    if crop_pct is not None and not kind.startswith(("ConvNext", "PoolFormer")):
        raise PluginError(
            f"target '{NAME}': the image processor's crop_pct ({crop_pct}) is followed for "
            f"ConvNeXt and PoolFormer processors only, not {kind}'s; remove it from "
            "preprocessor_config.json or preprocess with that processor yourself"
        )
    if getattr(processor, "do_resize", True):
        if (crop_pct is not None or kind.startswith("ConvNext")) and not (
            isinstance(crop_pct, int | float) and 0 < crop_pct <= 1
        ):
            raise PluginError(
                f"target '{NAME}': the image processor's crop_pct must be a number in (0, 1] "
                f"(224 / 256 = 0.875 for most); got {crop_pct!r}"
            )
        if kind.startswith("ConvNext"):
            edge = _shortest_edge(size)
            if edge < CONVNEXT_WARP_EDGE:
                steps += [("short edge", (int(edge / crop_pct),)), ("crop", (edge, edge))]
            else:
                steps.append(("size", (edge, edge)))
        elif crop_pct is not None:  # PoolFormer: every side over crop_pct, aspect kept
            height, width = _side_pair(size)
            if height == width:
                steps.append(("short edge", (int(height / crop_pct),)))
            else:
                steps.append(("size", (int(height / crop_pct), int(width / crop_pct))))
        elif size.get("height") and size.get("width"):
            steps.append(("size", (size["height"], size["width"])))
        else:
            steps.append(("short edge", (_shortest_edge(size),)))
    crop = getattr(processor, "crop_size", None)
    if getattr(processor, "do_center_crop", False) and crop:
        steps.append(("crop", _side_pair(crop)))
    return steps


def _input_size(resizing: Sequence[Step]) -> tuple[int, int] | None:
    """(height, width) the model is fed, the last step's (a short edge alone: square images');
    None when the processor neither resizes (``do_resize: false``) nor crops: the images' own."""
    if not resizing:
        return None
    step, value = resizing[-1]
    return (value[0], value[0]) if step == "short edge" else (value[0], value[1])


def _shortest_edge(size: Any) -> int:
    """A processor's ``shortest_edge``; any other size (with a ``longest_edge`` cap, a maximum
    height and width) is refused: its output size would vary with the image's shape."""
    keys = {key for key, value in dict(size).items() if value}
    if keys != {"shortest_edge"}:
        raise PluginError(
            f"target '{NAME}': cannot follow the image processor's size {dict(size)!r}; "
            "expected a height and width or a shortest_edge alone"
        )
    return int(size["shortest_edge"])


def _side_pair(size: Any) -> tuple[int, int]:
    """(height, width) from an image processor's size: an int, height/width or shortest_edge."""
    if isinstance(size, int):
        return size, size
    height, width = size.get("height"), size.get("width")
    if height and width:
        return height, width
    edge = _shortest_edge(size)
    return edge, edge


def _center_crop(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The center (height, width) as image processors cut it: an odd margin leaves its extra
    pixel below and right (``int(margin / 2)`` above), where torchvision's ``center_crop`` rounds
    it up; a smaller image is padded with zeros first, as both do."""
    pad_x, pad_y = max(width - images.shape[-1], 0), max(height - images.shape[-2], 0)
    if pad_x or pad_y:
        images = F.pad(images, [pad_x // 2, pad_y // 2, (pad_x + 1) // 2, (pad_y + 1) // 2])
    top = int((images.shape[-2] - height) / 2)
    left = int((images.shape[-1] - width) / 2)
    return images[..., top : top + height, left : left + width]


def _lanczos_tensors() -> bool:
    """Whether torchvision resizes tensors with Lanczos (0.27 on; transformers then does too)."""
    import torchvision

    return tuple(int(p) for p in torchvision.__version__.split(".")[:2]) >= (0, 27)


def _interpolation(resample: Any) -> F.InterpolationMode:
    """The processor's resampling (a PIL filter number) as a tensor resize does it: bicubic
    (DeiT, BEiT, ConvNeXt, Swin), Lanczos (Chameleon), nearest, else bilinear."""
    modes = {
        PIL_NEAREST: F.InterpolationMode.NEAREST_EXACT,
        PIL_LANCZOS: F.InterpolationMode.LANCZOS,
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
    network = None
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
        if local and network is not None:  # transformers' line blamed the directory's name
            raise PluginError(
                f"target '{NAME}': model {model!r} has no preprocessor_config.json (its image "
                "processor); save it into the directory: processor.save_pretrained(DIR)"
            ) from exc
        if not local and only_local:  # runs never download by surprise: say how to fetch it
            where = (
                f"hub id, not in the Hugging Face cache: fetch it once with `hf download {model}`,"
                " or give a local directory; local_files_only: false downloads it at run time"
            )
        raise PluginError(
            f"target '{NAME}': model {model!r}: cannot load it ({where}){loading_detail(exc)}"
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
