"""The inputs a target gets right with no concept changed: what ``only_passing_inputs`` searches.

An input the target fails unchanged fails under most concept states too, and says nothing about
the concepts there. A learned search finds such inputs quickly and spends its budget on them, so
every state it tried looks failing and the report's top rule reads "anywhere" (the tiny
text-to-image model: 71% failure "anywhere" over its prompt words; on the inputs it draws right
unchanged, the neutral state fails never and `thin` most). Searching only the passing inputs,
as robustness benchmarks score only correctly classified clean inputs, keeps every failure found
one the concepts caused.
"""

from __future__ import annotations

import numpy as np
import torch

from ffade.errors import FfadeError
from ffade.evaluator import Evaluator
from ffade.task import Task, TaskSpec, build_task, restrict_inputs

UNPROBED_BATCH_SIZE = 64
"""Batch size of this one pass under ``eval_batch_size: auto``, which probes later, on the
inputs kept."""


def searched_task(spec: TaskSpec | dict, batch_size: int | str) -> tuple[Task, int | None]:
    """The task an explorer searches: ``build_task(spec)``, on its passing inputs alone when
    ``only_passing_inputs`` asks and ``input_ids`` does not name them already (a rediscovery's
    spec does); and how many inputs failed unchanged (None when the spec did not ask)."""
    task = build_task(spec)
    if not task.spec.only_passing_inputs or task.spec.input_ids is not None:
        return task, None
    return keep_passing_inputs(task, batch_size)


def keep_passing_inputs(task: Task, batch_size: int | str) -> tuple[Task, int]:
    """The task on the inputs whose unchanged evaluation does not fail; and how many failed.

    Each input is evaluated once in the neutral state, by an evaluator of its own: nothing is
    logged and nothing is taken from the run's budget (the explorer's memo starts empty).

    Raises:
        FfadeError: every input fails unchanged, so nothing is left to search.
    """
    ids = np.arange(len(task.inputs))
    with torch.inference_mode():
        size = batch_size if isinstance(batch_size, int) else UNPROBED_BATCH_SIZE
        unchanged = np.tile(task.space.neutral, (len(ids), 1))
        outcome = Evaluator(task, size, warn_invalid=False).evaluate(ids, unchanged)
    kept = ids[~outcome.failed].tolist()
    if not kept:
        raise FfadeError(
            f"task.only_passing_inputs: the target fails all {len(ids)} inputs of split "
            f"'{task.spec.split}' with no concept changed, so none is left to search; "
            "set it to false"
        )
    return restrict_inputs(task, kept), len(ids) - len(kept)
