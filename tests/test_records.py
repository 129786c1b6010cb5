"""The run directory: append-only log, summary, crash tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ffade.errors import FfadeError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.records import EvaluationRecord, RunRecorder, read_evaluations, read_summary
from tests.helpers import synthetic_spec

REQUIRED = {
    "explorer",
    "evaluations",
    "failures",
    "distinct_failure_states",
    "gradient_updates",
    "wall_seconds",
    "seed",
}


def test_a_run_leaves_log_summary_policy_and_tensorboard(tmp_path: Path) -> None:
    explorer = discover(
        RandomExplorer(task=synthetic_spec(), budget=50, num_envs=10), tmp_path, seed=3
    )
    run = Path(explorer.recorder.run_dir)
    summary = read_summary(run)
    assert set(summary) >= REQUIRED
    assert summary["seed"] == 3 and summary["status"] == "finished"
    records = list(read_evaluations(run))
    assert len(records) == summary["evaluations"] == 50
    assert sum(r.failed for r in records) == summary["failures"]
    assert set(records[0].concepts) == {"axis0", "axis1", "axis2"}
    assert (run / "policy.npy").is_file()
    assert list(run.glob("events.out.tfevents.*"))


def test_a_line_cut_short_by_a_kill_is_skipped(tmp_path: Path) -> None:
    recorder = RunRecorder(tmp_path)
    recorder.append([EvaluationRecord(1, 0, [0], {"a": 0.0}, 0.5, -1.0, False)])
    recorder.close()
    with open(tmp_path / "evaluations.jsonl", "a") as log:
        log.write('{"step": 2, "input_id"')
    assert len(list(read_evaluations(tmp_path))) == 1


def test_missing_run_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FfadeError, match=r"is '.*nothing' an ffade run directory"):
        read_summary(tmp_path / "nothing")


def test_summary_is_written_atomically(tmp_path: Path) -> None:
    recorder = RunRecorder(tmp_path)
    recorder.write_summary({"a": 1})
    recorder.write_summary({"a": 2})
    assert json.loads((tmp_path / "summary.json").read_text()) == {"a": 2}
    assert not list(tmp_path.glob("*.tmp"))
