"""A fix rejected on a held-out split so small that one input is past the tolerance says so.

The wine table's 53 held-out inputs (a tabular plugin written from docs/plugins.md): one input is
1.89 points, past the default tolerance of one, and the fine-tune said only to lower the learning
rate or raise clean_share.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffade.run_endings import run_ending
from tests.helpers import REPO

NOTE = (
    "note: one of the 53 held-out inputs is 1.89 points of clean accuracy, more than the "
    "tolerance of 1.00, so a fix that loses a single input's answer is rejected; "
    "--model.init_args.clean_tolerance 0.02 allows one, or give the heldout split more inputs"
)


def rejected_record(inputs: int, lost: int, **more: object) -> dict[str, object]:
    """mitigation.json of a fix that got ``lost`` more of ``inputs`` held-out inputs wrong."""
    return {
        "status": "rejected",
        "accepted": False,
        "reason": "clean accuracy fell, more than the tolerance of 1.00",
        "clean_metric": "accuracy",
        "clean_accuracy_before": 48 / inputs,
        "clean_accuracy_after": (48 - lost) / inputs,
        "clean_accuracy_change": -lost / inputs,
        "clean_tolerance": 0.01,
        "targeted_failure_rate_before": 0.38,
        "targeted_failure_rate_after": 0.31,
        "guard": {"split": "heldout", "inputs": inputs},
        **more,
    }


def _ending(tmp_path: Path, record: dict[str, object]) -> list[str]:
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    return run_ending(tmp_path).splitlines()


def test_one_input_past_the_tolerance_is_named_before_next(tmp_path: Path) -> None:
    lines = _ending(tmp_path, rejected_record(53, 1))
    assert lines[-2] == NOTE
    assert lines[-1].startswith("next: the original model is kept")
    doc = " ".join((REPO / "docs" / "mitigation.md").read_text().split())
    assert f"`{NOTE}`" in doc  # the page quotes the line as it is said


@pytest.mark.parametrize(
    "record",
    [
        rejected_record(400, 8),  # one input is 0.25 points: within the tolerance, the fall is not
        rejected_record(53, 1, clean_metric="BLEU / 100"),  # a graded score has no input steps
        rejected_record(53, 0, targeted_failure_rate_after=0.38),  # rejected for fixing nothing
        rejected_record(53, 2),  # two inputs lost: the tolerance that allows one rejects it too
    ],
)
def test_no_note_where_one_input_is_not_the_cause(tmp_path: Path, record: dict) -> None:
    assert not any(line.startswith("note: one of the") for line in _ending(tmp_path, record))
