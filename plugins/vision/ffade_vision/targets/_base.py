"""What image classifier targets share: preprocessing, logits and embeddings.

Inputs arrive as float images in [0, 1] (already changed by concepts); the target adapts them to
its model here (channels, size, normalization), so concepts never need to know the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from ffade.errors import PluginError, as_written
from ffade.plugin_api import Target
from ffade.plugin_checks import check_class_references
from ffade.shown_numbers import share
from ffade.speed import FastForward
from ffade_vision._lazy import F
from ffade_vision.targets._range import warn_outside_unit_range

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def check_weights_name(weights: Any, keyword: str, plugin: str) -> None:
    """A ``weights`` that is neither the target's keyword, a path, nor null is a misspelling.

    Without this, ``weights: imagenet21k`` read as a missing file, which hides what is allowed.
    """
    if weights is None or weights == keyword or isinstance(weights, Path):
        return
    if isinstance(weights, str) and (
        Path(weights).suffix or "/" in weights or Path(weights).exists()
    ):
        return  # a path: load_weights says whether it is there
    raise PluginError(
        f"target '{plugin}': weights {as_written(weights)} is not allowed; expected "
        f"{keyword!r}, a local "
        "state-dict file (.pt, .pth, .safetensors), or null for random weights"
    )


class ImageClassifier(Target):
    """A classifier over images: ``predict`` gives logits, ``features`` its head's input.

    Fine-tuners train ``model`` on ``preprocess(images)``; that pair is the differentiable path,
    while ``predict`` and ``features`` run without gradients.

    Args:
        model: the network; it is moved to ``device`` and put in eval mode, here and again
            before each batch ``predict`` or ``features`` runs.
        mean: per-channel normalization mean, as the model was trained with.
        std: per-channel normalization standard deviation.
        input_size: (height, width) the model is fed; other sizes are resized (None: any size).
        in_channels: channels the model expects (1 or 3); gray and RGB inputs are converted.
        device: where the model and its inputs live.
        precision: "32", or "bf16" to run the forward pass under bfloat16 autocast.
        channels_last: run convolutions on NHWC tensors (faster on GPUs and recent CPUs).
        compile: ``torch.compile`` the forward pass (slow first batch, faster after).
        cpu_threads: torch CPU threads while the model runs (None: torch's default); see
            :class:`ffade.speed.FastForward`.
        num_classes: the classes the model scores (its logits' width); default the last
            Linear layer's outputs, else unknown (references are then not checked up front).

    The last four are every image target's speed options (:class:`ffade.speed.FastForward`;
    measured effects in docs/discovery.md). They apply to ``predict`` and ``features``; fine-tuning
    trains ``model`` as it is, on ``cpu_threads`` threads too (the same cores are as busy).
    """

    modality: ClassVar[str] = "image"
    output_kind = "class_scores"
    classes_fix: ClassVar[str] = "choose a target that scores every class of the dataset"
    size_fix: ClassVar[str] = "; give the dataset an image size the model takes"
    """Ends the one-line error for images the model cannot take unresized (``input_size`` None)."""
    """What to change when the dataset has a class the model does not score (one-line errors)."""
    interpolation: Any = "bilinear"
    """How images of another size are resized to ``input_size``, a torchvision
    ``InterpolationMode`` or its value ("bicubic"): pretrained weights set their own
    (torchvision's EfficientNets, Swin and SWAG ViTs were trained on bicubic resizes)."""
    crop_to_fit: bool = False
    """An image of another shape than the square ``input_size`` (a 4:3 photo) is resized on its
    short edge, keeping its aspect, and center-cropped, as torchvision's weights' transforms do;
    False: stretched to ``input_size``, as Hugging Face processors with a height and width (ViT)
    do. Images of ``input_size``'s aspect are resized alike either way."""
    pad_to_fit: bool = False
    """An image of another shape than ``input_size`` is resized whole, keeping its aspect, to fit
    inside it, and padded with black (0) around its center, as MNIST-style digits are laid out
    (the whole digit, a black border); False: cropped or stretched as above."""
    resize_size: int | None = None
    """The short edge every image is resized to before its center ``input_size`` is cropped
    (torchvision's weights' ``resize_size``, 256 for most); None: only images of another size
    are resized, to ``input_size``."""

    def __init__(
        self,
        model: nn.Module,
        mean: Sequence[float],
        std: Sequence[float],
        input_size: tuple[int, int] | None,
        in_channels: int,
        device: str = "cpu",
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        cpu_threads: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        super().__init__(device)
        self.model = model.to(self.device).eval()
        name = self.plugin_name or type(self).__name__
        self.fast_forward = FastForward(
            self.model, self.device, precision, channels_last, compile, name, cpu_threads
        )
        self.cpu_threads = cpu_threads  # fine-tuners train on these threads (TrainableTarget)
        self.mean, self.std = list(mean), list(std)
        self.input_size = input_size
        self.in_channels = in_channels
        self.head = _head(model)
        linear = isinstance(self.head, nn.Linear)
        self.num_classes = num_classes or (self.head.out_features if linear else None)

    def preprocess(self, inputs: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) in [0, 1] -> the model's input: channels, size, normalization."""
        channels = inputs.shape[-3]
        if channels == 1 and self.in_channels == 3:
            inputs = inputs.expand(*inputs.shape[:-3], 3, *inputs.shape[-2:])
        elif channels == 3 and self.in_channels == 1:
            inputs = _gray(inputs)
        elif channels != self.in_channels:
            name = self.plugin_name or type(self).__name__
            raise PluginError(
                f"target '{name}': got images with {channels} channels; the model "
                f"takes {self.in_channels} (1 or 3 are converted)"
            )
        if self.input_size is not None:
            inputs = self._sized(inputs, self.input_size)
        return F.normalize(inputs, self.mean, self.std)

    def _sized(self, inputs: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Images resized (and, with ``resize_size`` or ``crop_to_fit``, center-cropped) to
        ``size``; images of that size already pass unchanged unless ``resize_size`` is set."""
        height, width = inputs.shape[-2:]
        short = self.resize_size
        if short is None:
            if (height, width) == size:
                return inputs
            fits = self.crop_to_fit or self.pad_to_fit
            if not fits or height * size[1] == width * size[0]:
                return self._resized(inputs, list(size))
            if self.pad_to_fit:
                return self._padded(inputs, size)
            short = min(size)  # a square size: the short edge to it, then its center
        if min(height, width) != short:
            inputs = self._resized(inputs, [short])
        return F.center_crop(inputs, list(size))

    def _resized(self, inputs: torch.Tensor, size: list[int]) -> torch.Tensor:
        """``F.resize`` with this target's ``interpolation`` (a mode or its value), antialiased."""
        mode = F.InterpolationMode(self.interpolation)
        return F.resize(inputs, size, interpolation=mode, antialias=True)

    def _padded(self, inputs: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """The whole image resized to fit ``size``, aspect kept, centered on black (0)."""
        height, width = inputs.shape[-2:]
        scale = min(size[0] / height, size[1] / width)
        inner = [max(1, round(height * scale)), max(1, round(width * scale))]
        if inner != [height, width]:
            inputs = self._resized(inputs, inner)
        top, left = (size[0] - inner[0]) // 2, (size[1] - inner[1]) // 2
        return F.pad(inputs, [left, top, size[1] - inner[1] - left, size[0] - inner[0] - top])

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Any]) -> None:
        """Refuse, when the task is built, inputs that are not images (a text dataset's): they
        would fail at the first evaluation inside preprocessing, as an AttributeError; warn of
        a concept that takes images outside [0, 1] (:mod:`ffade_vision.targets._range`)."""
        odd = next((x for x in inputs if not (torch.is_tensor(x) and x.dim() == 3)), None)
        if odd is not None:
            kind = f"tensors of shape {tuple(odd.shape)}" if torch.is_tensor(odd) else type(odd)
            raise PluginError(
                f"target '{self.plugin_name or type(self).__name__}' classifies images (float "
                f"tensors C x H x W), but the task's inputs are {getattr(kind, '__name__', kind)}:"
                " choose an image dataset (digits, image_folder, sample_photos) or a target that "
                "takes these inputs"
            )
        warn_outside_unit_range(self.plugin_name or type(self).__name__, inputs, concepts)
        if self.input_size is None and inputs:
            self._check_takes(inputs[0])

    def _check_takes(self, image: torch.Tensor) -> None:
        """Refuse images the model cannot take as they are (nothing resizes them): a ViT or an
        AlexNet with random weights on 28 x 28 digits raised a traceback after the run
        directory was made. One image is tried, up front."""
        try:
            self.predict(image.unsqueeze(0).to(self.device))
        except (ValueError, RuntimeError, AssertionError) as exc:
            height, width = image.shape[-2:]
            raise PluginError(
                f"target '{self.plugin_name or type(self).__name__}': the model cannot take the "
                f"dataset's {height} x {width} images as they are{self.size_fix} "
                f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__})"
            ) from exc

    def check_references(self, references: Sequence[Any]) -> None:
        """Refuse, when the task is built, a class index past the model's outputs (a 10-class
        model on a dataset with class 12), or references that are no class indices: the reward
        refused them only at the first evaluation, after the run had started."""
        if self.num_classes is not None:
            name = self.plugin_name or type(self).__name__
            check_class_references(references, self.num_classes, name, self.classes_fix)

    def _in_eval_mode(self) -> None:
        """Put ``model`` in eval mode before it runs, as :class:`ffade.CallableTarget` does: a
        caller may train the target's model between two searches (``target.model.train()``),
        and a search in train mode drew other dropout masks each run and moved batch-norm
        statistics, the model's own state. Fine-tuners call ``predict`` only with the model in
        eval mode already, so this changes nothing of their training."""
        if any(module.training for module in self.model.modules()):
            self.model.eval()

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        """Logits (B, num_classes) for a batch of images already on :attr:`device`."""
        self._in_eval_mode()
        with torch.inference_mode():
            return self.fast_forward(self.preprocess(inputs)).float()

    def render(self, inputs: torch.Tensor) -> torch.Tensor:
        """The images themselves, gray ones as RGB, for example grids."""
        if inputs.shape[-3] == 1:
            inputs = inputs.expand(*inputs.shape[:-3], 3, *inputs.shape[-2:])
        return inputs.clamp(0, 1)

    def describe_outputs(self, outputs: torch.Tensor) -> list[str]:
        """ "predicted <class> (p=<probability>)" per image, with category names when known."""
        probabilities = outputs.softmax(-1)
        confidence, predicted = probabilities.max(-1)
        names = getattr(self, "categories", None)
        return [
            f"predicted {names[i] if names and i < len(names) else i} (p={share(p)})"
            for i, p in zip(predicted.tolist(), confidence.tolist(), strict=True)
        ]

    def describe_references(self, references: Sequence[Any]) -> list[str] | None:
        """Each label's category name, when known (a caption then reads "should be goldfish");
        a reference that is a set of right labels (``sample_photos``) names each, joined by
        "or", rather than showing class indices the reader cannot look up."""
        names = getattr(self, "categories", None)
        if not names:
            return None
        described = [_label_names(reference, names) for reference in references]
        return None if None in described else described  # not class indices: shown as they are

    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        """The input of the classifier head (B, d): what the image looks like to the model.

        It carries no label, so the explorer cannot read correctness off it. Spatial maps (heads
        that are convolutions) are averaged over positions.
        """
        self._in_eval_mode()
        captured: list[torch.Tensor] = []
        handle = self.head.register_forward_pre_hook(lambda _, args: captured.append(args[0]))
        try:
            with torch.inference_mode():
                self.fast_forward(self.preprocess(inputs), compiled=False)  # hooks: the plain model
        finally:
            handle.remove()
        embedding = captured[-1]
        if embedding.dim() > 2:
            embedding = embedding.flatten(2).mean(-1)
        return embedding.flatten(1).float()


def _gray(images: torch.Tensor) -> torch.Tensor:
    """RGB images (..., 3, H, W) as gray (..., 1, H, W): torchvision's luma, except that a
    pixel whose three channels are equal keeps its value. torchvision's weights sum to 0.9999,
    so the digits with ``channels: 3`` came to a gray model 1e-4 darker than with ``channels: 1``
    (logits 1e-3 apart); pixel by pixel, so an image gives the same alone or in any batch."""
    red, green, blue = images[..., 0:1, :, :], images[..., 1:2, :, :], images[..., 2:3, :, :]
    return torch.where((red == green) & (green == blue), red, F.rgb_to_grayscale(images))


def _head(model: nn.Module) -> nn.Module:
    """The module that turns the embedding into logits: the last Linear, else the last child."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if linears:
        return linears[-1]
    children = list(model.children())
    return children[-1] if children else model


def _label_names(reference: Any, names: Sequence[str]) -> str | None:
    """The category name of a class index, or of each index in a set of right ones; None when
    the reference is not class indices."""
    if isinstance(reference, torch.Tensor):
        reference = reference.tolist()
    labels = list(reference) if isinstance(reference, (list, tuple, set)) else [reference]
    try:
        indices = [int(label) for label in labels]
    except (TypeError, ValueError):
        return None
    if not indices:
        return None
    return " or ".join(names[i] if 0 <= i < len(names) else str(i) for i in indices)
