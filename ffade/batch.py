"""Rows of a batch: what every part that regroups inputs needs, whatever a batch is made of.

A batch is a tensor, a dict of tensors (a tokenizer's output) or a list (texts, prompts).
Concepts that apply each value to its own rows, and the builder of changed inputs, pick rows
out of batches and join batches back, without knowing which kind they hold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ffade.errors import PluginError, clipped
from ffade.written import a_type, with_article


def take(batch: Any, rows: Any) -> Any:
    """The rows of a batch (a tensor, a dict of them, or a list), in the order given."""
    if isinstance(batch, torch.Tensor):
        if not isinstance(rows, torch.Tensor) or rows.device != batch.device:
            rows = torch.as_tensor(np.asarray(rows), dtype=torch.long, device=batch.device)
        return batch[rows]
    if isinstance(batch, dict):
        return {k: take(v, rows) for k, v in batch.items()}
    return [batch[int(r)] for r in rows]


def concat(parts: list[Any]) -> Any:
    """Batches of one kind (tensors, dicts of them, or lists) joined row-wise, in order."""
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts)
    if isinstance(first, dict):
        return {k: concat([p[k] for p in parts]) for k in first}
    return [x for p in parts for x in p]


def batch_size_of(inputs: Any) -> int:
    """How many inputs a batch holds: a tensor's rows, a dict's first value's, a list's length."""
    if isinstance(inputs, torch.Tensor):
        return inputs.shape[0]
    if isinstance(inputs, dict):
        return batch_size_of(next(iter(inputs.values())))
    return len(inputs)


def rows_in(batch: Any) -> int | None:
    """:func:`batch_size_of`, or None for what is not a batch (None, a number, a 0-d tensor):
    how a plugin's answer is checked for one row per input."""
    try:
        return batch_size_of(batch)
    except (TypeError, IndexError, StopIteration):
        return None


def _kind(batch: Any) -> str | None:
    """What a batch is made of, as far as concepts must keep it: None where ffade need not care."""
    if isinstance(batch, torch.Tensor):
        return "tensor"
    if isinstance(batch, dict):
        return f"dict with keys {', '.join(sorted(map(str, batch)))}"
    if isinstance(batch, (list, tuple)):
        return "list"
    return None


def checked_rows(batch: Any, size: int, who: str, like: Any = None) -> Any:
    """``batch`` if it holds ``size`` rows, else one line saying ``who`` (a concept's method).

    With ``like`` (the batch the concept was given), ``batch`` must also be of its kind: a
    tensor for a tensor, a dict with the same keys for a dict, a list for a list. A concept that
    returned only the tensor it changed out of a dict would otherwise break the next concept or
    the target, whose traceback names the wrong plugin.
    """
    expected = None if like is None else _kind(like)
    if expected is not None and _kind(batch) != expected:
        got = _kind(batch) or type(batch).__name__
        raise PluginError(
            f"{who} returned {with_article(got)} for a batch that is {with_article(expected)}; "
            "return the same kind of batch, changed"
        )
    rows = rows_in(batch)
    if rows != size:
        got = a_type(batch) if rows is None else f"{rows} row{'s' * (rows != 1)}"
        raise PluginError(
            f"{who} returned {got} for a batch of {size} inputs; return the whole batch, "
            "one row per input, in order"
        )
    if isinstance(like, torch.Tensor):
        _check_like(batch, like, who)
    elif _texts(like) and not _texts(batch):
        odd = next(x for x in batch if not isinstance(x, str))
        raise PluginError(
            f"{who} returned a list holding {a_type(odd)} ({clipped(odd)}) for a batch of "
            "texts; return one text (a str) per input, changed (docs/plugins.md)"
        )
    return batch


def _texts(batch: Any) -> bool:
    """Whether a batch is a list (or tuple) of texts, which a concept must keep texts: a token
    list in their place would otherwise reach the target, whose error names the wrong plugin."""
    return (
        isinstance(batch, (list, tuple)) and bool(batch) and all(isinstance(x, str) for x in batch)
    )


def _check_like(batch: torch.Tensor, like: torch.Tensor, who: str) -> None:
    """One line unless a changed tensor keeps the shape, dtype and device it was given.

    Rows of several values are joined and handed to the target, so an image cropped to another
    size or turned into bytes would otherwise fail in ``torch.cat`` or deep in the model.
    """
    for what, got, want in (
        ("shape", tuple(batch.shape[1:]), tuple(like.shape[1:])),
        ("dtype", batch.dtype, like.dtype),
        ("device", batch.device, like.device),
    ):
        if got != want:
            show = (lambda s: f"(B, {', '.join(map(str, s))})") if what == "shape" else str
            raise PluginError(
                f"{who} returned {what} {show(got)} for a batch of {what} {show(want)}; return "
                f"the batch changed in the same shape, dtype and device (docs/plugins.md)"
            )


def move(obj: Any, device: torch.device) -> Any:
    """A collated batch on ``device``: tensors, and dicts or lists of them; the rest as is."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: move(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and obj and isinstance(obj[0], torch.Tensor):
        return type(obj)(move(v, device) for v in obj)
    return obj


def _like(value: Any, first: torch.Tensor) -> bool:
    return isinstance(value, torch.Tensor) and value.shape == first.shape


def _described(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return a_type(value)


def stack(values: list[Any], who: str = "collate()") -> Any:
    """Inputs (or references) stacked into one batch: tensors, numbers, dicts; else a list.
    Tensors of different shapes are one line starting with ``who``, not torch's traceback."""
    first = values[0]
    if isinstance(first, torch.Tensor):
        try:
            return torch.stack(values)
        except (RuntimeError, TypeError):
            odd = next((i for i, v in enumerate(values) if not _like(v, first)), None)
            if odd is None:
                raise
            raise PluginError(
                f"{who} cannot stack rows 0 and {odd} into one batch: {_described(first)} and "
                f"{_described(values[odd])}; give every input (and reference) one shape, "
                "or override collate (docs/plugins.md)"
            ) from None
    # NumPy's numbers too: labels read from an array (``labels[i]``, an np.int64) were left a
    # list of them, which a reward comparing them with a tensor of predictions read as one bool
    if isinstance(first, (int, float, np.integer, np.floating)) and not isinstance(first, bool):
        return torch.tensor(values)
    if isinstance(first, dict):
        return {k: stack([v[k] for v in values], who) for k in first}
    return values


def same_rows(a: Any, b: Any) -> bool:
    """Whether two batches hold the same rows: tensors equal up to float rounding (a batch of
    two may take another kernel than a batch of one), texts equal, dicts and lists item by
    item; of what ffade cannot compare, assumed the same."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.is_floating_point() or a.is_complex():
            return torch.allclose(a, b.to(a.device), rtol=1e-3, atol=1e-4, equal_nan=True)
        return torch.equal(a, b.to(a.device))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_rows(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_rows(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (str, int, float)) and isinstance(b, (str, int, float)):
        return a == b
    return True
