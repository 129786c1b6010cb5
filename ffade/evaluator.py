"""Evaluation of (input, concept state) pairs: batched, memoized, budgeted and logged.

:class:`Evaluator` owns everything that costs target time: it runs the target in batches on
inputs changed by concepts (built by :class:`~ffade.changes.ChangedInputs`), scores with the
reward plugin, memoizes each pair so repeats are free, enforces the evaluation budget and
appends every evaluation to the run log. The environments of :mod:`ffade.env` step on it. Under
data parallelism the ranks share out its batches and all record every result
(:mod:`ffade.distributed`).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ffade.batch import concat, take
from ffade.changes import DEVICE_CACHE_BYTES, ChangedInputs
from ffade.distributed import SINGLE_PROCESS, Ranks, keys_digest
from ffade.errors import FfadeWarning, require_keyword
from ffade.evaluated_pairs import MAX_BITMAP_PAIRS, EvaluatedPairs
from ffade.evaluation_totals import MEMO_ROW as MEMO_ROW  # re-exported, as before
from ffade.evaluation_totals import EvaluationTotals
from ffade.example_hooks import check_example_hooks
from ffade.plugin_checks import checked_features, predicted, score_batch
from ffade.plugin_names import plugin_label
from ffade.record_lines import EvaluationEncoder
from ffade.records import RunRecorder
from ffade.task import Task
from ffade.threads import one_thread


@dataclass
class Outcome:
    """Per-pair results of :meth:`Evaluator.evaluate` (arrays of the request's length)."""

    metric: np.ndarray
    reward: np.ndarray
    failed: np.ndarray
    new_failure: np.ndarray  # failed, and evaluated for the first time by this call
    evaluated: np.ndarray  # False where the budget ran out before this pair
    invalid: np.ndarray  # evaluated by this call with a NaN metric or a NaN or infinite reward

    def judged_failed(self) -> np.ndarray:
        """``failed``, with a pair whose metric is NaN (invalid) counted as failed: a search
        leaves such a pair out, but a judge of a model (the fine-tuners' guard, ``ffade check``)
        must not pass a model that diverged to NaN on every pair it fails nowhere."""
        return self.failed | np.isnan(self.metric)


@dataclass
class Scores:
    """One batch's scores as plain lists: what a rank sends the others (see ``Evaluator._run``)."""

    metric: list[float]
    reward: list[float]
    failed: list[bool]
    invalid: list[bool]  # NaN metric, or NaN or infinite reward


class Evaluator(EvaluationTotals):
    """Batched, memoized, budgeted, logged evaluation of (input, concept state) pairs.

    Args:
        task: the built task.
        batch_size: inputs per forward pass of the target.
        budget: the most target evaluations allowed (memoized repeats are free); None: no limit.
        recorder: where evaluations are appended; None keeps them in memory only.
        cache_bytes: keep the whole split collated on the target's device if it fits in this.
        ranks: the processes that share the evaluations (:mod:`ffade.distributed`); every rank
            must call :meth:`evaluate` with the same pairs. Default: this process alone.
        warn_invalid: warn at the first invalid evaluation; False for evaluations off the
            record (coverage probes, the unchanged check of ``only_passing_inputs``), so that a
            run warns once, from the evaluations it counts.
        split_ids: each input's id in its split, for messages, when ``task.inputs`` holds only
            some of the split (``ffade check`` reads only the inputs its pairs name).
        changes: another evaluator's changed inputs, of the same task, to share (coverage
            probes): its inputs stay on the device once, and its concepts, probed when it was
            made, are not probed again (a fifth of a second of the quickstart's start).

    Attributes:
        changes: builds the changed inputs the target is run on (also for pictures of them).
    """

    def __init__(
        self,
        task: Task,
        batch_size: int = 64,
        budget: int | None = None,
        recorder: RunRecorder | None = None,
        cache_bytes: int = DEVICE_CACHE_BYTES,
        ranks: Ranks = SINGLE_PROCESS,
        warn_invalid: bool = True,
        split_ids: np.ndarray | None = None,
        changes: ChangedInputs | None = None,
    ) -> None:
        require_keyword("Evaluator: ", "batch_size", batch_size, 1, "whole")
        if budget is not None:  # budget=1.5 counted down to -0.5
            require_keyword("Evaluator: ", "budget", budget, 0, "whole")
        self.task = task
        self.split_ids = split_ids
        self.ranks = ranks
        self.warn_invalid = warn_invalid
        if changes is None:
            self.changes = ChangedInputs(task, cache_bytes)
            self.changes.probe()
        else:  # another evaluator's, on the same task: probed when it was made
            self.changes = changes
        self.space = task.space
        self.batch_size = batch_size
        self.budget = budget
        self.recorder = recorder
        self._encoder = EvaluationEncoder([(c.label, c.values) for c in self.space.concepts])
        self.memo: dict[int, tuple[float, float, bool]] = {}
        self._hooks_tried = False
        # is_evaluated runs on every candidate an explorer scores: see ffade.evaluated_pairs
        pairs = self.num_inputs * self.space.num_states
        self._evaluated = EvaluatedPairs(pairs) if pairs <= MAX_BITMAP_PAIRS else None
        self.evaluations = 0
        self.failures = 0
        self.invalid = 0  # evaluations whose metric or reward was NaN or inf
        self._invalid_now: set[int] = set()  # keys found invalid by the call under way
        # what the first invalid evaluation was, for an error that must stand without its warning
        self.first_invalid: str | None = None
        # where the loop's time goes: the model calls (target and reward) and the concepts
        self.model_seconds = 0.0
        self.concept_seconds = 0.0
        self._features: torch.Tensor | None = None
        self._clean_outputs: list[Any] | None = None
        # called with each recorded batch's failing (input_ids, states), e.g. an explorer's tally
        self.failure_listeners: list[Callable[[np.ndarray, np.ndarray], None]] = []

    @property
    def num_inputs(self) -> int:
        return len(self.task.inputs)

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(self.budget - self.evaluations, 0)

    def keys(self, input_ids: np.ndarray, states: np.ndarray) -> np.ndarray:
        """One integer per (input, state) pair: the memo key and the unit of 'distinct'."""
        return np.asarray(input_ids, np.int64) * self.space.num_states + self.space.flat(states)

    def is_evaluated(self, keys: np.ndarray) -> np.ndarray:
        if self._evaluated is not None:
            return self._evaluated.contains(keys)
        return np.fromiter((int(k) in self.memo for k in keys.ravel()), bool, keys.size).reshape(
            keys.shape
        )

    def features(self, input_ids: np.ndarray) -> torch.Tensor:
        """The target's features of the unchanged inputs (computed once for all, on CPU)."""
        if self._features is None:
            chunks = []
            for start in range(0, self.num_inputs, self.batch_size):
                ids = range(start, min(start + self.batch_size, self.num_inputs))
                inputs, _ = self.changes.unchanged(ids)
                with torch.inference_mode():
                    features = checked_features(self.task.target, inputs, len(ids))
                chunks.append(features.float().cpu())
            self._features = torch.cat(chunks)
        return self._features[torch.as_tensor(np.asarray(input_ids), dtype=torch.long)]

    @property
    def feature_dim(self) -> int:
        return self.features(np.zeros(1, np.int64)).shape[1]

    def evaluate(self, input_ids: np.ndarray, states: np.ndarray, step: int = 0) -> Outcome:
        """Evaluate pairs, new ones through the target in batches, repeats from the memo."""
        input_ids = np.asarray(input_ids, np.int64)
        states = np.asarray(states, np.int64).reshape(len(input_ids), self.space.num_concepts)
        keys = self.keys(input_ids, states)
        if self.ranks.world_size > 1:  # one collective per call: ranks that diverged stop here
            self.ranks.check_same(keys_digest(keys), f"chose different pairs at step {step}")
        todo: dict[int, int] = {}
        for row, key in enumerate(keys.tolist()):
            if key not in self.memo and key not in todo:
                todo[key] = row
        fresh = list(todo.values())
        if self.remaining is not None:
            fresh = fresh[: self.remaining]
        if fresh:
            self._run(input_ids[fresh], states[fresh], keys[fresh], step)
        fresh_keys = {int(keys[r]) for r in fresh}
        n = len(keys)
        out = Outcome(*(np.zeros(n, t) for t in (np.float32, np.float32, bool, bool, bool, bool)))
        for row, key in enumerate(keys.tolist()):
            if key in self.memo:
                out.metric[row], out.reward[row], out.failed[row] = self.memo[key]
                out.evaluated[row] = True
                out.new_failure[row] = out.failed[row] and key in fresh_keys
                out.invalid[row] = key in self._invalid_now
                fresh_keys.discard(key)  # a pair repeated within one call is new only once
        self._invalid_now.clear()
        return out

    def _run(self, input_ids: np.ndarray, states: np.ndarray, keys: np.ndarray, step: int) -> None:
        """Evaluate fresh pairs in batches, and record each batch as soon as it is scored.

        The batches are those one process would run. Under data parallelism
        (:mod:`ffade.distributed`) they are dealt round robin: each rank scores its batch of a
        round, the round's scores are gathered, and every rank records every batch, in order.
        """
        batches = [slice(s, s + self.batch_size) for s in range(0, len(keys), self.batch_size)]
        rank, world = self.ranks.rank, self.ranks.world_size
        for first in range(0, len(batches), world):
            round_ = batches[first : first + world]
            mine = round_[rank] if rank < len(round_) else None
            scored = None if mine is None else self._score(input_ids[mine], states[mine])
            for part, scores in zip(round_, self.ranks.gather(scored), strict=False):
                self._record(input_ids[part], states[part], keys[part], scores, step)

    def _score(self, ids: np.ndarray, states: np.ndarray) -> Scores:
        """Run the target on one batch of changed inputs and score it with the reward plugin."""
        start = time.perf_counter()
        with one_thread(self.task.target.device):  # many small kernels: see ffade.threads
            inputs, references = self.changes.build(ids, states)
        built = time.perf_counter()
        with torch.inference_mode():
            outputs = predicted(self.task.target, inputs, len(ids))
            clean = self._clean(ids) if self.task.reward.needs_clean_outputs else None
            with one_thread(self.task.target.device):
                scores = score_batch(self.task.reward, outputs, references, len(ids), clean)
        metrics, rewards = scores.metric.tolist(), scores.reward.tolist()  # waits for a GPU
        self.concept_seconds += built - start
        self.model_seconds += time.perf_counter() - built
        if self.recorder is not None and not self._hooks_tried:  # a search's examples' hooks
            raw = [self.task.inputs[int(i)][1] for i in ids]
            check_example_hooks(self.task, inputs, outputs, references, raw)
            self._hooks_tried = True
        # NaN metric or NaN / inf reward: neither a pass nor a failure. An infinite metric alone
        # stays valid: a margin may be unbounded
        invalid = np.isnan(np.asarray(metrics, np.float64)) | ~np.isfinite(
            np.asarray(rewards, np.float64)
        )
        return Scores(metrics, rewards, scores.failed.tolist(), invalid.tolist())

    def _record(
        self, ids: np.ndarray, states: np.ndarray, keys: np.ndarray, scores: Scores, step: int
    ) -> None:
        """Memoize, count and log one scored batch (on every rank; the log only where kept)."""
        metrics, rewards, failed = scores.metric, scores.reward, scores.failed
        invalid = np.asarray(scores.invalid, bool)
        paid = rewards
        warn_now = bool(invalid.any()) and not self.invalid  # warned once the batch is kept
        if invalid.any():  # neither failed nor paid: no NaN reaches a learner
            self._invalid_now.update(keys[invalid].tolist())
            failed = (np.asarray(failed, bool) & ~invalid).tolist()
            paid = np.where(invalid, 0.0, rewards).tolist()
        lines = None  # encoded only where the log is kept (rank 0)
        if self.recorder is not None:
            lines = list(
                self._encoder.lines(
                    step, ids.tolist(), states.tolist(), metrics, rewards, failed, invalid.tolist()
                )
            )
        # counted with its batch, just before its lines are written: a Ctrl-C in the log's
        # fsync (the slow part, after the write) still leaves the summary counting the log
        results = zip(metrics, paid, failed, strict=True)
        self.memo.update(zip(keys.tolist(), results, strict=True))
        if self._evaluated is not None:
            self._evaluated.add(keys)
        self.failures += sum(failed)
        self.invalid += int(invalid.sum())
        self.evaluations += len(ids)
        if self.failure_listeners and any(failed):
            rows = np.asarray(failed, bool)
            for listener in self.failure_listeners:
                listener(ids[rows], states[rows])
        if lines is not None:
            self.recorder.append_lines(lines)
        if warn_now:  # after its batch is recorded: a warning made an error keeps it
            self._warn_invalid(invalid, metrics, rewards, ids, states)

    def _warn_invalid(
        self,
        invalid: np.ndarray,
        metrics: list[float],
        rewards: list[float],
        ids: np.ndarray,
        states: np.ndarray,
    ) -> None:
        """Say once per run (and once, on rank 0, under data parallelism) what was not valid:
        a NaN metric (NaN outputs, or the reward's arithmetic), else a NaN or infinite reward;
        kept in ``first_invalid`` (warned or not) for an error that outlives the terminal.
        Called once its batch is recorded: ``python -W error`` makes the warning an exception
        that ends the run, and the batch it is about stays in the log and the counts."""
        row = int(np.argmax(invalid))
        reward, target = self.task.reward, self.task.target
        name = plugin_label(reward)
        what = f"reward '{name}' gave reward {rewards[row]} for metric {metrics[row]}"
        if math.isnan(metrics[row]):  # NaN outputs, or the reward's own arithmetic
            of = plugin_label(target)
            what = f"reward '{name}' scored the outputs of target '{of}' as metric nan"
        split_id = ids[row] if self.split_ids is None else self.split_ids[ids[row]]
        where = f"input {int(split_id)} at {self.space.values(states[row])}"
        score = "metric nan" if math.isnan(metrics[row]) else f"reward {rewards[row]}"
        self.first_invalid = f"{where}, {score}"
        if not self.warn_invalid or not self.ranks.is_global_zero:
            return
        warnings.warn(
            f"{what} (not a finite number) on {where}; such evaluations count as 'invalid' "
            "(summary.json), not as passes or failures",
            FfadeWarning,
            stacklevel=2,
        )

    def _clean(self, ids: np.ndarray) -> Any:
        """The target's outputs on the unchanged inputs, computed once per input."""
        if self._clean_outputs is None:
            self._clean_outputs = [None] * self.num_inputs
        missing = [int(i) for i in ids if self._clean_outputs[int(i)] is None]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            inputs, _ = self.changes.unchanged(chunk)
            outputs = predicted(self.task.target, inputs, len(chunk))
            for j, i in enumerate(chunk):
                self._clean_outputs[i] = take(outputs, [j])
        return concat([self._clean_outputs[int(i)] for i in ids])
