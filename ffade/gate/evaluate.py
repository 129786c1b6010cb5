"""Evaluate a suite's pairs on a target: plugins and the failure environment, no Trainer.

``ffade export`` measures the original target on the pairs it chose, and ``ffade check`` the
current (or a fixed) one on the same pairs; both come here. Nothing on this path imports
Lightning: a CI job that gates a checkpoint pays for the target's forward passes and little else.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ffade.counted_evaluation import distinct_rows, evaluated_with_progress
from ffade.env import Evaluator
from ffade.errors import FfadeError
from ffade.gate.suite import Case
from ffade.gate.suite_values import SUITE_SPLITS
from ffade.log_bars import bar_for
from ffade.plugin_checks import pairs_at, split_pairs, split_sequence
from ffade.shown_numbers import shares_told_apart
from ffade.task import Task, build_task

SETUP_ERROR = re.compile(r"cuda|nvidia|\bmps\b|device|driver|state_dict|PytorchStreamReader", re.I)
"""What torch says when the machine or the checkpoint is wrong, not the code: no GPU or driver
("Found no NVIDIA driver", "Torch not compiled with CUDA enabled", "CUDA out of memory"), an
unknown device string, weights that do not fit the network or are not a checkpoint."""


@contextmanager
def target_setup_errors() -> Iterator[None]:
    """Turn torch's errors about a broken setup into one line, exit 2, as bad input is.

    ``ffade check`` exits 1 only when a case fails; a target that cannot be built or run on this
    machine is a broken setup, not a failing case. A device the machine lacks is mostly refused
    when the target is built (:func:`ffade.devices.usable_device`); this catches what torch says
    only once the target runs (CUDA out of memory, a target that moves itself to a GPU).
    Kept narrow: only RuntimeError (and torch's AssertionError for a build without CUDA) whose
    text matches :data:`SETUP_ERROR`; anything else stays a traceback, as a bug should. The
    original's first line is kept, and the original chained for a debugger.
    """
    try:
        yield
    except (RuntimeError, AssertionError) as exc:
        first_line = next((line for line in str(exc).splitlines() if line.strip()), "")
        if not SETUP_ERROR.search(first_line):
            raise
        raise FfadeError(
            f"the target could not be built or run here ({type(exc).__name__}: "
            f"{first_line.strip()}); check its device and weights (--target-arg)"
        ) from exc


@dataclass(frozen=True)
class CaseResult:
    """How a target did on one case's pairs."""

    case: Case
    pairs: int
    failures: int
    per_split: dict[str, tuple[int, int]]  # split: (failures, pairs)

    @property
    def failure_rate(self) -> float:
        return self.failures / self.pairs if self.pairs else 0.0

    @property
    def passed(self) -> bool:
        # counts, not rates: no rounding decides a case that sits exactly on its threshold
        return self.failures <= self.case.max_failure_rate * self.pairs + 1e-9

    def shown_rates(self) -> tuple[str, str]:
        """The failure rate and the case's maximum as percentages, with as many decimals as
        tell them apart: a failing 38.43% against a maximum of 38.36% read "38.4% > max 38.4%"."""
        return shares_told_apart(self.failure_rate, self.case.max_failure_rate)

    def measured(self) -> dict[str, Any]:
        """The suite file's ``measured`` entry."""
        entry: dict[str, Any] = {
            "pairs": self.pairs,
            "failures": self.failures,
            "failure_rate": round(self.failure_rate, 4),
        }
        for split, (failures, pairs) in self.per_split.items():
            entry[split] = {"pairs": pairs, "failures": failures}
        return entry


def split_tasks(task_spec: dict[str, Any], read_heldout: bool = True) -> dict[str, Task]:
    """The task on each suite split, sharing one target, dataset and reward (loaded once).

    The discovery split keeps the run's ``max_inputs`` (input ids index it as the run did); the
    held-out split is whole, as the fine-tuner's guard reads it. ``read_heldout`` False leaves it
    unread where the dataset allows (:func:`split_sequence`): ``ffade check`` needs only the
    inputs its pairs name, a few hundred of what may be 10,000 photos; export reads them all.
    """
    spec = dict(task_spec, split="discovery")
    discovery = build_task(spec, task_key=None)  # a suite's or run's task; --target's target
    read = split_pairs if read_heldout else split_sequence
    heldout_inputs = read(discovery.dataset, "heldout")
    tasks = {"discovery": discovery}
    if heldout_inputs:
        d = discovery
        tasks["heldout"] = Task(
            dict(spec, split="heldout", max_inputs=None),
            d.target,
            d.dataset,
            d.reward,
            d.space,
            heldout_inputs,
        )
    return tasks


def evaluate_cases(
    cases: list[Case], tasks: dict[str, Task], batch_size: int = 256
) -> list[CaseResult]:
    """Every case's pairs on the tasks' target, split by split, in batches.

    Raises:
        FfadeError: a pair names an input the split does not have (the suite was exported from
            a different dataset), or the batch size is below 1.
    """
    if batch_size < 1:
        raise FfadeError(f"--batch-size must be at least 1, got {batch_size}")
    counts = [dict.fromkeys(SUITE_SPLITS, (0, 0)) for _ in cases]
    plans = []  # every split checked before the first forward pass, so a refusal costs none
    for split in SUITE_SPLITS:
        pieces = [case.split_pairs(split, tasks["discovery"].space) for case in cases]
        if not any(len(ids) for ids, _ in pieces):
            continue
        if split not in tasks:
            raise FfadeError(f"the suite has {split} pairs, but the dataset has no {split} split")
        task = tasks[split]
        _check_input_ids(cases, pieces, split, len(task.inputs))
        ids = np.concatenate([ids for ids, _ in pieces])
        states = np.concatenate([states for _, states in pieces])
        # the inputs the pairs name, and nothing else of the split, renumbered in order: the
        # same pairs in the same batches, so the same verdicts
        named, positions = np.unique(ids, return_inverse=True)
        inputs = pairs_at(task.dataset, split, task.inputs, named)
        evaluator = Evaluator(  # its warning calls a NaN answer neither pass nor failure
            replace(task, inputs=inputs), batch_size, split_ids=named, warn_invalid=False
        )
        rows = distinct_rows(evaluator, positions, states)
        plans.append((split, pieces, evaluator, positions, states, rows))
    # a suite of a large model's pairs can take minutes: count them on stderr (the table and
    # --junit stay clean), as a search counts its evaluations
    total = sum(len(plan[-1]) for plan in plans)
    # in a file or a CI log, a line when it ends, and now and then on a long suite (ffade.log_bars)
    with bar_for(sys.stderr, total=total, desc="pairs", unit="pair", dynamic_ncols=True) as bar:
        for split, pieces, evaluator, positions, states, rows in plans:
            failed = evaluated_with_progress(evaluator, positions, states, rows, bar)
            ends = np.cumsum([len(case_ids) for case_ids, _ in pieces])
            for i, part in enumerate(np.split(failed, ends[:-1])):
                counts[i][split] = (int(part.sum()), len(part))
    results = []
    for case, per_split in zip(cases, counts, strict=True):
        kept = {split: c for split, c in per_split.items() if c[1]}
        results.append(
            CaseResult(
                case=case,
                pairs=sum(n for _, n in kept.values()),
                failures=sum(k for k, _ in kept.values()),
                per_split=kept,
            )
        )
    return results


def _check_input_ids(cases: list[Case], pieces: list, split: str, count: int) -> None:
    """Name the first case whose pairs name an input past the split's ``count`` inputs."""
    for case, (ids, _) in zip(cases, pieces, strict=True):
        if len(ids) and ids.max() >= count:
            searched = " (those the run searched: task.max_inputs, task.input_ids)"
            raise FfadeError(
                f"{case.label}: pairs.{split} names input {int(ids.max())}, but the suite's "
                f"task has {count} {split} inputs{searched if split == 'discovery' else ''}, "
                f"ids 0 to {count - 1}: was the suite exported from another dataset, or a row "
                "mistyped?"
            )
