"""The clean-performance guard and the failure rates a fix is judged by, on held-out inputs.

Three numbers, measured on the **heldout** split (never searched, never trained on) before and
after fine-tuning, on the very same (input, state) pairs, so the change is the model's alone:

- **clean accuracy**: share of held-out inputs, unchanged, that the model gets right (for a
  classifier: top-1 accuracy; in general: the reward does not mark the input failed).
- **targeted failure rate**: share of (held-out input, targeted state) pairs the reward marks
  failed, where the targeted states are the member states of the prioritized regions. Every pair
  when there are at most ``max_pairs``, else a seeded uniform sample of that many.
- **untargeted failure rate**: the same over every other state of the grid: not a member of a
  prioritized region, not allowed by a prioritized rule (evaluated or not: the plan's
  :class:`~ffade.mitigate.claimed.ClaimedStates`), and not the neutral state (that is clean
  accuracy's). It shows whether the fix broke something else. Sampled the same way.

When the run searched only the inputs its target got right unchanged (``task.only_passing_inputs``),
both failure rates are measured on the held-out inputs the original model gets right unchanged:
the failures the search found, and the fix targets, are the concepts' doing, and an input the
model fails anyway is clean accuracy's to count, not a rule's. Clean accuracy is measured on
every held-out input either way.

A fix is *rejected* when clean accuracy falls by more than the tolerance, or when the targeted
failure rate does not fall: a fix that fixed nothing is not kept.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ffade.concepts import ConceptSpace
from ffade.counted_evaluation import distinct_rows, evaluated_with_progress
from ffade.distributed import SINGLE_PROCESS, Ranks
from ffade.env import Evaluator
from ffade.errors import FfadeError
from ffade.feedback.priorities import RegionFeedback
from ffade.log_bars import bar_for, on_terminal
from ffade.mitigate.claimed import ClaimedStates
from ffade.passing import passing_ids
from ffade.plugin_checks import predicted
from ffade.task import Task

DENSE_GRID = 2**20
"""Grids up to this many states list their untargeted states; larger ones sample them."""

DEFINITIONS = {
    "clean_accuracy": "share of unchanged held-out inputs the model gets right",
    "targeted_failure_rate": "failed share of (held-out input, state) pairs over "
    "the member states of the prioritized regions",
    "untargeted_failure_rate": "failed share of (held-out input, state) pairs "
    "over every other grid state except the neutral one and those a prioritized rule allows",
}
"""What each guard number means, as mitigation.json says it."""


@dataclass
class GuardPairs:
    """The fixed (input, state) pairs measured before and after: same pairs, fair comparison."""

    num_inputs: int
    targeted_ids: np.ndarray
    targeted_states: np.ndarray
    targeted_regions: np.ndarray
    untargeted_ids: np.ndarray
    untargeted_states: np.ndarray
    num_targeted_states: int
    num_untargeted_states: int
    inputs: np.ndarray | None = None
    """The held-out inputs the failure rates are measured on, when not all (only passing ones)."""

    def describe(self) -> dict[str, Any]:
        """The pairs' counts and what each number measured on them means, for mitigation.json."""
        definitions = dict(DEFINITIONS)
        if self.inputs is not None:
            for key in ("targeted_failure_rate", "untargeted_failure_rate"):
                definitions[key] += ", on the inputs the original model gets right unchanged"
        return {
            "split": "heldout",
            "inputs": self.num_inputs,
            "failure_rate_inputs": self.num_inputs if self.inputs is None else len(self.inputs),
            "only_passing_inputs": self.inputs is not None,
            "targeted_states": self.num_targeted_states,
            "targeted_pairs": len(self.targeted_ids),
            "untargeted_states": self.num_untargeted_states,
            "untargeted_pairs": len(self.untargeted_ids),
            "definitions": definitions,
        }

    def untargeted_by_value(
        self, space: ConceptSpace, before: GuardResult, after: GuardResult
    ) -> dict[str, list[dict[str, Any]]] | None:
        """mitigation.json's ``untargeted_by_value``: per concept and value, the untargeted
        pairs holding it and their failure rate before and after, so a rise in the untargeted
        rate can be traced to the values it came from (a few pairs each: read large changes)."""
        if before.untargeted_by_value is None or after.untargeted_by_value is None:
            return None
        table = {}
        for column, concept in enumerate(space.concepts):
            counts = np.bincount(self.untargeted_states[:, column], minlength=len(concept.values))
            rows = zip(
                concept.values,
                counts,
                before.untargeted_by_value[concept.label],
                after.untargeted_by_value[concept.label],
                strict=True,
            )
            table[concept.label] = [
                {"value": value, "pairs": int(n), "failure_rate_before": b, "failure_rate_after": a}
                for value, n, b, a in rows
            ]
        return table


def guard_pairs(
    num_inputs: int,
    space: ConceptSpace,
    targeted: np.ndarray,
    state_regions: np.ndarray,
    max_pairs: int,
    seed: int = 0,
    inputs: np.ndarray | None = None,
    claimed: ClaimedStates | None = None,
) -> GuardPairs:
    """Choose the pairs for both failure rates; see the module docstring.

    ``inputs``: the held-out inputs to draw pairs from (the passing ones), default all.
    ``claimed``: the states no untargeted pair may hold besides the neutral one (default: the
    targeted ones); a plan's rules claim every state they allow.
    """
    rng = np.random.default_rng(seed)
    chosen = np.arange(num_inputs) if inputs is None else np.asarray(inputs, dtype=np.int64)
    targeted = np.asarray(targeted, dtype=np.int64)
    ids, rows = _product_sample(len(chosen), len(targeted), max_pairs, rng)
    claimed = claimed or ClaimedStates(space.sizes, [], targeted)
    neutral = int(space.flat(space.neutral))
    count = space.num_states - claimed.count() - int(not claimed.contains(space.neutral)[0])
    if count <= 0:
        other_ids, other_states = np.zeros(0, np.int64), np.zeros((0, space.num_concepts), np.int64)
    elif space.num_states <= DENSE_GRID:
        everything = np.arange(space.num_states)
        others = everything[~claimed.contains(space.unflat(everything)) & (everything != neutral)]
        other_ids, picks = _product_sample(len(chosen), len(others), max_pairs, rng)
        other_states = space.unflat(others[picks])
    else:  # a huge grid: draw states uniformly and drop the claimed ones
        wanted = min(max_pairs, len(chosen) * count)  # guard_pairs 10**30: not a 2e30 draw
        flat = rng.integers(0, space.num_states, size=2 * wanted + 16)
        flat = flat[~claimed.contains(space.unflat(flat)) & (flat != neutral)][:wanted]
        other_ids = rng.integers(0, len(chosen), size=len(flat))
        other_states = space.unflat(flat)
    return GuardPairs(
        num_inputs=num_inputs,
        targeted_ids=chosen[ids],
        targeted_states=targeted[rows],
        targeted_regions=np.asarray(state_regions, dtype=bool)[rows],
        untargeted_ids=chosen[other_ids],
        untargeted_states=other_states,
        num_targeted_states=len(targeted),
        num_untargeted_states=count,
        inputs=None if inputs is None else chosen,
    )


def _product_sample(
    num_inputs: int, num_states: int, max_pairs: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(input, state-row) pairs: all of them when few enough, else a sample without repeats."""
    total = num_inputs * num_states
    flat = np.arange(total) if total <= max_pairs else np.sort(rng.choice(total, max_pairs, False))
    return flat // num_states, flat % num_states


@dataclass
class GuardResult:
    """One measurement of the model on held-out inputs."""

    clean_accuracy: float
    targeted_failure_rate: float
    untargeted_failure_rate: float | None
    region_failure_rates: list[float | None]
    untargeted_by_value: dict[str, list[float | None]] | None = None
    """Per concept label, the untargeted failure rate of the pairs holding each of its values
    (None where no pair does): where a side effect landed, which one rate hides."""
    targeted_failed: list[bool] | None = None
    """Each targeted pair's outcome, in the pairs' order: the paired test of ``targeted_change``
    (:mod:`ffade.mitigate.evidence`) compares them pair by pair. None from a checkpoint of an
    earlier ffade, which kept the rates only."""

    def as_dict(self, suffix: str) -> dict[str, Any]:
        return {
            f"clean_accuracy_{suffix}": self.clean_accuracy,
            f"targeted_failure_rate_{suffix}": self.targeted_failure_rate,
            f"untargeted_failure_rate_{suffix}": self.untargeted_failure_rate,
        }


def measure(
    task: Task,
    pairs: GuardPairs,
    num_regions: int,
    clean_correct: Callable[[Any, Any], torch.Tensor],
    batch_size: int = 512,
    shown: bool = True,
    each_batch: Callable[[], None] | None = None,
    ranks: Ranks = SINGLE_PROCESS,
) -> GuardResult:
    """Evaluate the task's target (as it is now) on the guard pairs of the held-out ``task``.

    A fresh evaluator each call, so nothing memoized from another model's answers is reused.
    ``shown`` False draws no bar: the fine-tune's Trainer has none (``enable_progress_bar``).
    ``each_batch`` is called before each batch: a SIGTERM stops the check there, not after it.
    Under data parallelism (``ranks``) the batches are one process's, dealt round robin, and each
    input's and pair's answer is gathered in order: the same numbers as one process's.
    """
    evaluator = Evaluator(task, batch_size=batch_size, warn_invalid=False, ranks=ranks)
    correct = []
    neutral = task.space.neutral
    changed = [(pairs.targeted_ids, pairs.targeted_states)]
    if len(pairs.untargeted_ids):
        changed.append((pairs.untargeted_ids, pairs.untargeted_states))
    keys = np.concatenate([evaluator.keys(ids, states) for ids, states in changed])
    total = pairs.num_inputs + len(np.unique(keys))  # a large model's check takes minutes
    bar = bar_for(
        sys.stderr,
        total=total,
        desc="held-out check",
        unit="pair",
        # a terminal's bar clears itself for the epochs' bars; a log keeps its closing line, as
        # every bar's there (README), else a check of minutes left no sign in a CI log
        leave=not on_terminal(sys.stderr),
        disable=not shown,
    )
    with bar:
        starts = range(0, pairs.num_inputs, batch_size)
        for first in range(0, len(starts), ranks.world_size):
            round_ = starts[first : first + ranks.world_size]  # a batch for each rank
            if each_batch is not None:
                each_batch()
            mine = None
            if ranks.rank < len(round_):
                start = round_[ranks.rank]
                ids = np.arange(start, min(start + batch_size, pairs.num_inputs))
                with torch.inference_mode():
                    inputs = evaluator.changes.inputs(ids, np.tile(neutral, (len(ids), 1)))
                    _, references = task.dataset.collate([task.inputs[int(i)] for i in ids])
                    outputs = predicted(task.target, inputs, len(ids))
                    mine = clean_correct(outputs, task.target.to_device(references)).cpu()
            gathered = [part for part in ranks.gather(mine) if part is not None]
            correct.extend(gathered)
            bar.update(sum(len(part) for part in gathered))
        failed = []
        for ids, states in changed:  # the untargeted pairs that the targeted share are memoized
            rows = distinct_rows(evaluator, ids, states)
            rows = rows[~evaluator.is_evaluated(evaluator.keys(ids[rows], states[rows]))]
            failed.append(evaluated_with_progress(evaluator, ids, states, rows, bar, each_batch))
    # in float64: float32 made 91 of 100 right 0.9100000262 and 90 of 100 0.8999999762, so a
    # fix that lost exactly clean_tolerance (0.01) was rejected
    clean = torch.cat(correct).double().mean().item()
    targeted, untargeted = failed[0], (failed[1] if len(failed) > 1 else None)
    per_region = [  # over every pair whose state the region holds, shared or not
        float(targeted[pairs.targeted_regions[:, r]].mean())
        if pairs.targeted_regions[:, r].any()
        else None
        for r in range(num_regions)
    ]
    return GuardResult(
        clean_accuracy=clean,
        targeted_failure_rate=float(targeted.mean()),
        untargeted_failure_rate=None if untargeted is None else float(untargeted.mean()),
        region_failure_rates=per_region,
        untargeted_by_value=None
        if untargeted is None
        else _rates_by_value(task.space, pairs.untargeted_states, untargeted),
        targeted_failed=[bool(f) for f in targeted],
    )


def _rates_by_value(
    space: ConceptSpace, states: np.ndarray, failed: np.ndarray
) -> dict[str, list[float | None]]:
    """Per concept, the failed share of the pairs holding each of its values."""
    rates: dict[str, list[float | None]] = {}
    for column, (label, size) in enumerate(zip(space.labels, space.sizes, strict=True)):
        held = states[:, column][:, None] == np.arange(size)
        counts = held.sum(0)
        failing = (held & np.asarray(failed, bool)[:, None]).sum(0)
        rates[label] = [float(f / n) if n else None for f, n in zip(failing, counts, strict=True)]
    return rates


def passing_inputs(task: Task, batch_size: int = 512, ranks: Ranks = SINGLE_PROCESS) -> np.ndarray:
    """The held-out inputs the task's target (as it is now) does not fail unchanged, by the
    reward's verdict: as ``task.only_passing_inputs`` chose the inputs the run searched. Under
    data parallelism (``ranks``) the ranks share its batches, as :func:`measure`'s."""
    passing = passing_ids(task, batch_size, ranks)
    if not len(passing):
        raise FfadeError(
            f"the run searched only inputs its target gets right unchanged, but the target "
            f"fails all {len(task.inputs)} held-out inputs unchanged: no failure rate to guard"
        )
    return passing


def relative_change(before: float, after: float) -> float | None:
    """(after - before) / before: -0.6 means the rate fell by 60%; None when before is 0."""
    return None if before == 0 else (after - before) / before


def region_failure_rates(
    regions: list[RegionFeedback], before: GuardResult, after: GuardResult
) -> list[dict[str, Any]]:
    """Each prioritized region and its targeted failure rate before and after the fix."""
    return [
        {
            "id": region.id,
            "priority": region.priority,
            "conditions": region.conditions,
            "num_states": len(region.states),
            "failure_rate_before": rate_before,
            "failure_rate_after": rate_after,
        }
        for region, rate_before, rate_after in zip(
            regions, before.region_failure_rates, after.region_failure_rates, strict=True
        )
    ]
