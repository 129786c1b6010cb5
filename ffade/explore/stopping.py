"""``stop_when``: end a search early once it has stopped paying, and say why.

A rule is one comparison, ``QUANTITY < NUMBER`` (or ``<=``):

- ``new_failures_per_1000``: new failing pairs found per 1,000 evaluations over the latest whole
  steps that hold at least 1,000 evaluations (a rate, not a count: steps come in batches); judged
  only once 1,000 evaluations have been made, so a run never stops on a short start.
- ``estimated_remaining``: the upper end of the 95% interval of failing pairs not found yet
  (:mod:`ffade.explore.coverage`): the search stops once it is sure few remain, not when the
  point estimate merely happens to be small.

Anything else is refused when the explorer is built, with one line saying what is allowed.
"""

from __future__ import annotations

import math
import operator
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lightning.pytorch.callbacks import Timer

from ffade.errors import FfadeError
from ffade.explore.coverage import RemainingEstimate
from ffade.explore.reachable import reachable_states, unreached_pairs
from ffade.plugin_names import plugin_label

WINDOW = 1000
"""Evaluations ``new_failures_per_1000`` looks back over."""
QUANTITIES = ("new_failures_per_1000", "estimated_remaining")
TRAINER_STOPPED = "Lightning's Trainer stopped it"
"""How ``stop_reason`` starts when the search itself saw no reason to end: the budget is not
spent; :func:`trainer_stop_reason` adds which limit, where the Trainer shows it."""
SOME_LIMIT = "a trainer limit such as max_time, or a callback"
"""The limit named when none of max_steps, max_epochs and max_time was reached: a callback."""


def stopped_by_trainer(reason: object) -> bool:
    """Whether a summary's ``stop_reason`` says the Trainer stopped the search (older runs'
    reason, which named no limit, included): its budget is not spent, so it can go on."""
    return isinstance(reason, str) and reason.startswith(TRAINER_STOPPED)


def trainer_stop_reason(trainer: Any) -> str:
    """``stop_reason`` for a search the Trainer ended: the limit it reached (``max_steps 4``),
    not a list of what it might have been, which told a user who gave ``--trainer.max_steps``
    of max_time or a callback."""
    limit = SOME_LIMIT
    max_steps, max_epochs = getattr(trainer, "max_steps", -1), getattr(trainer, "max_epochs", None)
    timer = next((c for c in getattr(trainer, "callbacks", []) if isinstance(c, Timer)), None)
    # an epoch is the whole search unless limit_train_batches ends it: any stop mid-epoch (the
    # Timer's too) still counts the epoch done, so max_time was told as "max_epochs 1"
    epochs_end = math.isfinite(getattr(trainer, "num_training_batches", math.inf))
    if max_steps not in (None, -1) and trainer.global_step >= max_steps:
        limit = f"trainer.max_steps {max_steps}"
    elif timer is not None and timer.time_remaining() is not None and timer.time_remaining() <= 0:
        limit = "trainer.max_time"
    elif epochs_end and max_epochs not in (None, -1) and trainer.current_epoch >= max_epochs:
        limit = f"trainer.max_epochs {max_epochs}"
    return f"{TRAINER_STOPPED} ({limit})"


ALL_INVALID_LIMIT = 32
"""Evaluations, every one invalid, after which a search stops as failed (or fewer, when the search
ends sooner): a reward that can score nothing would spend the budget finding nothing. A reward
invalid only somewhere is valid on one of them all but surely, and its search goes on."""
OPERATORS = {"<": operator.lt, "<=": operator.le}
_RULE = re.compile(r"\s*([a-z_0-9]+)\s*(<=|<)\s*([0-9]+(?:\.[0-9]+)?)\s*")


@dataclass(frozen=True)
class StopRule:
    """A parsed ``stop_when``: which quantity, which comparison, against what."""

    quantity: str
    operator: str
    limit: float

    def met(self, value: float | None) -> bool:
        """Whether the rule ends the search at ``value`` (None: not known yet, go on)."""
        return value is not None and OPERATORS[self.operator](value, self.limit)

    def reason(self, value: float) -> str:
        """The sentence summary.json keeps, e.g. "stop_when: new_failures_per_1000 = 3 < 5"."""
        return f"stop_when: {self.quantity} = {value:g} {self.operator} {self.limit:g}"


def parse_stop_rule(text: str | None, probes: bool = True) -> StopRule | None:
    """Parse a ``stop_when`` string strictly; None when there is none.

    ``probes``: whether the run has coverage probes, without which ``estimated_remaining`` is
    never known.
    """
    if text is None:
        return None
    match = _RULE.fullmatch(str(text))
    allowed = (
        f"'QUANTITY < NUMBER' (or <=) with QUANTITY one of {', '.join(QUANTITIES)} and NUMBER "
        "written in digits, from 0 (5, 0.5)"
    )
    if match is None:
        raise FfadeError(f"model.init_args.stop_when {text!r} is not a rule; write {allowed}")
    quantity, op, limit = match.groups()
    if quantity not in QUANTITIES:
        raise FfadeError(
            f"model.init_args.stop_when: unknown quantity {quantity!r}; write {allowed}"
        )
    if op == "<" and float(limit) == 0:  # both are counts or rates, never below 0
        raise FfadeError(
            f"model.init_args.stop_when {text!r} can never hold: {quantity} is never below 0, "
            f"so the rule would never end the search; write '{quantity} <= 0' to stop when it "
            "reaches 0, or a limit above 0"
        )
    if quantity == "estimated_remaining" and not probes:
        raise FfadeError(f"model.init_args.stop_when {text!r} needs coverage_probes above 0")
    return StopRule(quantity, op, float(limit))


class RecentFailures:
    """New failures per evaluation over a sliding window of the last ``WINDOW`` evaluations."""

    def __init__(self, steps: Iterable[tuple[int, int]] = ()) -> None:
        """``steps``: (evaluations, new failures) of each step so far, oldest first: a resumed
        run's window, as its checkpoint or its log holds it, so it is judged as if never
        stopped (an empty window waited 1,000 evaluations more before judging again)."""
        self._steps: deque[tuple[int, int]] = deque()  # (evaluations, new failures) per step
        self._evaluations = 0
        self._failures = 0
        for evaluations, new_failures in steps:
            self.add(int(evaluations), int(new_failures))

    def add(self, evaluations: int, new_failures: int) -> None:
        self._steps.append((evaluations, new_failures))
        self._evaluations += evaluations
        self._failures += new_failures
        # drop whole steps while the rest still covers the window
        while self._steps and self._evaluations - self._steps[0][0] >= WINDOW:
            old_evaluations, old_failures = self._steps.popleft()
            self._evaluations -= old_evaluations
            self._failures -= old_failures

    def steps(self) -> list[tuple[int, int]]:
        """The window's (evaluations, new failures) per step, oldest first: for checkpoints."""
        return list(self._steps)

    @classmethod
    def from_records(cls, records: Iterable[Any]) -> RecentFailures:
        """The window of a log's records (each with ``step`` and ``failed``), in log order."""
        steps: dict[int, list[int]] = {}
        for record in records:
            counts = steps.setdefault(int(record.step), [0, 0])
            counts[0] += 1
            counts[1] += int(bool(record.failed))
        return cls((evaluations, failed) for evaluations, failed in steps.values())

    def per_1000(self) -> float | None:
        """Failures per 1,000 evaluations over the window; None until it holds 1,000."""
        if self._evaluations < WINDOW:
            return None
        return 1000 * self._failures / self._evaluations


def rule_value(
    rule: StopRule, recent: RecentFailures, remaining: RemainingEstimate | None
) -> float | None:
    """The quantity a rule compares, now; None when it cannot be known (yet)."""
    if rule.quantity == "new_failures_per_1000":
        return recent.per_1000()
    if remaining is None:
        return None
    return remaining.high


def search_stop_reason(explorer: Any) -> str | None:
    """Why an :class:`~ffade.explore.base.Explorer`'s search should end now (summary.json's
    ``stop_reason``); None: go on."""
    evaluator, h = explorer.evaluator, explorer.hparams
    if evaluator.remaining == 0:
        return "budget spent"
    if evaluator.evaluations >= evaluator.num_inputs * explorer.space.num_states:
        return "every (input, state) pair evaluated"
    if explorer.mode == "microscopic":  # episodes of max_steps moves reach only so far
        # said at once: it idled max_idle_steps (200) more steps first, finding nothing new
        near = reachable_states(explorer.space.sizes, explorer.env.start_state, h.max_steps)
        if evaluator.evaluations >= evaluator.num_inputs * near:
            return (
                f"every (input, state) pair within max_steps ({h.max_steps}) of the start "
                "state evaluated"
            )
        if explorer.reached_inputs.all_reached(evaluator, explorer.env.start_state, h.max_steps):
            return (
                "every (input, state) pair its episodes can reach evaluated (failures end them "
                f"short of the rest within max_steps ({h.max_steps}) of the start state)"
            )
    if explorer.idle_steps >= h.max_idle_steps:
        steps = f"{explorer.idle_steps} step" + ("s" if explorer.idle_steps != 1 else "")
        return f"{steps} without a new evaluation (max_idle_steps)"
    rule = explorer.stop_rule
    if rule is not None:
        remaining = explorer.probes.estimate() if explorer.probes is not None else None
        value = rule_value(rule, explorer.recent_failures, remaining)
        if rule.met(value):
            return rule.reason(value)
    return None


def check_some_valid(explorer: Any) -> None:
    """Refuse to go on searching when every evaluation so far is invalid (a NaN metric, or a NaN
    or infinite reward) and there are ``ALL_INVALID_LIMIT`` of them, or the search is over: the
    run fails, its records kept, instead of spending its budget to report "no failures found"."""
    evaluator = explorer.evaluator
    if not evaluator.evaluations or evaluator.invalid < evaluator.evaluations:
        return
    if evaluator.evaluations < ALL_INVALID_LIMIT and search_stop_reason(explorer) is None:
        return
    task = evaluator.task
    # the whole story in the one line, as summary.json's ``error`` keeps it without the warning
    first = f" (the first: {evaluator.first_invalid})" if evaluator.first_invalid else ""
    raise FfadeError(
        f"reward '{plugin_label(task.reward)}' gave no valid score to target "
        f"'{plugin_label(task.target)}' in all of its first {evaluator.evaluations} "
        "evaluations (each a NaN metric, or a NaN or infinite reward), so the search stopped: "
        f"check that the target's outputs are finite numbers the reward can score{first}"
    )


def stop_rule_notes(rule: StopRule | None, payable: int) -> list[str]:
    """A note when ``new_failures_per_1000`` can never be judged because the run makes fewer
    evaluations than its window holds (``payable``: the budget, or every pair if fewer): the
    rule would otherwise be ignored in silence."""
    if rule is None or rule.quantity != "new_failures_per_1000" or payable >= WINDOW:
        return []
    text = f"{rule.quantity} {rule.operator} {rule.limit:g}"
    return [
        f"stop_when '{text}' is judged over the latest {WINDOW:,} evaluations, and this run "
        f"makes at most {payable}: it never ends this search"
    ]


IDLE_NOTE_SHARE = 10
"""A streak of ``max_idle_steps // IDLE_NOTE_SHARE`` idle steps is said as it happens (a
``max_idle_steps`` under ``IDLE_NOTE_SHARE`` ends its wait too soon to need saying)."""


def idle_started_notes(explorer: Any) -> list[str]:
    """A note, once a run, when a tenth of ``max_idle_steps`` steps in a row evaluated nothing
    new: random search on a grid it has nearly used up drew pairs evaluated already for a minute
    until ``max_idle_steps`` ended it, its bar standing still and nothing said. It names what
    repeats: uniform draws (macroscopic), or episodes re-walking their way out (microscopic)."""
    h, evaluator = explorer.hparams, explorer.evaluator
    streak = h.max_idle_steps // IDLE_NOTE_SHARE
    if streak < 1 or explorer.idle_steps != streak or explorer.idle_noted:
        return []
    explorer.idle_noted = True
    total = evaluator.num_inputs * explorer.space.num_states
    # uniform draws repeat pairs; microscopic episodes walk back over states on their way out
    repeats = (
        "its episodes keep walking over states evaluated already"
        if explorer.mode == "microscopic"
        else "the search keeps drawing those"
    )
    return [
        f"{streak} steps in a row evaluated nothing new ({evaluator.evaluations:,} of the "
        f"{total:,} (input, state) pairs are evaluated and {repeats}): it "
        f"ends after max_idle_steps ({h.max_idle_steps}) such steps in a row unless a new pair "
        "comes first; a smaller max_idle_steps ends such a wait sooner"
    ]


def idle_stop_notes(explorer: Any) -> list[str]:
    """A note when ``max_idle_steps`` ended a microscopic search short of states its episodes
    could still reach: how many pairs were left, how far out, and why; the stop reason alone
    read as if the search had run dry."""
    h = explorer.hparams
    if explorer.mode != "microscopic" or explorer.idle_steps < h.max_idle_steps:
        return []
    count, near, far = unreached_pairs(explorer.evaluator, explorer.env.start_state, h.max_steps)
    if not count:
        return []
    moves = f"{near} move" if near == far else f"{near} to {far} moves"
    return [
        f"max_idle_steps ({h.max_idle_steps}) ended the search with {count:,} (input, state) "
        f"pair{'s' if count != 1 else ''} its episodes could still reach never evaluated, "
        f"{moves}{'s' if near == far != 1 else ''} from the start state: episodes of at most "
        f"max_steps ({h.max_steps}) moves kept walking over states evaluated already and seldom "
        "went that far; a smaller max_idle_steps ends such a search sooner"
    ]


def nothing_searched_notes(explorer: Any) -> list[str]:
    """A note when ``stop_when`` ends a search before its first evaluation (the coverage probes'
    upper end already below an ``estimated_remaining`` limit): otherwise the run ends with 0
    evaluations and only ``stop_reason`` hints at why nothing was searched."""
    rule = explorer.stop_rule
    if rule is None or explorer.evaluator.evaluations or explorer.probes is None:
        return []
    value = rule_value(rule, explorer.recent_failures, explorer.probes.estimate())
    if not rule.met(value):
        return []
    return [
        f"stop_when '{rule.quantity} {rule.operator} {rule.limit:g}' held before the first "
        f"evaluation (the coverage probes alone put the failing pairs left at most {value:g}, "
        "the 95% interval's upper end), so "
        f"nothing was searched; to search, set stop_when's limit below {value:g} or drop it"
    ]
