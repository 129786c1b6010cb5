"""An evaluator's running totals: what it has counted, for summary.json and for checkpoints.

Split from :mod:`ffade.evaluator` so that the module stays about running the target: this is
the bookkeeping around it. :class:`EvaluationTotals` is a base of
:class:`~ffade.evaluator.Evaluator` (import it from there); it reads the counts, the memo and the
run's recorder that the evaluator keeps, and writes them out (summary.json's counts,
``write_summary`` for searches driven from outside ffade) or back in (``state_dict``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from ffade.concepts import ConceptSpace
from ffade.errors import FfadeError
from ffade.evaluated_pairs import EvaluatedPairs
from ffade.records import RunRecorder
from ffade.task import Task, spec_dict

MEMO_ROW = np.dtype([("metric", np.float64), ("reward", np.float64), ("failed", np.bool_)])
"""A memo entry (metric, reward, failed) as a row: checkpoints keep the memo as its columns."""


class EvaluationTotals:
    """The counts, summary and checkpoint state of :class:`~ffade.evaluator.Evaluator`, which
    sets every attribute named here."""

    task: Task
    space: ConceptSpace
    budget: int | None
    recorder: RunRecorder | None
    memo: dict[int, tuple[float, float, bool]]
    _evaluated: EvaluatedPairs | None
    evaluations: int
    failures: int
    invalid: int
    model_seconds: float
    concept_seconds: float
    num_inputs: int  # a property of the evaluator

    NO_COUNTS: ClassVar[dict[str, Any]] = {
        "evaluations": 0,
        "failures": 0,
        "invalid": 0,
        "distinct_failure_states": 0,
        "failure_rate": None,
        "model_seconds": 0.0,
        "concept_seconds": 0.0,
    }
    """:meth:`counts` before anything is evaluated (a run that fails while it starts)."""

    def counts(self) -> dict[str, Any]:
        """summary.json's counts of what was evaluated, as every search writes them.

        ``failure_rate`` is over valid evaluations: an invalid one (NaN) is neither a pass nor a
        failure, as in every rate ``ffade report`` gives; with none, it is None (not 0.0, which
        would read as a model that never fails), as report.json's ``failure_rate`` is.
        """
        valid = self.evaluations - self.invalid
        return {
            "evaluations": self.evaluations,
            "failures": self.failures,
            "invalid": self.invalid,
            "distinct_failure_states": self.failures,  # memoized: every failure is a new pair
            "failure_rate": self.failures / valid if valid else None,
            "model_seconds": round(self.model_seconds, 3),
            "concept_seconds": round(self.concept_seconds, 3),
        }

    def write_summary(self, explorer: str, mode: str = "macroscopic", **extra: Any) -> None:
        """Write summary.json for a search driven from outside ffade's explorers (another RL
        library stepping :class:`~ffade.env.FailureEnv`), so that ``ffade report`` reads its log
        as it reads one ``ffade fit`` wrote.

        Args:
            explorer: what searched, as reports name it (e.g. ``"stable-baselines3 DQN"``).
            mode: the environment's mode.
            extra: more keys, as given (``seed``, ``gradient_updates``, ``wall_seconds``: what
                only the caller knows; None where not given).
        """
        if self.recorder is None:
            raise FfadeError(
                "Evaluator.write_summary needs the run directory: build the evaluator with "
                "recorder=ffade.records.RunRecorder(run_dir)"
            )
        failing = {k % self.space.num_states for k, (_, _, failed) in self.memo.items() if failed}
        summary = {
            "explorer": explorer,
            "status": "finished",
            "mode": mode,
            "seed": None,
            "budget": self.budget,
            **self.counts(),
            "failing_concept_states": len(failing),
            "gradient_updates": None,
            "wall_seconds": None,
            "num_inputs": self.num_inputs,
            "num_states": self.space.num_states,
            "concepts": self.space.describe(),
            "neutral_state": self.space.neutral.tolist(),
            "task": spec_dict(self.task.spec),
        }
        self.recorder.write_summary({**summary, **extra})

    def state_dict(self) -> dict[str, Any]:
        """For checkpoints, every 10 steps: the memo as columns, which torch.save writes several
        times faster than a dict of tuples it pickles one object at a time (3,456 pairs: 4.5 ms
        to 1.3 ms; 100,000 pairs: 214 ms to 34 ms)."""
        rows = np.fromiter(self.memo.values(), MEMO_ROW, len(self.memo))
        columns = {name: torch.from_numpy(rows[name].copy()) for name in MEMO_ROW.names}
        return {
            "memo": {"keys": torch.from_numpy(np.fromiter(self.memo, np.int64)), **columns},
            "evaluations": self.evaluations,
            "failures": self.failures,
            "invalid": self.invalid,
            "model_seconds": self.model_seconds,
            "concept_seconds": self.concept_seconds,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        memo = state["memo"]
        if isinstance(memo.get("keys"), torch.Tensor):  # columns; earlier checkpoints: the dict
            columns = (memo[name].tolist() for name in MEMO_ROW.names)
            memo = zip(memo["keys"].tolist(), zip(*columns, strict=True), strict=True)
        self.memo = dict(memo)
        if self._evaluated is not None:
            self._evaluated.replace(np.fromiter(self.memo, np.int64, len(self.memo)))
        self.evaluations = int(state["evaluations"])
        self.failures = int(state["failures"])
        self.invalid = int(state.get("invalid", 0))  # checkpoints from before 'invalid' existed
        self.model_seconds = float(state.get("model_seconds", 0.0))  # and the timings
        self.concept_seconds = float(state.get("concept_seconds", 0.0))
