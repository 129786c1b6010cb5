"""Evaluating many pairs on a progress bar, with the very scores one call would give.

A held-out check or a regression suite on a large model can take minutes: the bar counts its
pairs as they are evaluated (``ffade check``'s and ``ffade export``'s suite, a fine-tune's guard).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from ffade.env import Evaluator


def distinct_rows(evaluator: Evaluator, positions: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The rows of each distinct pair's first appearance, in order: what the evaluator runs."""
    _, first = np.unique(evaluator.keys(positions, states), return_index=True)
    return np.sort(first)


def evaluated_with_progress(
    evaluator: Evaluator,
    positions: np.ndarray,
    states: np.ndarray,
    rows: np.ndarray,
    bar: tqdm,
    each_batch: Callable[[], None] | None = None,
) -> np.ndarray:
    """``evaluator.evaluate(positions, states).judged_failed()``, one batch at a time on ``bar``.

    The evaluator runs a call's distinct pairs (``rows``: :func:`distinct_rows`) in batches of
    its batch size, in order of first appearance; feeding it those pairs a batch at a time makes
    the same batches (so the same scores, bit for bit), and the whole call then reads every pair
    from its memo. Under data parallelism each call holds one batch per rank, dealt out by the
    evaluator (:mod:`ffade.distributed`). ``each_batch`` is called before each of those calls
    (where a stop may be raised).
    """
    per_call = evaluator.batch_size * evaluator.ranks.world_size  # a batch for each rank
    for start in range(0, len(rows), per_call):
        if each_batch is not None:
            each_batch()
        batch = rows[start : start + per_call]
        evaluator.evaluate(positions[batch], states[batch])
        bar.update(len(batch))
    return evaluator.evaluate(positions, states).judged_failed()
