"""A fine-tune's verdict (ffade/mitigate/verdict.py): accept or reject the fix, keep or undo it,
and say so in mitigation.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ffade import registry
from ffade.mitigate import ClassifierFineTuner
from ffade.mitigate.verdict import clean_change_reason
from ffade.run_endings import before_after, run_ending
from tests.mitigate.conftest import KEYS, fine_tune


def test_mitigation_json_holds_the_six_numbers_and_the_verdict(accepted) -> None:
    result = json.loads((accepted.run_dir / "mitigation.json").read_text())
    for key in KEYS:
        assert 0.0 <= result[key] <= 1.0, key
    assert result["status"] == "accepted" and result["accepted"] is True
    assert result["guard"]["split"] == "heldout" and result["training"]["split"] == "finetune"
    assert result["guard"]["targeted_pairs"] <= 256
    assert result["training"]["steps"] == 2 * 2  # 64 inputs in batches of 32, two epochs
    summary = json.loads((accepted.run_dir / "summary.json").read_text())
    assert summary["status"] == "accepted" and summary["finetuner"] == "classifier"
    assert list(accepted.run_dir.glob("events.out.tfevents.*"))


def test_the_fixed_model_loads_through_the_targets_weights_argument(accepted) -> None:
    result = json.loads((accepted.run_dir / "mitigation.json").read_text())
    fixed = result["fixed_target"]
    assert fixed["name"] == "digits_cnn"
    assert fixed["args"]["weights"] == str((accepted.run_dir / "model.pt").resolve())
    state = torch.load(fixed["args"]["weights"], weights_only=True)
    assert set(state) == set(accepted.network.state_dict())
    target = registry.create("target", fixed["name"], fixed["args"])
    images = torch.rand(4, 1, 28, 28)
    accepted.network.eval()
    assert torch.allclose(target.predict(images), accepted.target.predict(images))


def test_a_fix_that_costs_clean_accuracy_is_rejected_and_undone(
    digits_run: Path, tmp_path: Path
) -> None:
    tuner = fine_tune(digits_run, tmp_path, learning_rate=5.0, clean_tolerance=0.0)
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    assert result["status"] == "rejected" and not result["accepted"]
    assert result["clean_accuracy_after"] < result["clean_accuracy_before"]
    assert "the original model is kept" in result["reason"] and result["clean_metric"] == "accuracy"
    assert result["fixed_weights"] is None
    assert result["fixed_target"] == {"name": "digits_cnn", "args": {}}
    assert not (tuner.run_dir / "model.pt").exists()
    original = registry.create("target", "digits_cnn").model.state_dict()
    for name, value in tuner.network.state_dict().items():
        assert torch.equal(value, original[name]), name


def test_a_fix_that_lowers_no_targeted_failure_rate_is_rejected_and_undone(
    digits_run: Path, tmp_path: Path
) -> None:
    """A fine-tune that changed nothing was "accepted" (clean accuracy kept, the targeted rate
    the same, 31.2% -> 31.2%): a user reads that as fixed. It is rejected, its weights undone."""
    tuner = fine_tune(digits_run, tmp_path, learning_rate=1e-12)
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    before, after = result["targeted_failure_rate_before"], result["targeted_failure_rate_after"]
    assert before > 0 and after == before
    assert result["clean_accuracy_after"] == result["clean_accuracy_before"]
    assert result["status"] == "rejected" and result["accepted"] is False
    assert result["reason"] == (
        f"targeted failure rate did not drop ({before * 100:.1f}% -> {after * 100:.1f}%); "
        "the original model is kept"
    )
    assert json.loads((tuner.run_dir / "summary.json").read_text())["status"] == "rejected"
    assert result["fixed_weights"] is None and not (tuner.run_dir / "model.pt").exists()
    assert result["fixed_target"] == {"name": "digits_cnn", "args": {}}
    # the clean side still reads "+0.00", not "-0.00", when clean accuracy is unchanged
    assert tuner.reason(True).startswith("clean accuracy changed by +0.00 points")


def test_the_verdicts_why_names_the_fine_tuners_own_clean_metric(
    accepted: ClassifierFineTuner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/plugins.md's MarginFineTuner (clean_metric "sign accuracy") closed with "fix
    accepted: clean sign accuracy 88.0% -> 98.0%" but "why: clean accuracy changed by +10.00
    points": the why line named a classifier's accuracy. It names the fine-tuner's metric, in
    points for an accuracy and as a number in its own units for any other score."""
    monkeypatch.setattr(accepted, "clean_metric", "sign accuracy")
    assert accepted.reason(True).startswith("clean sign accuracy changed by ")
    assert accepted.reason(True).endswith(" points, within the tolerance of 100.00")
    monkeypatch.setattr(accepted, "clean_metric", "F1")
    assert accepted.reason(True).startswith("clean F1 changed by ")
    assert accepted.reason(True).endswith("within the tolerance of 1.000")  # no "points"


def test_a_barely_moving_fix_is_accepted_and_said_to_be_no_clear_change(
    digits_run: Path, tmp_path: Path
) -> None:
    """One short epoch lowers the targeted failure rate by a few of its 256 pairs (157 -> 151
    here) and keeps clean accuracy: the guard accepts it, and "fix accepted" was all the command
    said, which a user reads as the failure fixed. mitigation.json's targeted_change and a
    closing line now say the fall is no clear change; the verdict is the same."""
    tuner = fine_tune(digits_run, tmp_path)
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    before, after = result["targeted_failure_rate_before"], result["targeted_failure_rate_after"]
    assert result["status"] == "accepted" and after < before
    change = result["targeted_change"]
    pairs = result["guard"]["targeted_pairs"]
    assert change["pairs"] == pairs == 256
    assert change["failures_before"] == round(before * pairs) > change["failures_after"]
    assert change["outcome"] == "no clear change" and change["p_value"] >= 0.05
    # paired, pair by pair: the discordant pairs' difference is the failures' fall
    fixed, broken = change["failed_before_only"], change["failed_after_only"]
    assert fixed - broken == change["failures_before"] - change["failures_after"] > 0
    lines = run_ending(tuner.run_dir).splitlines()
    assert lines[1].startswith("fix accepted: ")
    assert lines[3].startswith(
        f"but: targeted failure rate {before_after(before, after)} of 256 held-out pairs is no "
        "clear change (an exact McNemar test at 95%): 'accepted' says clean accuracy was kept"
    )


def test_the_verdicts_numbers_never_read_a_change_as_none_or_a_fall_as_the_tolerance() -> None:
    """ "fell 1.00 points, more than the tolerance of 1.00" and "changed by +0.00 points" for a
    real change: each number takes the decimals that tell it from the other."""
    assert clean_change_reason("clean accuracy", -1.004, 1.0, False, " points") == (
        "clean accuracy fell 1.004 points, more than the tolerance of 1.000; the original "
        "model is kept"
    )
    assert clean_change_reason("clean accuracy", 0.004, 1.0, True, " points") == (
        "clean accuracy changed by +0.004 points, within the tolerance of 1.00"
    )
    assert clean_change_reason("clean accuracy", 0.0, 1.0, True, " points").startswith(
        "clean accuracy changed by +0.00 points"
    )
    assert clean_change_reason("mean CLIP cosine", -0.02, 0.01, False, decimals=4) == (
        "mean CLIP cosine fell 0.0200, more than the tolerance of 0.0100; the original model "
        "is kept"
    )
