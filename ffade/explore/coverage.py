"""How many failing (input, state) pairs has a run not found yet? Random probes, kept apart.

At the start of a run a seeded, uniform sample of all (input, state) pairs (the *probes*) is
evaluated on the target apart from the run: not logged, not memoized, not counted against the
budget, and never shown to the explorer. Because the explorer cannot see them, the probes that
it has not evaluated itself by step t are a uniform random sample of the pairs it has not
evaluated by step t (whatever the explorer chose, it chose without knowing the probes). So at
any step, with ``m`` such probes of which ``k`` failed and ``U`` pairs not yet evaluated, the
failing pairs the run has not found are ``F = p * U`` for the failing share ``p`` of those
pairs, and a Clopper-Pearson 95% interval for ``p`` from ``k`` of ``m`` bounds ``F``. Sampling
without replacement only narrows the truth around the binomial's, so the interval is
conservative; docs/gate.md gives the measured hit rate against exhaustive ground truth.

The probes cost ``coverage_probes`` times the budget in extra target evaluations (5% by default);
the evaluations log and every count of the run stay what they were without them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import torch
from scipy.special import betaincinv

from ffade.env import Evaluator
from ffade.rng import torch_random_kept

CONFIDENCE = 0.95
"""The interval's coverage: two-sided Clopper-Pearson."""


@dataclass(frozen=True)
class RemainingEstimate:
    """Failing pairs not found yet: a point estimate and a 95% interval, with its evidence.

    Attributes:
        estimate: the failing share of the probes the explorer has not evaluated, times the
            pairs it has not evaluated; None when no such probe is left to say anything.
        low: lower end of the 95% interval.
        high: upper end of the 95% interval.
        probes: probes among the pairs not evaluated yet (the sample the estimate rests on).
        probe_failures: how many of those failed.
        unevaluated: (input, state) pairs the run has not evaluated.
    """

    estimate: float | None
    low: float
    high: float
    probes: int
    probe_failures: int
    unevaluated: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": None if self.estimate is None else round(self.estimate, 1),
            "low": round(self.low, 1),
            "high": round(self.high, 1),
            "confidence": CONFIDENCE,
            "method": "uniform random probes, Clopper-Pearson interval x unevaluated pairs",
            "probes": self.probes,
            "probe_failures": self.probe_failures,
            "unevaluated_pairs": self.unevaluated,
        }

    def scalars(self) -> dict[str, float]:
        """TensorBoard's view: the estimate (once there is one) and the interval's ends."""
        scalars = {
            "discovery/estimated_remaining_low": self.low,
            "discovery/estimated_remaining_high": self.high,
        }
        if self.estimate is not None:
            scalars["discovery/estimated_remaining"] = self.estimate
        return scalars


def clopper_pearson(successes: int, trials: int) -> tuple[float, float]:
    """The exact (Clopper-Pearson) two-sided interval for a binomial proportion.

    The beta quantiles come from ``scipy.special.betaincinv``, which ``scipy.stats.beta.ppf``
    calls after checking its arguments: the same numbers, 0.003 ms a call instead of 0.18, and
    two are taken at every step of a run."""
    if trials == 0:
        return 0.0, 1.0
    tail = (1 - CONFIDENCE) / 2
    failures = trials - successes
    low = 0.0 if successes == 0 else betaincinv(successes, failures + 1, tail)
    high = 1.0 if failures == 0 else betaincinv(successes + 1, failures, 1 - tail)
    return float(low), float(high)


def remaining_failures(probe_failures: int, probes: int, unevaluated: int) -> RemainingEstimate:
    """Scale the probes' failing share and its interval to the unevaluated pairs."""
    low, high = clopper_pearson(probe_failures, probes)
    estimate = None if probes == 0 else probe_failures / probes * unevaluated
    if unevaluated == 0:  # everything evaluated: nothing can remain
        estimate, low, high = 0.0, 0.0, 0.0
    return RemainingEstimate(
        estimate, low * unevaluated, high * unevaluated, probes, probe_failures, unevaluated
    )


class CoverageProbes:
    """The probes of one run: drawn and evaluated once, then read at every step.

    Each step's estimate looks up only the pairs evaluated since the last one among the probes
    (a sorted array, searched in bulk), not every probe in the memo: on a grid too large for the
    evaluator's bitmap that was a Python loop over every probe at every step (50,000 for a budget
    of 1,000,000), which slowed a large run more than its target did.

    Args:
        evaluator: the run's evaluator; the probes use its task and changed inputs, never its
            memo, budget or log.
        count: probes to draw (at most every pair there is).
        seed: the run's seed; the probes use a generator of their own, so the explorer's random
            draws are those of a run without probes.

    Attributes:
        lookups: pair keys looked up so far to keep the estimate current (the work it costs).
    """

    def __init__(self, evaluator: Evaluator, count: int, seed: int) -> None:
        self.evaluator = evaluator
        self.total_pairs = evaluator.num_inputs * evaluator.space.num_states
        count = min(count, self.total_pairs)
        rng = np.random.default_rng([seed, 0xC0FE])
        self.keys = np.sort(rng.choice(self.total_pairs, count, replace=False))
        self.failed = np.zeros(count, bool)
        self.invalid = np.zeros(count, bool)  # neither a pass nor a failure: not a probe
        self.evaluated = False
        self.lookups = 0
        self._seen = np.zeros(count, bool)  # probes the explorer has evaluated itself
        self._memo: dict[int, Any] | None = None  # the memo read into _seen, and its length then
        self._memo_read = 0
        self._left = self._left_failed = 0  # probes not seen and valid, and which of them failed

    def evaluate(self, batch_size: int, timed: bool = True) -> None:
        """Run the target on the probes, off the record; the torch random state is kept.

        ``evaluated`` is set only once their outcomes are in: a target that raised on them (or a
        Ctrl-C) left every probe read as a pass, and summary.json of the failed run estimated 0.
        ``timed`` False leaves their time out of the run's ``model_seconds`` and
        ``concept_seconds``: a run resumed from a checkpoint evaluates them again, and the
        checkpoint's times already count them once.
        """
        if not len(self.keys):
            self.evaluated = True
            return
        apart = Evaluator(  # the run's changed inputs: kept on the device, probed once
            self.evaluator.task,
            batch_size,
            ranks=self.evaluator.ranks,
            warn_invalid=False,
            changes=self.evaluator.changes,
        )
        num_states = self.evaluator.space.num_states
        input_ids, flat = np.divmod(self.keys, num_states)
        with torch_random_kept(self.evaluator.task.target.device):
            outcome = apart.evaluate(input_ids, self.evaluator.space.unflat(flat))
        self.failed, self.invalid = outcome.failed, outcome.invalid
        self._memo = None  # counted anew with these outcomes
        if timed:
            self.evaluator.model_seconds += apart.model_seconds  # in the run's loop time too
            self.evaluator.concept_seconds += apart.concept_seconds
        self.evaluated = True

    def outcomes(self) -> dict[str, torch.Tensor] | None:
        """What a checkpoint keeps of the probes: which failed and which were invalid, once in."""
        if not self.evaluated:
            return None
        return {
            "failed": torch.from_numpy(np.array(self.failed, bool)),
            "invalid": torch.from_numpy(np.array(self.invalid, bool)),
        }

    def resume(self, outcomes: dict[str, torch.Tensor] | None, batch_size: int) -> None:
        """A run resumed from a checkpoint takes the probes' outcomes it holds; evaluated them
        again (5% of the budget on the target) before its first step, as it still does from a
        checkpoint saved before they were kept, off the clock: its times count them once."""
        if outcomes is None or len(outcomes["failed"]) != len(self.keys):
            self.evaluate(batch_size, timed=False)
            return
        self.failed = outcomes["failed"].numpy().astype(bool)
        self.invalid = outcomes["invalid"].numpy().astype(bool)
        self._memo = None  # counted anew with these outcomes
        self.evaluated = True

    def estimate(self) -> RemainingEstimate:
        """The remaining-failure estimate from the probes the explorer has not evaluated."""
        self._catch_up()
        unevaluated = self.total_pairs - self.evaluator.evaluations
        return remaining_failures(self._left_failed, self._left, unevaluated)

    def _catch_up(self) -> None:
        """Mark the probes among the pairs the memo gained since the last call as seen.

        The memo only grows, in the order pairs were evaluated, so they are its last entries. A
        memo replaced (a restored checkpoint) or probe outcomes new since the last call: every
        probe is looked up once more and the counts are taken anew."""
        memo = self.evaluator.memo
        new = len(memo) - self._memo_read
        if memo is not self._memo or new < 0:
            self._seen = self.evaluator.is_evaluated(self.keys)
            self.lookups += len(self.keys)
            # an invalid probe (NaN metric or reward) counted as a pass pulled the estimate down
            left = ~self._seen & ~self.invalid
            self._left, self._left_failed = int(left.sum()), int(self.failed[left].sum())
        elif new and len(self.keys):
            added = np.fromiter(islice(reversed(memo), new), np.int64, new)
            rows = np.minimum(np.searchsorted(self.keys, added), len(self.keys) - 1)
            rows = rows[(self.keys[rows] == added) & ~self._seen[rows]]  # memo keys are unique
            self.lookups += new
            self._seen[rows] = True
            valid = rows[~self.invalid[rows]]
            self._left -= len(valid)
            self._left_failed -= int(self.failed[valid].sum())
        self._memo, self._memo_read = memo, len(memo)


def probe_count(share: float, budget: int) -> int:
    """Probes for a share of the budget: ``ceil(share * budget)``; 0 turns the estimate off."""
    return math.ceil(share * budget) if share > 0 else 0
