"""Whether a dataset's references are classes a classifier target can be judged against.

Split from :mod:`ffade.plugin_checks`, which still offers it under its documented name
(docs/plugins.md: ``ffade.plugin_checks.check_class_references``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch

from ffade.errors import PluginError
from ffade.plugin_api import Target
from ffade.plugin_names import plugin_label


def check_class_references(
    references: Sequence[Any],
    num_classes: int,
    target: Target | str,
    fix: str,
    strict: bool = True,
    scored_by: str = "the target scores",
) -> None:
    """Refuse, in one line, references a classifier with ``num_classes`` outputs cannot be
    judged against: a class index (alone, or in a set of accepted ones such as sample_photos')
    outside 0 to ``num_classes - 1``, or a boolean mask of another width. The rewards would
    refuse them only at the first evaluation, after the run had started. ``strict`` also
    refuses references that are no class indices (a text); ``fix`` says what to change, and
    ``scored_by`` what scores the classes ("labels ['negative', 'positive'] score").
    ``target`` is the target itself (``self`` in its ``check_references``, named as the
    registry named it) or its name."""
    if not isinstance(target, str):
        target = plugin_label(target)
    for reference in references:
        value = reference.tolist() if isinstance(reference, torch.Tensor) else reference
        if isinstance(reference, torch.Tensor) and reference.dtype == torch.bool:
            if reference.dim() == 1 and len(reference) == num_classes:
                continue
            raise PluginError(
                f"target '{target}' scores {num_classes} classes, but the dataset's references "
                f"are masks of shape {tuple(reference.shape)}; {fix}"
            )
        indices = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        if not indices or not all(_is_index(i) for i in indices):
            if not strict:
                continue
            raise PluginError(
                f"target '{target}' needs class indices as references (an integer from 0 to "
                f"{num_classes - 1}, or a set of them); got {reference!r}"
            )
        outside = next((int(i) for i in indices if not 0 <= int(i) < num_classes), None)
        if outside is not None:
            raise PluginError(
                f"target '{target}': the dataset has a class index {outside}, but {scored_by} "
                f"{num_classes} classes (0 to {num_classes - 1}); {fix}"
            )


def _is_index(value: Any) -> bool:
    """An integer (numpy's too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
