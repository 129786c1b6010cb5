"""The inputs a target gets right with no concept changed: what ``only_passing_inputs`` searches.

An input the target fails unchanged fails under most concept states too, and says nothing about
the concepts there. A learned search finds such inputs quickly and spends its budget on them, so
every state it tried looks failing and the report's failure region reads "anywhere" (the tiny
text-to-image model: 71% failure "anywhere" over its prompt words; on the inputs it draws right
unchanged, the neutral state fails never and `thin` most). Searching only the passing inputs,
as robustness benchmarks score only correctly classified clean inputs, keeps every failure found
one the concepts caused.
"""

from __future__ import annotations

import numpy as np
import torch

from ffade.distributed import SINGLE_PROCESS, Ranks
from ffade.errors import FfadeError
from ffade.evaluator import Evaluator
from ffade.task import Task, TaskSpec, build_task, restrict_inputs
from ffade.task_values import named_under

UNPROBED_BATCH_SIZE = 64
"""Batch size of this one pass under ``eval_batch_size: auto``, which probes later, on the
inputs kept."""


def searched_task(
    spec: TaskSpec | dict, batch_size: int | str, ranks: Ranks = SINGLE_PROCESS
) -> tuple[Task, int | None]:
    """The task an explorer searches: ``build_task(spec)``, on its passing inputs alone when
    ``only_passing_inputs`` asks and ``input_ids`` does not name them already (a rediscovery's
    spec does); and how many inputs failed unchanged (None when the spec did not ask). A
    misspelt plugin argument is named as the explorer's config spells it
    (``model.init_args.task.target.args.nope``), as its other arguments are, and its checks
    too (``model.init_args.task.concepts must list ...``). Under data parallelism (``ranks``) the
    ranks share the unchanged check's batches (:func:`passing_ids`)."""
    with named_under("model.init_args.task"):
        task = build_task(spec, task_key="model.init_args.task")
        if not task.spec.only_passing_inputs or task.spec.input_ids is not None:
            return task, None
        return keep_passing_inputs(task, batch_size, ranks)


def keep_passing_inputs(
    task: Task, batch_size: int | str, ranks: Ranks = SINGLE_PROCESS
) -> tuple[Task, int]:
    """The task on the inputs whose unchanged evaluation does not fail; and how many failed.

    Raises:
        FfadeError: every input fails unchanged, so nothing is left to search.
    """
    size = batch_size if isinstance(batch_size, int) else UNPROBED_BATCH_SIZE
    kept = passing_ids(task, size, ranks).tolist()
    if not kept:
        raise FfadeError(
            f"task.only_passing_inputs: the target fails all {len(task.inputs)} inputs of split "
            f"'{task.spec.split}' with no concept changed, so none is left to search; "
            "set it to false"
        )
    return restrict_inputs(task, kept), len(task.inputs) - len(kept)


def passing_ids(task: Task, batch_size: int, ranks: Ranks = SINGLE_PROCESS) -> np.ndarray:
    """Ids of the task's inputs whose unchanged evaluation the reward does not mark failed.

    Each input is evaluated once in the neutral state, by an evaluator of its own: nothing is
    logged and no explorer's budget pays for it. The search (above), the fine-tuner's guard and
    ``ffade export`` all choose their inputs by this one verdict, so that their failure rates
    count the same failures: the ones the concepts caused.

    Under data parallelism (``ranks``; every rank calls this) the batches are one process's,
    dealt round robin, and every verdict is gathered in order (:mod:`ffade.distributed`): each
    rank runs about 1/N of the batches and every rank gets one process's ids. (Each rank ran
    them all before: N ranks did one process's check N times before the search began.)
    """
    ids = np.arange(len(task.inputs))
    with torch.inference_mode():
        unchanged = np.tile(task.space.neutral, (len(ids), 1))
        evaluator = Evaluator(task, batch_size, warn_invalid=False, ranks=ranks)
        outcome = evaluator.evaluate(ids, unchanged)
    return ids[~np.asarray(outcome.failed, bool)]
