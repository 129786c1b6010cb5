"""The plugin contract: the base classes a target, concept, reward or dataset plugin subclasses.

Core code only talks to these interfaces, so a task (images, text, prompts) is added by publishing a
package with entry points, never by editing core. docs/plugins.md explains them with an example.
A plugin's name is its entry point's alone: the registry sets ``plugin_name`` on each instance.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch

from ffade.batch import batch_size_of, checked_rows, concat, move, stack, take
from ffade.blame import blamed
from ffade.devices import usable_device
from ffade.errors import ConceptValueError, ScoresError, as_written, clipped
from ffade.plugin_data import SPLITS as SPLITS  # plugins import these from here (docs/plugins.md)
from ffade.plugin_data import disjoint_split_indices as disjoint_split_indices
from ffade.plugin_data import missing_file as missing_file
from ffade.plugin_data import read_text_lines as read_text_lines
from ffade.plugin_names import default_name
from ffade.signatures import check_signature
from ffade.value_range import expand_range, grid_entry_named, is_range
from ffade.weights import load_weights as load_weights  # plugins import it from here
from ffade.written import a_type


class Concept(ABC):
    """A named change to inputs with a declared grid of values.

    Subclasses set ``neutral`` (the value that changes nothing) and implement :meth:`apply`, which
    changes a whole batch at once on the batch's device, and may narrow :meth:`check_value`.
    Numeric concepts have numbers as values; discrete concepts (text edits, prompt words) have
    strings, and their grid order is the order the user gave.

    Args:
        values: the grid the explorer may choose from, in order; each value is checked. A
            mapping ``{start, stop, num}`` is ``num`` evenly spaced numbers from ``start`` to
            ``stop`` (:mod:`ffade.value_range`): a long grid without a long list in the config.
        label: the name this concept goes by in records and reports; the registry passes the
            plugin name. Default: the name its class is installed under (``GaussianBlur()`` is
            ``gaussian_blur``, as in a config), else the class name in snake case.
    """

    plugin_name: str = ""
    """The entry-point name it was created under; :func:`ffade.registry.create` sets it."""
    neutral: ClassVar[Any] = 0.0
    default_values: ClassVar[Sequence[Any]] = ()
    keeps_meaning: ClassVar[bool] = True
    """Whether the changed input still means what the original did, so the original's reference
    (label, summary) still holds. False for an edit like negation: a summary that follows the
    new meaning is right, not a failure, so reports set such failures apart (docs/report.md)."""

    def __init__(self, values: Sequence[Any] | None = None, label: str | None = None) -> None:
        self.label = label or default_name("ffade.concepts", type(self))
        if values is None and not self.default_values:
            raise ConceptValueError(
                f"concept '{self.label}' has no default grid (default_values); give its grid "
                "as values: [...]"
            )
        values = self.default_values if values is None else values
        ranged = is_range(values)
        if ranged:  # {start, stop, num}: a long grid in three numbers
            values = expand_range(self.label, values)
        if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
            raise ConceptValueError(
                f"concept '{self.label}': values must be a list, got {as_written(values)}"
            )
        values = [v.item() if hasattr(v, "item") else v for v in values]
        check_signature(self, "concept", self.label, "check_value", "value")  # called just below
        if not values:
            raise ConceptValueError(f"concept '{self.label}': values must list at least one value")
        for index, value in enumerate(values):
            try:
                try:
                    self.check_value(value)  # the concept's own words for what it allows first
                except TypeError:  # `value not in {...}` cannot hash a list or dict: said below
                    if isinstance(value, Hashable):
                        raise
                if not isinstance(value, Hashable):  # a list or dict its check let through
                    raise ConceptValueError(
                        f"concept '{self.label}': value {as_written(value)} is not allowed; a "
                        f"grid value is one number or word, not {a_type(value)}"
                    )
            except ConceptValueError as error:
                grid_entry_named(error, self.label, index, ranged)  # names where it sits
                raise
        if len({v if isinstance(v, (int, float)) else repr(v) for v in values}) != len(values):
            raise ConceptValueError(f"concept '{self.label}': values repeat: {as_written(values)}")
        self.values: list[Any] = values

    @property
    def is_numeric(self) -> bool:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.values)

    def check_value(self, value: Any) -> None:
        """Raise :class:`ConceptValueError` naming the value and what is allowed.

        The default accepts any finite number; subclasses narrow it (a range, a set of operators).
        """
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            hint, own = "", type(self).check_value is not Concept.check_value
            if isinstance(self.neutral, str):  # words: the base's check is the wrong one
                hint = f"; {type(self).__name__} takes words: " + (
                    "its check_value must not call super().check_value"
                    if own
                    else "define its check_value"
                )
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; expected a "
                f"finite number{hint}"
            )

    def coordinates(self) -> np.ndarray:
        """Each grid value's position in [0, 1], the ground metric for distances and the network.

        Numeric grids are placed by value, so unevenly spaced grids keep their geometry;
        discrete grids are placed evenly in the order given.
        """
        n = len(self.values)
        if n == 1:
            return np.zeros(1)
        if self.is_numeric:
            v = np.asarray(self.values, dtype=float)
            span = v.max() - v.min()
            return (v - v.min()) / span if span > 0 else np.zeros(n)
        return np.linspace(0.0, 1.0, n)

    def neutral_index(self) -> int:
        """The grid index that changes the input least: the neutral value, else the closest one."""
        if self.neutral in self.values:
            return self.values.index(self.neutral)
        if self.is_numeric and isinstance(self.neutral, (int, float)):
            return int(np.argmin([abs(v - self.neutral) for v in self.values]))
        return 0

    def check_inputs(self, inputs: Sequence[Any]) -> list[str]:
        """Optional: check the grid against the run's inputs (as the dataset gave them), once,
        before any evaluation. Raise for a grid that cannot work on them (an edit no input has
        a site for); return notes, one line each, for one that works but not as it reads (more
        edits than any input has room for): the run prints them and goes on.
        """
        return []

    @abstractmethod
    def apply(self, inputs: Any, value: Any) -> Any:
        """Return ``inputs`` changed by ``value``; one value for the whole batch."""

    def apply_each(self, inputs: Any, values: Sequence[Any]) -> Any:
        """Return ``inputs`` with row ``i`` changed by ``values[i]``.

        An explorer's step holds many concept states, so one batch needs many values. This
        default calls :meth:`apply` once per distinct value on that value's rows, and leaves rows
        at :attr:`neutral` as they are (``apply`` never sees the neutral value). A concept whose
        kernel can take a value per row (a brightness factor or a rotation matrix per image)
        overrides it to change the whole batch in one call: with many values per batch, the
        per-call overhead of small kernels costs more than the work itself.
        """
        groups: dict[Any, list[int]] = {}
        for row, value in enumerate(values):
            groups.setdefault(value, []).append(row)
        order = [row for rows in groups.values() for row in rows]
        pieces = []
        for value, rows in groups.items():
            part = take(inputs, rows)
            if value != self.neutral:
                call = f"concept '{self.label}': apply(inputs, {value!r})"
                with blamed(call):  # a search's batch: which value the plugin's apply raised on
                    changed = self.apply(part, value)
                part = checked_rows(changed, len(rows), call, like=part)
            pieces.append(part)
        changed = concat(pieces)
        if order == list(range(len(order))):  # rows arrived grouped by value: already in order
            return changed
        return take(changed, np.argsort(order))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r}, values={self.values!r})"


class Target(ABC):
    """A model under test: loads, moves to a device, and runs batches without gradients.

    Args:
        device: where the model and the inputs it receives live ("cpu", "cuda", "cuda:1").
    """

    plugin_name: str = ""
    """The entry-point name it was created under; :func:`ffade.registry.create` sets it."""
    modality: ClassVar[str] = "generic"
    output_kind: str | None = None
    """What :meth:`predict` returns, so a reward can refuse outputs it cannot score when the task
    is built (:meth:`Reward.check_target`), not at the first evaluation. ffade's plugins declare
    "class_scores" (B, num_classes), "texts" (one string per input) and "images" (a text-to-image
    dict); None (the default) declares nothing, and no reward refuses the target for it."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = usable_device(
            device, f"target '{self.plugin_name}'" if self.plugin_name else ""
        )

    @abstractmethod
    def predict(self, inputs: Any) -> Any:
        """Run the model on a batch already on :attr:`device` and return its outputs."""

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Concept]) -> list[str] | None:
        """Optional: refuse the run's inputs and concepts if it could not run them (a prompt the
        concepts make too long), once, before any evaluation, not hours into the search; return
        notes, one line each, for what runs but not as it reads (texts cut to the tokens the
        model reads), printed as ``ffade: note:`` lines before the search."""
        return None

    def check_references(self, references: Sequence[Any]) -> None:
        """Optional: refuse the run's references (as the dataset gave them) if the target could
        not be judged against them (a class index past the classes it scores), once, before any
        evaluation; the target still never sees references while it predicts."""
        return None

    def features(self, inputs: Any) -> torch.Tensor:
        """A fixed-size vector per input that the explorer may observe (e.g. an embedding).

        It must not reveal whether the model fails; the default is no features at all.
        """
        return torch.zeros(batch_size_of(inputs), 0)

    def to_device(self, inputs: Any) -> Any:
        """Move a collated batch to :attr:`device` (tensors, and dicts or lists of them)."""
        return move(inputs, self.device)

    def render(self, inputs: Any) -> torch.Tensor | None:
        """Images (B, 3, H, W) in [0, 1] showing inputs as a person sees them (reports and
        TensorBoard show the worst failures with them); None if not images."""
        return None

    def describe_outputs(self, outputs: Any) -> list[str] | None:
        """A short caption per output (e.g. "predicted 7 (p=0.93)"); None to show none."""
        return None

    def describe_references(self, references: Sequence[Any]) -> list[str] | None:
        """A short text per reference (a class index's name, as captions name predictions)."""
        return None

    def describe_inputs(self, inputs: Any) -> list[str] | None:
        """A short text per input as the target saw it (an edited article), shown for the worst
        failures of a target that :meth:`render` draws no pictures of; None for none."""
        return None


@runtime_checkable
class TrainableTarget(Protocol):
    """Optional: what a target offers so that fine-tuners can fix the failures found on it.

    A :class:`Target` that also has these members can be trained by ffade's fine-tuners (e.g.
    :class:`ffade.mitigate.ClassifierFineTuner`); targets without them are still explored and
    reported as usual. Nothing needs to subclass this: having the members is enough.

    - ``model``: the ``torch.nn.Module`` whose parameters are trained (and saved).
    - ``preprocess(inputs)``: the differentiable path from a batch of (concept-changed) inputs to
      ``model``'s input, so ``model(preprocess(inputs))`` gives outputs with gradients
      (``predict`` runs without them).
    - ``head`` (optional): the module to train when fine-tuning only the head (default: the last
      ``torch.nn.Linear`` of ``model``).
    - ``cpu_threads`` (optional): torch CPU threads for the model (None: torch's default);
      fine-tuners train on that many, as ``predict`` runs, and restore the count after.
    - The constructor accepts ``weights``: a path to a ``torch.save(model.state_dict())`` file,
      read with :func:`load_weights`, so a fixed model is used by naming it there.
    """

    model: torch.nn.Module

    def preprocess(self, inputs: Any) -> Any: ...


@dataclass
class Scores:
    """What a reward says of each input of a batch: a metric, a failure decision, an RL reward."""

    metric: torch.Tensor
    failed: torch.Tensor
    reward: torch.Tensor

    def __post_init__(self) -> None:
        self.metric = _one_per_input("metric", self.metric, torch.float32)
        self.failed = _one_per_input("failed", self.failed, torch.bool)
        self.reward = _one_per_input("reward", self.reward, torch.float32)
        if len({len(self.metric), len(self.failed), len(self.reward)}) > 1:  # one per input
            raise ScoresError(
                "Scores: metric, failed and reward need one entry per input each; got "
                f"{len(self.metric)}, {len(self.failed)} and {len(self.reward)}"
            )

    def judged_failed(self) -> torch.Tensor:
        """``failed``, with a NaN metric counted as failed, as a judge of a model counts it
        (:meth:`ffade.evaluator.Outcome.judged_failed`, for a batch the evaluator scored)."""
        return self.failed | torch.isnan(self.metric)


def _one_per_input(field: str, value: Any, dtype: torch.dtype) -> torch.Tensor:
    """``value`` as a 1-D CPU tensor; refused: a (batch, k) table, a ``failed`` not 0 or 1."""
    try:
        tensor = torch.as_tensor(value).detach().cpu()
    except (TypeError, ValueError, RuntimeError):  # texts, ragged lists, objects
        want = "True or False" if dtype == torch.bool else "a number"
        raise ScoresError(f"Scores: {field} is {clipped(value)}; give {want} per input") from None
    if tensor.dim() > 1 and tensor.numel() != tensor.shape[0]:
        raise ScoresError(f"Scores: {field} has shape {tuple(tensor.shape)}; give one per input")
    if dtype == torch.bool and tensor.dtype != torch.bool and ((tensor != 0) & (tensor != 1)).any():
        bad = tensor[(tensor != 0) & (tensor != 1)][0].item()
        shown = f"{bad:g}"  # short, but never "1" for 0.99999994, which is no 1
        shown = repr(bad) if shown in ("0", "-0", "1") else shown
        raise ScoresError(f"Scores: failed holds {shown}; give True or False per input")
    return tensor.to(dtype).reshape(-1)


class Reward(ABC):
    """Turns outputs (and references) into a per-input metric, failure decision and reward.

    Set ``needs_clean_outputs`` when the judgement compares against the model's own output on the
    unchanged input (an accuracy or BLEU *drop*); the environment then passes them, computed once.
    """

    plugin_name: str = ""
    """The entry-point name it was created under; :func:`ffade.registry.create` sets it."""
    needs_clean_outputs: ClassVar[bool] = False
    output_kinds: ClassVar[tuple[str, ...] | None] = None
    """The targets' :attr:`Target.output_kind` values this reward scores ("class_scores",
    "texts", "images"). Declared, a target of another kind is refused when the task is built,
    and the line names the installed rewards that declare that kind; None (the default): any."""

    def check_target(self, target: Target) -> None:
        """Optional: refuse a target whose outputs this reward cannot score beyond what
        :attr:`output_kinds` says, once, when the task is built (after that check), before any
        data is read or evaluation runs (a refused run leaves no run directory)."""
        return None

    def check_task(self, inputs: Sequence[Any], concepts: Sequence[Concept]) -> list[str] | None:
        """Optional, as :meth:`Target.check_task`: once the task is built, see the unchanged
        inputs and the concepts, before any evaluation; refuse what the reward cannot judge, or
        return notes, one line each, of what it holds for no input (the human reward's prepared
        ratings of prompts the grid never makes), printed as ``ffade: note:`` lines."""
        return None

    @abstractmethod
    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        """Score one batch: ``outputs[i]`` is the model's answer for input ``i``."""

    def describe_outputs(self, outputs: Any, references: Any) -> list[str] | None:
        """A short caption per output saying what this reward judged it to be (a text-to-image
        judge's "drew 6 (digits_cnn: p=0.93) ..."), which the worst failures are then captioned
        with instead of the target's :meth:`Target.describe_outputs`: a generator's own words
        can only repeat what it was asked to draw. None (the default): the target's words."""
        return None


class Dataset(ABC):
    """Inputs with their references, in three disjoint seeded splits (see :data:`SPLITS`).

    Args:
        seed: fixes the split, so discovery, fine-tuning and held-out inputs never overlap.
    """

    plugin_name: str = ""
    """The entry-point name it was created under; :func:`ffade.registry.create` sets it."""

    notes: tuple[str, ...] = ()
    """Lines a run prints as ``ffade: note:`` before its search: a dataset that loads but may not
    mean what the user thinks (labels that may not match the model's) says so here."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    @abstractmethod
    def split(self, name: str) -> Sequence[tuple[Any, Any]]:
        """The (input, reference) pairs of one split."""

    def collate(self, items: Sequence[tuple[Any, Any]]) -> tuple[Any, Any]:
        """Stack a list of (input, reference) pairs into one batch of inputs and of references."""
        inputs, references = zip(*items, strict=True)
        who = f"dataset '{self.plugin_name or type(self).__name__}': collate()"
        return stack(list(inputs), who), stack(list(references), who)
