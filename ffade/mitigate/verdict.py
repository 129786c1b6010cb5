"""A fine-tune's verdict: accept or reject the fix, keep or undo it, and say so in mitigation.json.

Split from :mod:`ffade.mitigate.base`, which builds and trains; this is what happens once the
guard has measured the model after training. :class:`FixVerdict` is the first base of
:class:`~ffade.mitigate.base.FineTuner` (import it from there) and reads what the fine-tuner
keeps (the guard's results before and after, the plan, the network and its original weights).
Subclasses may say the verdict in their own units (:meth:`FixVerdict.reason`), save their fix
their own way (:meth:`FixVerdict.keep_or_undo`) or add to the record
(:meth:`FixVerdict.mitigation_record`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ffade.explore.stopping import stopped_by_trainer
from ffade.fixed_files import FIXED_FILES, fixed_files
from ffade.mitigate.evidence import targeted_change
from ffade.mitigate.guard import GuardPairs, GuardResult, region_failure_rates, relative_change
from ffade.mitigate.plan import MitigationPlan
from ffade.records import atomic_path
from ffade.shown_numbers import shares_told_apart, told_apart
from ffade.task import Task

MODEL_FILE = "model.pt"


class FixVerdict:
    """The verdict of :class:`~ffade.mitigate.base.FineTuner`, which sets every attribute named
    here (and, through Lightning, ``hparams``, ``current_epoch`` and ``global_step``)."""

    name: str
    clean_metric: str
    hparams: Any
    plan: MitigationPlan
    task: Task | None
    network: torch.nn.Module | None
    before: GuardResult | None
    after: GuardResult | None
    run_dir: Path | None
    current_epoch: int
    global_step: int
    global_rank: int
    _pairs: GuardPairs | None
    _original: dict[str, torch.Tensor] | None
    _left_out: dict[str, Any]
    stop_reason: str | None
    hyperparameters: Any  # RunModule's
    elapsed_seconds: Any  # RunModule's

    def clean_tolerance_means(self) -> str:
        """What ``clean_tolerance`` is, in ``clean_metric``'s units, for the line that refuses
        it: said as the fine-tuner is built, before the run (and so its reward) is read."""
        return f"the most {self.clean_metric} a fix may lose, 0.01 = one point"

    def decide(self) -> dict[str, Any]:
        """Judge the fix, keep or undo it, and return what mitigation.json says of it."""
        accepted = self.accepts_fix()
        # rank 0 saves the fix, every rank undoes a rejected one; another rank's record (the
        # same verdict, no weights file) is not written
        saves = self.global_rank == 0 or not accepted
        weights = self.keep_or_undo(accepted) if saves else None
        return self.mitigation_record(accepted, weights)

    def accepts_fix(self) -> bool:
        """The verdict: a fix must lower the targeted failure rate, and may cost at most
        ``clean_tolerance`` of clean accuracy (one that fixed nothing is no fix to keep)."""
        return self.keeps_clean_accuracy() and self.lowers_targeted_rate()

    def keeps_clean_accuracy(self) -> bool:
        """Whether the fix lost at most ``clean_tolerance`` of clean accuracy."""
        loss = self.before.clean_accuracy - self.after.clean_accuracy
        return loss <= self.hparams.clean_tolerance + 1e-12

    def lowers_targeted_rate(self) -> bool:
        """Whether the targeted failure rate on the guard's pairs fell at all."""
        return self.after.targeted_failure_rate < self.before.targeted_failure_rate

    def verdict_reason(self, accepted: bool) -> str:
        """mitigation.json's ``reason``: the clean side in the subclass's units (:meth:`reason`),
        or, for a fix that kept clean accuracy, that it did not lower the targeted rate."""
        if accepted or not self.keeps_clean_accuracy():
            return self.reason(accepted)
        rates = shares_told_apart(
            self.before.targeted_failure_rate, self.after.targeted_failure_rate
        )
        return (
            f"targeted failure rate did not drop ({' -> '.join(rates)}); the original model is kept"
        )

    def reason(self, accepted: bool) -> str:
        """The clean side of the verdict in words and numbers, named by ``clean_metric`` as the
        closing line names it (a fine-tuner's "sign accuracy" is no classifier's accuracy): an
        accuracy in points, any other score as a number in its own units (subclasses may say
        it otherwise); ``accepted`` False means it fell more than the tolerance."""
        change = self.after.clean_accuracy - self.before.clean_accuracy  # not -loss: no "-0.00"
        what, tolerance = f"clean {self.clean_metric}", self.hparams.clean_tolerance
        if self.clean_metric.endswith("accuracy"):
            return clean_change_reason(what, 100 * change, 100 * tolerance, accepted, " points")
        return clean_change_reason(what, change, tolerance, accepted, decimals=3)

    def keep_or_undo(self, accepted: bool) -> Path | None:
        """Save an accepted fix as ``model.pt`` and return its path; else restore the original."""
        if not accepted:
            self.network.load_state_dict(self._original)
            return None
        weights = self.run_dir / MODEL_FILE
        with atomic_path(weights) as tmp:
            torch.save({k: v.detach().cpu() for k, v in self.network.state_dict().items()}, tmp)
        return weights

    def mitigation_record(self, accepted: bool, weights: Path | None) -> dict[str, Any]:
        """mitigation.json: the verdict, the guard's numbers before and after, and the fix."""
        before, after = self.before, self.after
        fixed = self._fixed_target(weights)
        return {
            "status": "accepted" if accepted else "rejected",
            "accepted": accepted,
            "reason": self.verdict_reason(accepted),
            "clean_metric": self.clean_metric,
            "stop_reason": self.stop_reason,
            "stopped_early": stopped_by_trainer(self.stop_reason),
            **before.as_dict("before"),
            **after.as_dict("after"),
            "clean_accuracy_change": after.clean_accuracy - before.clean_accuracy,
            "targeted_failure_rate_relative_change": relative_change(
                before.targeted_failure_rate, after.targeted_failure_rate
            ),
            "targeted_change": targeted_change(
                before.targeted_failed,
                after.targeted_failed,
                round(before.targeted_failure_rate * len(self._pairs.targeted_ids)),
            ),
            "untargeted_failure_rate_change": None
            if before.untargeted_failure_rate is None
            else after.untargeted_failure_rate - before.untargeted_failure_rate,
            "clean_tolerance": self.hparams.clean_tolerance,
            "run": str(self.plan.run_dir.resolve()),
            "feedback": str(self.plan.feedback_path.resolve()),
            "regions": region_failure_rates(self.plan.regions, before, after),
            "untargeted_by_value": self._pairs.untargeted_by_value(self.task.space, before, after),
            "guard": dict(self._pairs.describe(), left_out=self._left_out["heldout"]),
            "training": {
                "finetuner": self.name,
                "split": "finetune",
                "inputs": len(self.task.inputs),
                "left_out": self._left_out["finetune"],
                "clean_share": self.hparams.clean_share,
                "epochs": self.current_epoch,
                "steps": self.global_step,
                "hyperparameters": self.hyperparameters(),
            },
            "fixed_weights": None if weights is None else str(weights.resolve()),
            "fixed_target": fixed,
            FIXED_FILES: fixed_files(fixed, self.run_dir),  # a copied folder uses its own
            "wall_seconds": round(self.elapsed_seconds(), 3),
        }

    def _fixed_target(self, weights: Path | None) -> dict[str, Any]:
        """The run's target as a spec, loading the fixed weights when there are some."""
        return self.plan.fixed_target("weights", weights)


def clean_change_reason(
    what: str, change: float, tolerance: float, accepted: bool, unit: str = "", decimals: int = 2
) -> str:
    """The clean side of a verdict in words, in ``what``'s own units: "clean accuracy changed by
    -0.40 points, within the tolerance of 1.00", or "... fell 1.20 points, more than the
    tolerance of 1.00; the original model is kept". With more than ``decimals`` decimals where
    fewer would lie: a change reads "+0.00" only when there is none, and a fall past the
    tolerance never reads as equal to it ("fell 1.00 points, more than the tolerance of 1.00")."""
    if accepted:
        shown = told_apart(change, 0.0, decimals, lambda x, digits: f"{x:+.{digits}f}")[0]
        return f"{what} changed by {shown}{unit}, within the tolerance of {tolerance:.{decimals}f}"
    fell, limit = told_apart(-change, tolerance, decimals)
    return (
        f"{what} fell {fell}{unit}, more than the tolerance of {limit}; the original model is kept"
    )
