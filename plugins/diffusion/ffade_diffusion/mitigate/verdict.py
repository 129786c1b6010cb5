"""The LoRA fine-tuner's verdict in its reward's units, and the LoRA files an accepted fix leaves.

A judge's clean score is an accuracy, CLIP score's a mean cosine (no share, so not said in
points); an accepted fix is saved in diffusers' LoRA format, which
``pipeline.load_lora_weights(dir)`` loads unchanged, and named as the target's ``lora_weights``.
Kept apart from the training in :mod:`ffade_diffusion.mitigate.lora`, which subclasses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from typing_extensions import override

from ffade.mitigate.base import FineTuner
from ffade.mitigate.verdict import clean_change_reason
from ffade_diffusion.mitigate.adapters import LORA_MODULES, save_lora

LORA_DIR = "lora"


class LoRAVerdict(FineTuner):
    """What a LoRA fine-tune reports and keeps; subclasses train the adapters (``self.network``
    is the UNet with them, ``self.hparams.rank`` their rank)."""

    @property
    def _graded(self) -> bool:
        """Whether the reward is CLIP score, whose clean score is a mean cosine, not accuracy."""
        return self.plan.task_spec["reward"]["name"] == "clip_score"

    @property
    def clean_metric(self) -> str:  # type: ignore[override]
        """The reward's clean score, as mitigation.json's ``clean_metric`` and the verdict's
        reason (the closing ``why:`` line) both name it: the base's "accuracy" said "clean
        accuracy" of a judge's accuracy. "accuracy" while ``FineTuner.__init__`` checks its
        values, before the run (and so its reward) is read."""
        if "plan" not in self.__dict__:
            return FineTuner.clean_metric
        return "mean CLIP cosine" if self._graded else "judge accuracy"

    @override
    def clean_tolerance_means(self) -> str:
        """In the reward's units, as the README says them: the base's "the most accuracy a fix
        may lose, 0.01 = one point" was wrong for a CLIP score, a mean cosine (the run, and so
        its reward, is read only after the arguments are checked)."""
        return (
            "the most clean score a fix may lose, in its reward's units: judge accuracy, 0.01 = "
            "one point, or mean CLIP cosine with clip_score"
        )

    @override
    def clean_correct(self, outputs: Any, references: Any) -> torch.Tensor:
        """Judge: right or wrong per image; CLIP score: the cosine itself (a graded score). An
        image a diverged fix turned to NaN scores nothing: wrong, or a cosine of 0."""
        scores = self.task.reward.score(outputs, references)
        if self._graded:
            return scores.metric.masked_fill(scores.metric.isnan(), 0.0)
        return (~scores.judged_failed()).float()

    @override
    def reason(self, accepted: bool) -> str:
        """The verdict in the reward's units: a mean CLIP cosine is no share, so not in points."""
        if not self._graded:
            return super().reason(accepted)
        change = self.after.clean_accuracy - self.before.clean_accuracy
        what, tolerance = "mean CLIP cosine on clean prompts", self.hparams.clean_tolerance
        return clean_change_reason(what, change, tolerance, accepted, decimals=4)

    @override
    def keep_or_undo(self, accepted: bool) -> Path | None:
        """Save an accepted fix in diffusers' LoRA format; else switch the adapters off."""
        if not accepted:
            self.network.disable_adapters()
            return None
        return save_lora(self.network, self.target.pipeline, self.run_dir / LORA_DIR)

    @override
    def _fixed_target(self, weights: Path | None) -> dict[str, Any]:
        return self.plan.fixed_target("lora_weights", weights)

    @override
    def mitigation_record(self, accepted: bool, weights: Path | None) -> dict[str, Any]:
        result = super().mitigation_record(accepted, weights)
        result["clean_score_before"] = result["clean_accuracy_before"]
        result["clean_score_after"] = result["clean_accuracy_after"]
        # alpha as the adapters were built (null: the rank), so the record says their scale
        h = self.hparams
        result["lora"] = {"rank": h.rank, "alpha": h.alpha or h.rank}
        result["lora"]["target_modules"] = list(LORA_MODULES)
        result["guard"]["definitions"]["clean_accuracy"] = (
            f"{self.clean_metric} on held-out prompts with no concept changed (also clean_score_*)"
        )
        return result
