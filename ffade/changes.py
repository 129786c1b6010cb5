"""Inputs changed by concept states: what the target sees at an (input, concept state) pair.

Evaluation, fine-tuning, the guard and the pictures of failures all need the same thing: the
task's inputs with concept values applied, on the target's device. :class:`ChangedInputs` builds
them, sharing work between pairs (see :meth:`ChangedInputs.build`) and keeping the whole split
collated on the device when it fits, so building costs indexing rather than collating.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ffade.batch import checked_rows, concat, same_rows, take
from ffade.blame import blamed
from ffade.errors import PluginError
from ffade.plugin_api import Concept
from ffade.plugin_checks import collated
from ffade.task import Task

DEVICE_CACHE_BYTES = 2**30
"""The whole split is kept collated on the target's device when it takes at most this much."""


class ChangedInputs:
    """Builds a task's inputs as changed by concept states, on the target's device.

    Args:
        task: the built task (its inputs, dataset, target and concept space).
        cache_bytes: keep the whole split collated on the target's device if it fits in this.
    """

    def __init__(self, task: Task, cache_bytes: int = DEVICE_CACHE_BYTES) -> None:
        self.task = task
        self.space = task.space
        self.cache_bytes = cache_bytes
        self._cache: tuple[Any, Any] | bool | None = None

    @property
    def num_inputs(self) -> int:
        return len(self.task.inputs)

    def inputs(self, input_ids: np.ndarray, states: np.ndarray) -> Any:
        """The inputs as the target sees them at these states (for pictures and fine-tuning)."""
        return self.build(np.asarray(input_ids, np.int64), np.asarray(states, np.int64))[0]

    def build(self, input_ids: np.ndarray, states: np.ndarray) -> tuple[Any, Any]:
        """Inputs changed by their states, and their references, one row per requested pair.

        Concepts apply in turn (:meth:`~ffade.plugin_api.Concept.apply_each`), each only to the
        distinct rows (input, values of the concepts so far): pairs that share an input and the
        first concepts' values share that work. A grid sweep or a microscopic episode, whose pairs
        differ mostly in the last concepts, then changes few rows for all but the last concept.
        """
        if len(input_ids) == 0:
            return self.unchanged(input_ids)
        unique_ids, rows = np.unique(input_ids, return_inverse=True)
        inputs, references = self.unchanged(unique_ids)
        references = take(references, rows)
        distinct = len(unique_ids)  # rows of `inputs`; `rows` maps each pair to one of them
        for c, concept in enumerate(self.space.concepts):
            # distinct (value, row so far) keys, sorted by value: each value's rows are one run
            keys, rows = np.unique(states[:, c] * distinct + rows, return_inverse=True)
            values, parents = np.divmod(keys, distinct)
            grid = concept.values
            before = take(inputs, parents)
            row_values = [grid[i] for i in values.tolist()]
            # an exception out of the plugin names it, and summary.json's `error` with it; the
            # default apply_each names the one apply(inputs, value) that raised
            with blamed(f"concept '{concept.label}': {each_call(row_values)}"):
                changed = concept.apply_each(before, row_values)
            who = f"concept '{concept.label}': apply_each"
            changed = checked_rows(changed, len(keys), who, like=before)
            inputs = kept_neutral(concept, before, changed, row_values)
            distinct = len(keys)
        return take(inputs, rows), references

    def probe(self) -> None:
        """Apply each concept to the first input at its first value that changes something.

        Run once before any evaluation, so that a concept meant for other inputs (an image concept
        on a text task's strings) says so before the progress bar and before any budget is spent,
        not from inside the first step.
        """
        if not self.num_inputs:
            return
        inputs = self.unchanged(np.zeros(1, np.int64))[0]
        # the first input in the middle: a generator seeded per call gives row 0 (and, drawing
        # flipped, the last row) the same draw in any batch
        others = np.array([1, 0, min(2, self.num_inputs - 1)])
        pair = self.unchanged(others) if self.num_inputs > 1 else None
        for concept in self.space.concepts:
            changing = [v for v in concept.values if v != concept.neutral] or [concept.neutral]
            own_each = type(concept).apply_each is not Concept.apply_each
            # the method called, by name: a concept's own apply_each is not its apply
            call = (
                f"apply_each(inputs, {changing[:1]!r})"
                if own_each
                else f"apply(inputs, {changing[0]!r})"
            )
            with blamed(f"concept '{concept.label}': {call}"):
                changed = concept.apply_each(inputs, changing[:1])
            checked_rows(changed, 1, f"concept '{concept.label}': apply_each", like=inputs)
            if concept.values != [concept.neutral]:
                self._check_repeats(concept, changing[0], changed, inputs, pair, call)
            if own_each and len(changing) > 1:
                self._check_each(concept, changing[1::-1], inputs)

    def _check_repeats(self, concept, value, changed, inputs, pair, call) -> None:
        """One line unless the first input, changed again alone and between others, comes
        out as it did: evaluations are memoized per (input, state), and a concept whose result
        depends on the call (an unseeded draw) or on the batch (a generator seeded per call)
        would be judged on changes no rerun, fine-tuner or retest ever sees again."""
        again = [concept.apply_each(inputs, [value])]
        if pair is not None:
            again.append(take(concept.apply_each(pair[0], [value] * 3), [1]))
        for where, other in zip(("called again", "beside another input"), again, strict=False):
            if not same_rows(changed, other):
                raise PluginError(
                    f"concept '{concept.label}': {call} changed the first input differently when "
                    f"{where}; {call.partition('(')[0]} must give an input the same result in "
                    "any call and batch "
                    "(seed any randomness from a fixed seed per input or a fixed pattern, not per "
                    "call or per batch; docs/plugins.md)"
                )

    def _check_each(self, concept: Concept, values: list[Any], inputs: Any) -> None:
        """One line unless a concept's own ``apply_each``, given the first input twice at two
        values, gives each row what ``apply`` gives it alone: the search calls ``apply_each``
        on rows of many values, so one that mixes them up (every row at the first value)
        would have evaluations logged under states they were not changed by, silently."""
        call = f"apply_each(inputs, {values!r})"
        with blamed(f"concept '{concept.label}': {call}"):
            each = concept.apply_each(take(inputs, [0, 0]), values)
        each = checked_rows(
            each, 2, f"concept '{concept.label}': apply_each", like=take(inputs, [0, 0])
        )
        for row, value in enumerate(values):
            with blamed(f"concept '{concept.label}': apply(inputs, {value!r})"):
                alone = concept.apply(inputs, value)
            if not same_rows(take(each, [row]), alone):
                raise PluginError(
                    f"concept '{concept.label}': {call} gave the first input, in row {row}, "
                    f"another change than apply(inputs, {value!r}) gives it alone; apply_each "
                    "must give row i what apply(inputs, values[i]) gives it (docs/plugins.md)"
                )

    def originals(self, ids: Any) -> Any:
        """The inputs of ``ids`` as example pictures show them beside a failure: unchanged, but
        a grid of words without its no-op at its stand-in (:attr:`ConceptSpace.drawn_stand_in`):
        a prompt slot left empty is no prompt the search tried."""
        inputs = self.unchanged(ids)[0]
        for concept, index, stand_in in zip(
            self.space.concepts, self.space.neutral, self.space.drawn_stand_in, strict=True
        ):
            if stand_in and len(ids):
                changed = concept.apply_each(inputs, [concept.values[int(index)]] * len(ids))
                inputs = checked_rows(
                    changed, len(ids), f"concept '{concept.label}': apply_each", inputs
                )
        return inputs

    def unchanged(self, ids: Any) -> tuple[Any, Any]:
        """Inputs and references of ``ids``, on the target's device.

        The whole split is collated and moved once when it is tensors that fit in
        ``cache_bytes``; then a batch is one indexing operation, not a collate and a copy.
        """
        if self._cache is None:
            self._cache = self._collate_split()
        if self._cache is not False:
            inputs, references = self._cache
            index = torch.as_tensor(np.asarray(ids, np.int64), device=self.task.target.device)
            return take(inputs, index), take(references, index)
        inputs, references = collated(self.task.dataset, [self.task.inputs[int(i)] for i in ids])
        target = self.task.target
        return target.to_device(inputs), target.to_device(references)

    def _collate_split(self) -> tuple[Any, Any] | bool:
        # one input first: a split of 10,000 photos would take gigabytes only to be refused
        count = len(self.task.inputs)
        first = collated(self.task.dataset, [self.task.inputs[0]]) if count else None
        if first is None or not all(map(_is_tensors, first)):
            return False
        if sum(map(_nbytes, first)) * count > self.cache_bytes:
            return False
        inputs, references = collated(self.task.dataset, self.task.inputs)
        if _nbytes(inputs) + _nbytes(references) > self.cache_bytes:  # padded to the longest
            return False
        target = self.task.target
        return target.to_device(inputs), target.to_device(references)


def kept_neutral(concept: Concept, before: Any, changed: Any, values: list[Any]) -> Any:
    """``changed`` with the rows at ``concept.neutral`` put back as they were in ``before``.

    The neutral value changes nothing: the base ``apply_each`` never calls ``apply`` with it,
    and so the neutral state, a reward's clean outputs and a fine-tuner's clean share all see
    the inputs as the dataset gave them. A concept's own ``apply_each`` gets those rows too (one
    call for the whole batch); one that changed them anyway (a gain of 0 dB that still clips)
    would have every neutral evaluation judged on inputs no one asked for, silently.
    """
    if type(concept).apply_each is Concept.apply_each:
        return changed
    keep = [row for row, value in enumerate(values) if value == concept.neutral]
    if not keep:
        return changed
    index = np.arange(len(values))
    index[keep] += len(values)
    return take(concat([changed, before]), index)


def _is_tensors(batch: Any) -> bool:
    if isinstance(batch, dict):
        return all(_is_tensors(v) for v in batch.values())
    return isinstance(batch, torch.Tensor)


def _nbytes(batch: Any) -> int:
    if isinstance(batch, dict):
        return sum(_nbytes(v) for v in batch.values())
    return batch.numel() * batch.element_size()


def each_call(values: list[Any], shown: int = 3) -> str:
    """``apply_each(inputs, [v1, v2, v3, ...])``: a search's call, its first distinct values."""
    distinct = list(dict.fromkeys(values))
    listed = ", ".join(repr(v) for v in distinct[:shown])
    listed += ", ..." if len(distinct) > shown else ""
    return f"apply_each(inputs, [{listed}])"
