"""What ffade checks of what a plugin hands back, so that a slip in the contract is one line.

docs/plugins.md promises plugin authors one-line errors that name the plugin. Without these
checks, a reward that returns a tuple, scores one input short, a target whose features are 1-D
or a dataset whose split holds inputs without references would surface several calls later as an
``AttributeError``, ``IndexError`` or ``TypeError`` inside ffade, naming neither the plugin nor
the rule it broke.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ffade.batch import rows_in
from ffade.blame import blamed
from ffade.class_references import check_class_references  # noqa: F401  (its documented path)
from ffade.errors import PluginError, ScoresError, print_line
from ffade.numpy_rows import check_tensor_rows
from ffade.plugin_api import SPLITS, Concept, Dataset, Reward, Scores, Target
from ffade.plugin_names import plugin_label
from ffade.probability_scores import probability_note, probability_rows
from ffade.signatures import check_signature
from ffade.written import a_type, with_article


def score_batch(
    reward: Reward, outputs: Any, references: Any, size: int, clean_outputs: Any | None = None
) -> Scores:
    """``reward.score(...)``, refused unless it is a :class:`Scores` with one entry per input."""
    name = f"reward '{plugin_label(reward)}'"
    with blamed(f"{name}: score()"):
        try:
            scores = reward.score(outputs, references, clean_outputs)
        except ScoresError as error:  # ffade's Scores refused what score() gave it
            raise PluginError(f"{name}: score() made {error}") from None
    if not isinstance(scores, Scores):
        raise PluginError(
            f"{name}: score() returned {a_type(scores)}; return "
            "ffade.plugin_api.Scores(metric=..., failed=..., reward=...)"
        )
    if len(scores.metric) != size:
        got = len(scores.metric)
        raise PluginError(
            f"{name}: score() gave {got} {'entry' if got == 1 else 'entries'} for a batch of "
            f"{size} inputs; "
            "give one metric, failed and reward per input"
        )
    return scores


OUTPUT_KINDS = {
    "class_scores": "a classifier's class scores",
    "texts": "texts",
    "images": "generated images",
}
"""The ``Target.output_kind`` values ffade's plugins declare, as messages say them."""


def declared_kinds(reward: Any) -> tuple[str, ...] | None:
    """A reward's (or reward class's) ``output_kinds`` as a tuple, None when it declares none.
    One kind written as a string (``output_kinds = "texts"``) is that kind: read as a sequence,
    its letters would each be taken for a kind, and ``"text" in "texts"`` would pass."""
    kinds = getattr(reward, "output_kinds", None)
    if kinds is None:
        return None
    return (kinds,) if isinstance(kinds, str) else tuple(kinds)


class OutputKindError(PluginError):
    """A target whose outputs the reward cannot score. ``mismatch`` says so without the advice
    (which names rewards to choose), for a command where the reward is fixed (``ffade check``:
    the suite's), and ``needs`` what the reward scores."""

    def __init__(self, mismatch: str, fix: str, needs: str) -> None:
        super().__init__(f"{mismatch}; {fix}")
        self.mismatch, self.needs = mismatch, needs


def check_output_kind(
    reward: Reward,
    target: Target,
    kinds: str | Sequence[str],
    fixes: Mapping[str, str] | None = None,
) -> None:
    """Refuse, in one line, a target that declares an ``output_kind`` outside ``kinds``: the
    reward would refuse its outputs only at the first evaluation, after the run had started.
    A target that declares none (a third party's, ``callable``) passes. ``fixes`` may map a kind
    to what to use instead (:func:`ffade.task.check_declared_kinds` names the rewards of it).
    One kind may be given as it is (``"texts"``): read as a sequence, its letters would each be
    taken for a kind."""
    kinds = [kinds] if isinstance(kinds, str) else kinds
    kind = getattr(target, "output_kind", None)
    if kind is None or kind in kinds:
        return
    needs = " or ".join(OUTPUT_KINDS.get(k, f"output_kind '{k}'") for k in kinds)
    returns = OUTPUT_KINDS.get(kind, "outputs")
    fix = (fixes or {}).get(kind) or "choose a reward that scores them (ffade plugins lists them)"
    raise OutputKindError(
        f"reward '{plugin_label(reward)}' needs {needs}, but target "
        f"'{plugin_label(target)}' returns {returns} (output_kind '{kind}')",
        fix,
        needs,
    )


def predicted(target: Target, inputs: Any, size: int) -> Any:
    """``target.predict(inputs)``, refused unless it holds one output per input: a short or
    long answer would pair outputs with the wrong inputs, or fail later inside ffade."""
    with blamed(f"target '{plugin_label(target)}': predict()"):
        outputs = target.predict(inputs)
    rows = rows_in(outputs)
    batches = rows == size and _whole_batches(outputs, size)
    if rows != size or batches:
        got = a_type(outputs) if rows is None else f"{rows} output{'s' * (rows != 1)}"
        if isinstance(outputs, tuple):  # (logits, probabilities) say: two values, not rows
            got = f"a tuple of {rows}"
        fix = (
            "one tensor, not a tuple of them"
            if batches
            else "a tensor with one row each, or a list"
        )
        raise PluginError(
            f"target '{plugin_label(target)}': predict() returned {got} "
            f"for a batch of {size} inputs; return one output per input, in order ({fix})"
        )
    if getattr(target, "output_kind", None) == "class_scores":
        return _class_scores(target, outputs)
    return outputs


def _whole_batches(outputs: Any, size: int) -> bool:
    """Whether a tuple holds whole batches, not one output per input: (logits, probabilities)
    on a batch of 2 is two tensors of 2 rows each, which read as 2 outputs, paired with the
    wrong inputs. A tuple of labels (numbers, 0-d tensors) is one output per input, and so is
    one of per-input tensors of other lengths (boxes, say): narrower than CallableTarget's own
    check, whose outputs must become scores, where any tensor in a tuple is a batch."""
    return (
        isinstance(outputs, tuple)
        and len(outputs) > 0
        and all(isinstance(o, torch.Tensor) and o.ndim >= 1 and o.shape[0] == size for o in outputs)
    )


_SAID_PROBABILITIES: weakref.WeakValueDictionary[int, Target] = weakref.WeakValueDictionary()
"""Targets told of :func:`probability_note` in this process, by id (a target that defines
``__eq__`` may not hash): once each, not once a batch."""


def _class_scores(target: Target, outputs: Any) -> torch.Tensor:
    """The (B, num_classes) tensor of a target that declares ``class_scores``, from a tensor or
    what ``torch.as_tensor`` takes (a NumPy table, a list of rows), so every reward gets the
    tensor docs/plugins.md promises; else one line: class labels, say, would fail in the reward,
    naming neither plugin. A table of booleans or integers (a one-hot of the predicted class,
    ``predict(x) > 0``) is labels too: a reward's softmax refused it inside the reward's code."""
    try:
        table = torch.as_tensor(outputs)
    except (TypeError, ValueError, RuntimeError):
        table = None
    if table is not None and table.dim() == 2 and table.is_floating_point():
        if table.shape[1] == 1:  # a binary classifier's one logit: its softmax is always 1
            raise PluginError(
                f"target '{plugin_label(target)}': predict() returned one score per input "
                f"(a {tuple(table.shape)} table), but output_kind 'class_scores' has a column "
                "per class, and a softmax over one column is 1 whatever the model says; for a "
                "binary classifier's logit z return torch.cat([torch.zeros_like(z), z], 1) "
                "(classes 0 and 1)"
            )
        if _SAID_PROBABILITIES.get(id(target)) is not target and probability_rows(table):
            _SAID_PROBABILITIES[id(target)] = target  # a softmax would misread every probability
            print_line(probability_note(plugin_label(target)))
        return table
    got = "tensor" if isinstance(outputs, torch.Tensor) else type(outputs).__name__
    if table is not None:
        got = f"{tuple(table.shape)} {str(table.dtype).removeprefix('torch.')} {got}"
    got = with_article(got)
    raise PluginError(
        f"target '{plugin_label(target)}': predict() returned {got}, but "
        "its output_kind 'class_scores' is a (batch, num_classes) tensor of scores; return "
        "scores as floats (logits or log-probabilities), or declare another output_kind"
    )


def checked_features(target: Target, inputs: Any, size: int) -> torch.Tensor:
    """``target.features(inputs)``, refused unless a finite ``(batch, d)`` tensor."""
    who = f"target '{plugin_label(target)}': features()"
    with blamed(who):
        features = target.features(inputs)
    shape = tuple(features.shape) if isinstance(features, torch.Tensor) else None
    if shape is None or len(shape) != 2 or shape[0] != size:
        got = f"shape {shape}" if shape is not None else a_type(features)
        raise PluginError(
            f"{who} returned {got} for a batch of {size} inputs; return a ({size}, d) tensor"
        )
    if not bool(torch.isfinite(features.float()).all()):
        raise PluginError(f"{who} returned NaN or infinite values; return finite numbers")
    return features


SUPER_INIT = {
    Target: (("device",), "super().__init__(device)"),
    Concept: (("values", "label"), "super().__init__(values, label)"),
    Dataset: (("seed",), "super().__init__(seed)"),
}
"""Base class -> (attributes its ``__init__`` sets: all, a concept's own ``values`` no label)."""


CALLS = {
    Target: (("predict", "inputs"), ("features", "inputs")),
    Concept: (("apply", "inputs, value"), ("apply_each", "inputs, values")),
    Reward: (("score", "outputs, references, clean_outputs"),),
    Dataset: (("split", "name"), ("collate", "items")),
}
"""Base class -> the methods ffade calls on a plugin, with the arguments it passes them."""


def check_constructed(instance: Any, kind: str, name: str) -> None:
    """Refuse a plugin whose ``__init__`` did not call its base's, or whose methods cannot take
    the arguments ffade passes them, before anything uses it."""
    for base, (attributes, call) in SUPER_INIT.items():
        lacks = [a for a in attributes if not hasattr(instance, a)]
        if isinstance(instance, base) and lacks:
            raise PluginError(
                f"{kind} '{name}': {type(instance).__name__}.__init__ never called {call}, so "
                f"it has no '{lacks[0]}'; call it in __init__ (docs/plugins.md)"
            )
    for base, calls in CALLS.items():
        if isinstance(instance, base):
            for method, args in calls:
                check_signature(instance, kind, name, method, args)


def described(
    plugin: Target | Reward, method: str, batch: Any, size: int, *more: Any
) -> list[str] | None:
    """``target.describe_inputs``, ``describe_outputs`` or ``describe_references`` of ``batch``
    (or a reward's ``describe_outputs(batch, *more)``): None, or one text each."""
    texts = getattr(plugin, method)(batch, *more)
    if texts is None:
        return None
    who = f"{'reward' if isinstance(plugin, Reward) else 'target'} '{plugin_label(plugin)}'"
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)) or len(texts) != size:
        listed = isinstance(texts, (list, tuple))
        got = f"{len(texts)} text{'s' * (len(texts) != 1)}" if listed else repr(texts)[:40]
        if hasattr(texts, "shape"):  # a tensor's repr, cut short, reads as garbage
            got = f"{a_type(texts)} of shape {tuple(texts.shape)}"
        raise PluginError(
            f"{who}: {method}() returned {got} for a batch of {size}; return a list of {size} "
            "strings, or None"
        )
    for text in texts:  # a number or a token list would be shown as its repr, never refused
        if not isinstance(text, str):
            raise PluginError(
                f"{who}: {method}() returned a list holding {repr(text)[:40]} (type "
                f"{type(text).__name__}) for a batch of {size}; return a list of {size} "
                "strings, or None"
            )
    return list(texts)


def output_captions(task: Any, outputs: Any, references: Any, size: int) -> list[str]:
    """Each output's caption: the reward's words for what it judged (``describe_outputs`` of a
    reward that gives them), else the target's, else empty."""
    judged = described(task.reward, "describe_outputs", outputs, size, references)
    return judged or described(task.target, "describe_outputs", outputs, size) or [""] * size


def split_pairs(dataset: Dataset, split: str, first: int | None = None) -> list[tuple[Any, Any]]:
    """``dataset.split(split)`` as a list, refused unless each item is an (input, reference).

    ``first`` keeps only the first that many, taken before the list is made when the split is a
    sequence: a dataset that reads its inputs lazily (a folder of 50,000 photos) then reads only
    the inputs a run asks for, not the whole split.
    """
    name = plugin_label(dataset)
    items = _split_of(dataset, split)
    if first is not None:
        items = _first_items(items, first)
    try:
        items = list(items)
    except TypeError:
        raise PluginError(
            f"dataset '{name}': split({split!r}) returned {type(items).__name__}; return a "
            "sequence of (input, reference) pairs"
        ) from None
    _check_pairs(name, split, enumerate(items))
    return items if first is None else items[:first]


def split_sequence(dataset: Dataset, split: str) -> Sequence[Any]:
    """The split unread: the dataset's own sequence when it returns one (a folder of photos
    decodes an image only when it is indexed), else :func:`split_pairs`' list. Check the pairs
    read from it with :func:`pairs_at`."""
    items = _split_of(dataset, split)
    return items if isinstance(items, Sequence) else split_pairs(dataset, split)


def _first_items(items: Any, first: int) -> Any:
    """A split's first ``first`` items, read one by one where it has ``len`` and indexing (a
    class of those two methods without the ``Sequence`` base was read whole); a torch
    ``TensorDataset``'s slice is its tensors' slices, not pairs, so only a ``Sequence`` is sliced.
    Anything else is returned as it is, for :func:`split_pairs` to read whole or refuse."""
    if isinstance(items, Sequence):
        return items[:first]
    if isinstance(items, Mapping) or not all(hasattr(items, m) for m in ("__len__", "__getitem__")):
        return items
    try:
        return [items[i] for i in range(min(first, len(items)))]
    except (TypeError, KeyError, IndexError):  # no integer indexing after all: read it whole
        return items


def _split_of(dataset: Dataset, split: str) -> Any:
    """``dataset.split(split)``; a ``KeyError`` of the split's own name (a dict of index arrays
    that lacks it) is the dataset missing that split, said in one line, not a traceback."""
    name = plugin_label(dataset)
    try:
        items = dataset.split(split)
    except KeyError as error:
        if error.args != (split,):
            raise  # another key: the plugin's own bug, with its traceback
        raise PluginError(
            f"dataset '{name}': split({split!r}) raised KeyError: {split!r}; a dataset gives "
            f"each of the splits {', '.join(SPLITS)} (disjoint_split_indices makes all three)"
        ) from None
    if isinstance(items, (Mapping, str, bytes)):  # iterable, but over keys or characters
        raise PluginError(
            f"dataset '{name}': split({split!r}) returned {a_type(items)}; return a "
            "sequence of (input, reference) pairs"
        )
    return items


def pairs_at(dataset: Dataset, split: str, items: Sequence[Any], ids: Any) -> list[Any]:
    """The (input, reference) pairs at positions ``ids`` of a split's ``items``, refused as
    :func:`split_pairs` refuses them: reading a few pairs of a large split reads only those."""
    picked = [(int(i), items[int(i)]) for i in ids]
    _check_pairs(plugin_label(dataset), split, picked)
    return [item for _, item in picked]


def collated(dataset: Dataset, items: Sequence[Any]) -> tuple[Any, Any]:
    """``dataset.collate(items)``, refused unless it is ``(inputs, references)`` with one row
    per pair in each: a ``collate`` that returned the pairs or the inputs alone would otherwise
    fail inside ffade, as a traceback naming no plugin. Called every step: the check is two
    row counts, the message is built only for a refusal."""
    batch = dataset.collate(items)
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        size = len(batch) if isinstance(batch, (tuple, list)) else None
        got = "" if size is None else f" of {size} item{'s' * (size != 1)}"
        raise _collate_error(dataset, items, f"{a_type(batch)}{got}")
    for what, part in zip(("inputs", "references"), batch, strict=True):
        rows = rows_in(part)
        if rows != len(items):
            got = a_type(part) if rows is None else f"{rows} row{'s' * (rows != 1)}"
            raise _collate_error(dataset, items, f"{what} of {got}", ", each with one row per pair")
    check_tensor_rows(dataset, batch[0], batch[1])
    return batch[0], batch[1]


def _collate_error(dataset: Dataset, items: Sequence[Any], got: str, more: str = "") -> PluginError:
    pairs = f"{len(items)} (input, reference) pair{'s' * (len(items) != 1)}"
    return PluginError(
        f"dataset '{plugin_label(dataset)}': collate() returned {got} "
        f"for {pairs}; return (inputs, references): a batch of the inputs and one of their "
        f"references{more}"
    )


def _check_pairs(name: str, split: str, indexed: Any) -> None:
    for index, item in indexed:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise PluginError(
                f"dataset '{name}': split({split!r}) item {index} is {a_type(item)}, "
                "not an (input, reference) pair; return a sequence of such pairs"
            )
