"""The ``callable`` target: any plain function (or ``torch.nn.Module``) as the model under test.

It lets a user search their own model without writing a Target class: ffade hands the function
each batch as the dataset collates it (concept-changed, on the target's device) and reads back
labels or scores. It knows no modality, so it lives in core; the dataset, concepts and reward it
is combined with decide what the inputs are.

From Python::

    ffade.discover(target=CallableTarget(predict=my_predict, num_classes=10), ...)

From a config, by import path::

    target: {name: callable, args: {predict: "my_module:predict", num_classes: 10}}
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ffade import registry
from ffade.batch import batch_size_of
from ffade.errors import PluginError, print_line
from ffade.plugin_api import Target, load_weights
from ffade.plugin_arguments import checked_call
from ffade.plugin_checks import check_class_references
from ffade.probability_scores import probability_note, probability_rows
from ffade.speed import FastForward
from ffade.written import a_type

MISMATCHES = (RuntimeError, TypeError, ValueError)
"""What torch's layers raise on a batch they cannot take: a shape or dtype (``nn.Linear``), a
dict for a tensor, a batch of other dimensions (``nn.BatchNorm1d``'s ``ValueError``)."""

LABEL_FLOOR = 1e-4
"""The probability a label output gives every other class: its scores are log-probabilities."""

_TORCH = Path(torch.__file__).parent
"""torch's own code: an error raised there by a module's first batch is a mismatch of the model
and the dataset's batches (a shape, a dtype), not a line of the user's own code."""


def resolve_function(
    value: Callable[..., Any] | str, argument: str, target: str = "callable"
) -> Callable[..., Any]:
    """A callable, or ``module:function`` imported; one-line errors name the argument and the
    ``target`` (the function's own name once ``predict`` is known)."""
    function = value
    if isinstance(value, str):
        if ":" not in value:
            raise PluginError(
                f"target '{target}': {argument} {value!r} is not a function; give one as "
                "'module:function'"
            )
        function = registry.import_attribute(f"target '{target}': {argument}", value)
    if not callable(function):
        raise PluginError(f"target '{target}': {argument} {value!r} is not callable")
    return function


def function_name(function: Callable[..., Any]) -> str:
    """A function's ``__qualname__`` (``Net.predict``, ``<lambda>``), or a module's class name."""
    return getattr(function, "__qualname__", None) or type(function).__qualname__


class CallableTarget(Target):
    """Wraps ``predict(batch) -> labels or scores`` (numpy or torch), with optional features.

    Outputs are turned into what rewards read: scores (B, num_classes), or one score per input
    (B,) of floats, are passed on as floats; labels (B,) of integers become one-hot
    log-probabilities (every other class gets ``LABEL_FLOOR``), which needs ``num_classes``.
    When ``predict`` is a ``torch.nn.Module``, the target is trainable too (``model`` is that
    module, ``preprocess`` hands it the batch), so ``ffade.mitigate`` can fine-tune it.

    Args:
        predict: the function, a ``torch.nn.Module``, or ``"module:function"``.
        features: optional ``features(batch) -> (B, d)``: what the explorer may observe of each
            input (e.g. an embedding); it must not reveal whether the model is right.
        num_classes: needed when ``predict`` returns labels.
        numpy: hand ``predict`` and ``features`` numpy arrays instead of torch tensors.
        weights: a state-dict file loaded into ``predict`` when it is a ``torch.nn.Module``
            (how a fix saved by ``ffade.mitigate`` is loaded).
        device: where the batch (and a module) are put.
        precision, channels_last, compile: speed options of ``predict`` ("32" or "bf16"
            autocast, NHWC convolutions, ``torch.compile``; see :class:`ffade.speed.FastForward`);
            they need torch inputs (``numpy: false``).
        cpu_threads: torch CPU threads while ``predict`` runs, and while fine-tuners train a
            ``torch.nn.Module`` ``predict`` (None: torch's default).
    """

    path_arguments = ("weights",)  # recorded absolute: a resume or export finds it from anywhere

    @checked_call  # CallableTarget(model, feature=...): one line naming what it takes
    def __init__(
        self,
        predict: Callable[[Any], Any] | str,
        features: Callable[[Any], Any] | str | None = None,
        num_classes: int | None = None,
        numpy: bool = False,
        weights: str | None = None,
        device: str = "cpu",
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        cpu_threads: int | None = None,
    ) -> None:
        super().__init__(device)
        self.function = resolve_function(predict, "predict")
        if features is not None:  # named as predict's errors name it: 'my_predict', not 'callable'
            features = resolve_function(features, "features", self.error_name)
        self.feature_function = features
        whole = isinstance(num_classes, numbers.Integral) and not isinstance(num_classes, bool)
        if num_classes is not None and not (whole and num_classes >= 2):  # "10" was a TypeError
            raise PluginError(
                f"target '{self.error_name}': num_classes must be a whole number from 2, got "
                f"{num_classes!r}"
            )
        self.num_classes = num_classes
        if not isinstance(numpy, bool):  # numpy="no" read as on, as channels_last="no" is not
            raise PluginError(
                f"target '{self.error_name}': numpy must be true or false, got {numpy!r}"
            )
        self.numpy = numpy
        for argument, function in (("predict", self.function), ("features", features)):
            _refuse_meta(function, argument, self.error_name)
        self.took_a_batch: set[str] = set()  # methods whose errors are no longer a mismatch
        self.said_probabilities = False  # the note on scores that read as probabilities
        if isinstance(self.function, torch.nn.Module):
            self.model = self.function.to(self.device).eval()
            if weights is not None:
                load_weights(self.model, weights, self.error_name)
        elif weights is not None:
            raise PluginError(
                f"target '{self.error_name}': weights needs predict to be a torch.nn.Module"
            )
        if numpy and (str(precision) != "32" or channels_last or compile):
            raise PluginError(
                f"target '{self.error_name}': precision, channels_last and compile need torch "
                "inputs; set numpy: false"
            )
        options = (precision, channels_last, compile)
        self.fast_forward = FastForward(
            self.function, self.device, *options, target=self.error_name, cpu_threads=cpu_threads
        )
        self.cpu_threads = cpu_threads  # fine-tuners train on these threads (TrainableTarget)

    @property
    def error_name(self) -> str:
        """What its errors call it: the name it was created or registered under (``callable``
        in a config), but a function or module passed to ``ffade.discover`` by its own name:
        the ``callable_target`` it is registered under there is no name the caller gave."""
        if self.plugin_name and not re.fullmatch(r"callable_target(_\d+)?", self.plugin_name):
            return self.plugin_name
        return function_name(self.function)

    def check_references(self, references: Sequence[Any]) -> None:
        """With ``num_classes`` known, refuse a class index outside 0 to ``num_classes - 1``
        before the search (the reward refused it at the first evaluation). References that are
        no class indices are left to the reward: the function may score them otherwise."""
        if self.num_classes is not None:
            fix = "pass num_classes the dataset's number of classes"
            check_class_references(references, self.num_classes, self.error_name, fix, strict=False)

    def _argument(self, inputs: Any) -> Any:
        if not self.numpy:
            return self._in_model_dtype(inputs)
        if isinstance(inputs, torch.Tensor):
            return inputs.detach().cpu().numpy()
        if isinstance(inputs, dict):
            return {k: self._argument(v) for k, v in inputs.items()}
        return inputs

    def preprocess(self, inputs: Any) -> Any:
        """The batch as the module takes it (in its float dtype): the fine-tuners' path."""
        return self._in_model_dtype(inputs)

    def _in_model_dtype(self, inputs: Any) -> Any:
        """Float tensors of the batch in the module's float dtype: the datasets collate float32,
        and a ``.double()`` or ``.half()`` module raised "mat1 and mat2 must have the same
        dtype" from inside its first layer. Anything else (a function, integer tokens) as it is."""
        model = getattr(self, "model", None)
        floats = model.parameters() if isinstance(model, torch.nn.Module) else ()
        dtype = next((p.dtype for p in floats if p.is_floating_point()), None)
        if dtype is None:
            return inputs
        if isinstance(inputs, torch.Tensor) and inputs.is_floating_point():
            return inputs.to(dtype)
        if isinstance(inputs, dict):
            return {k: self._in_model_dtype(v) for k, v in inputs.items()}
        return inputs

    def _in_eval_mode(self) -> None:
        """Put ``predict`` and ``features``, where they are modules, in eval mode before they
        run: the caller may have trained the model between two calls with the same wrapper
        (``model.train()``), and a search in train mode drew other dropout masks each run and
        moved batch-norm statistics, the model's own state. Fine-tuners call ``predict`` only
        with the module in eval mode already, so this changes nothing of their training."""
        for module in (self.function, self.feature_function):
            if isinstance(module, torch.nn.Module) and any(m.training for m in module.modules()):
                module.eval()

    def predict(self, inputs: Any) -> torch.Tensor:
        """Float scores: the function's own, or its labels as one-hot log-probabilities (B, C)."""
        self._in_eval_mode()
        outputs = self._called("predict", self.fast_forward, inputs)
        expected = batch_size_of(inputs)
        if isinstance(outputs, tuple) and _whole_batches(outputs, expected):
            # (logits, probabilities) on a batch of 1 stacked to 2 rows: "returned 2 outputs";
            # on a batch of 2, to (2, 2, C): "got (2, 2, C)"
            raise PluginError(
                f"target '{self.error_name}': predict returned a tuple of {len(outputs)} for a "
                f"batch of {expected} inputs; return one label or row of scores per input (one "
                "tensor, not a tuple of them)"
            )
        scores = self.scores(outputs)
        self.took_a_batch.add("predict")
        if len(scores) != expected:
            raise PluginError(
                f"target '{self.error_name}': predict returned {len(scores)} "
                f"output{'s' * (len(scores) != 1)} for a batch of {expected} inputs; return one "
                "label or row of scores per input"
            )
        return scores

    def _called(self, method: str, function: Callable[..., Any], inputs: Any) -> Any:
        """``function`` on a batch, without gradients; an error torch's own layers raise on the
        first batch ``method`` gets is one line (:meth:`_mismatch`)."""
        try:
            with torch.inference_mode():
                return function(self._argument(inputs))
        except MISMATCHES as error:
            if method in self.took_a_batch or not _raised_in_torch(error):
                raise  # the user's own code, or a batch after others ran: its traceback says where
            raise self._mismatch(method, error, inputs) from None

    def _mismatch(self, method: str, error: Exception, inputs: Any) -> PluginError:
        """The one line for an error torch's own layers raised on the first batch ``method`` got:
        a model built for other inputs is a mismatch of model and dataset, not a line of the
        user's code to find in 30 frames."""
        kind = "model (or a function)" if method == "predict" else "features function (or module)"
        return PluginError(
            f"target '{self.error_name}': {method} cannot take the dataset's batches "
            f"({_batch_text(self._argument(inputs))}): {str(error).splitlines()[0]}; "
            f"give a {kind} that takes them as the dataset collates them"
        )

    def scores(self, outputs: Any) -> torch.Tensor:
        """What ``predict`` returned as float scores, (B, C) or (B,), wherever it computed them."""
        expected = "labels (B,) of integers, or scores (B, num_classes) or (B,) of floats"
        if isinstance(outputs, Mapping):  # {"logits": ...}, a Hugging Face model's ModelOutput
            keys = ", ".join(repr(k) for k in list(outputs)[:5])
            raise PluginError(
                f"target '{self.error_name}': predict returned {a_type(outputs)} (keys "
                f"{keys}); return {expected}: pick one, e.g. "
                f"predict=lambda batch: model(batch)[{next(iter(outputs), 'logits')!r}]"
            )
        try:
            tensor = torch.as_tensor(np.asarray(outputs) if isinstance(outputs, list) else outputs)
        except (TypeError, ValueError, RuntimeError):  # strings, ragged lists, objects
            raise PluginError(
                f"target '{self.error_name}': predict must return {expected}; got "
                f"{type(outputs).__name__} {str(outputs)[:60]}"
            ) from None
        if tensor.dim() in (1, 2) and tensor.is_floating_point():
            if not self.said_probabilities and probability_rows(tensor):
                self.said_probabilities = True
                print_line(probability_note(self.error_name, "(torch.log(p), np.log(p))"))
            return tensor.float()
        if tensor.dim() == 1 and not tensor.is_floating_point():
            if self.num_classes is None:
                raise PluginError(
                    f"target '{self.error_name}': predict returned labels (B,); pass num_classes "
                    "so they can be scored (ffade.CallableTarget(predict, num_classes=N), or "
                    "args num_classes in a config), or return scores (B, num_classes)"
                )
            outside = tensor[(tensor < 0) | (tensor >= self.num_classes)]
            if len(outside):
                raise PluginError(
                    f"target '{self.error_name}': predict returned label {outside[0].item()}, "
                    f"outside 0 to {self.num_classes - 1} (num_classes {self.num_classes})"
                )
            one_hot = torch.nn.functional.one_hot(tensor.long(), self.num_classes).float()
            return one_hot.clamp_min(LABEL_FLOOR).log()
        raise PluginError(
            f"target '{self.error_name}': predict must return {expected}; got "
            f"{tuple(tensor.shape)} of {tensor.dtype}"
        )

    def render(self, inputs: Any) -> torch.Tensor | None:
        """Image batches (B, 1 or 3, H, W) of floats as RGB in [0, 1], so that a run saves its
        worst failing examples as pictures (``run.examples``); None for any other input.
        """
        if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point():
            return None
        if inputs.dim() != 4 or inputs.shape[1] not in (1, 3):
            return None
        return inputs.float().expand(-1, 3, -1, -1).clamp(0, 1)

    def describe_inputs(self, inputs: Any) -> list[str] | None:
        """Text batches (a list of strings) as the texts themselves, shortened to 400
        characters, so that a text run saves its worst failing examples; None otherwise."""
        if not isinstance(inputs, (list, tuple)) or not all(isinstance(t, str) for t in inputs):
            return None
        return [t if len(t) <= 400 else t[:397] + "..." for t in inputs]

    def describe_outputs(self, outputs: Any) -> list[str] | None:
        """ "predicted <class>" per input when the scores are per class (B, C); a regression
        model's one value per input, (B,) or (B, 1), as that value ("predicted 1.52"), since the
        top class of one column is always 0; else none."""
        if not isinstance(outputs, torch.Tensor) or outputs.dim() not in (1, 2):
            return None
        if outputs.dim() == 1 or outputs.shape[1] == 1:
            return [f"predicted {value:.4g}" for value in outputs.reshape(-1).tolist()]
        return [f"predicted {label}" for label in outputs.argmax(-1).tolist()]

    def features(self, inputs: Any) -> torch.Tensor:
        """The ``features`` function's vectors (B, d), or none when it was not given."""
        if self.feature_function is None:
            return super().features(inputs)
        self._in_eval_mode()
        vectors = self._called("features", self.feature_function, inputs)
        self.took_a_batch.add("features")
        vectors = torch.as_tensor(vectors)
        # (B, ...) -> (B, d); a (B,) or scalar is left for the features check to refuse in a line
        return (vectors.flatten(1) if vectors.dim() >= 2 else vectors).float()


def _whole_batches(outputs: tuple, expected: int) -> bool:
    """Whether a tuple holds batches rather than one value per input: any tensor of one
    dimension or more (a tuple of tensors never made scores), or an array that cannot be one
    input's row (two dimensions or more, or in a tuple not one per input). Labels as numbers or
    0-d tensors, and ``tuple(scores)`` of a numpy array (one row per input), are values."""
    per_input = len(outputs) == expected
    return any(
        (isinstance(o, torch.Tensor) and o.ndim >= 1)
        or (isinstance(o, np.ndarray) and (o.ndim >= 2 or (o.ndim == 1 and not per_input)))
        for o in outputs
    )


def _refuse_meta(function: Any, argument: str, name: str) -> None:
    """A module whose weights are on the "meta" device (built under ``torch.device("meta")``,
    or loaded without its weights) has shapes and no values: moving it raised torch's
    "Cannot copy out of meta tensor" from deep inside ``Module.to``."""
    if not isinstance(function, torch.nn.Module):
        return
    tensors = [*function.parameters(), *function.buffers()]
    if any(t.is_meta for t in tensors):
        raise PluginError(
            f"target '{name}': {argument} is a module with weights on the 'meta' device (shapes, "
            "no values); load its weights first (model.to_empty(device='cpu'), then "
            "model.load_state_dict(...))"
        )


def _raised_in_torch(error: BaseException) -> bool:
    """Whether the innermost frame of ``error`` is torch's own Python code (``nn.Linear``'s
    forward on a batch of the wrong shape), not the user's."""
    frames = error.__traceback__
    last = None
    while frames is not None:
        last, frames = frames, frames.tb_next
    return last is not None and Path(last.tb_frame.f_code.co_filename).is_relative_to(_TORCH)


def _batch_text(batch: Any) -> str:
    """A batch as an error line describes it: ``float32 tensor of shape (2, 1, 28, 28)``."""
    if isinstance(batch, torch.Tensor):
        return f"{str(batch.dtype).removeprefix('torch.')} tensor of shape {tuple(batch.shape)}"
    if isinstance(batch, np.ndarray):
        return f"{batch.dtype} array of shape {batch.shape}"
    if isinstance(batch, Mapping):
        return "dict of " + ", ".join(f"{k!r}: {_batch_text(v)}" for k, v in batch.items())
    return f"{type(batch).__name__} of {len(batch)}" if isinstance(batch, Sequence) else "a batch"
