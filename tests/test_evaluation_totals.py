"""An evaluator's totals (ffade/evaluation_totals.py): summary.json's counts and the
checkpointed memo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import yaml

from ffade.evaluator import Evaluator
from ffade.explore.stopping import ALL_INVALID_LIMIT
from ffade.task import build_task
from tests.helpers import ffade_in_process, synthetic_spec, write_config


def test_a_run_with_no_valid_evaluation_has_no_failure_rate(tmp_path: Path) -> None:
    """README: summary.json's ``failure_rate`` is failures over valid evaluations. A run whose
    every score was NaN has none, and said 0.0, a model that never fails, where report.json
    said null."""
    config = write_config(tmp_path / "c.yaml", budget=40)
    data = yaml.safe_load(config.read_text())
    task = data["model"]["init_args"]["task"]
    task["target"] = {"name": "callable", "args": {"predict": "tests.api.callables:nan_far_out"}}
    task["concepts"][0]["args"]["values"] = [0.6, 0.8, 1.0]  # NaN beyond 0.5 on the first axis
    config.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    # every evaluation invalid: the search stops after ALL_INVALID_LIMIT of them, as failed
    assert result.returncode == 2, result.stderr[-2000:]
    run = next(tmp_path.glob("runs/*/version_0"))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["evaluations"] == summary["invalid"] == ALL_INVALID_LIMIT < 40
    assert summary["failure_rate"] is None
    assert ffade_in_process("report", str(run), cwd=tmp_path).returncode == 0
    assert json.loads((run / "report.json").read_text())["run_figures"]["failure_rate"] is None


def test_the_memo_survives_a_checkpoint_exactly_in_its_order(tmp_path: Path) -> None:
    """A checkpoint keeps the memo as columns of tensors (fast to save, loadable with
    weights_only=True); reloaded, it is the same dict in the same order, NaN and inf included,
    and a checkpoint from before, with the dict itself, still loads."""
    evaluator = Evaluator(build_task(synthetic_spec()), budget=None)
    memo = {9: (0.25, -1.0, False), 3: (float("nan"), 0.0, False), 7: (float("inf"), 2.5, True)}
    evaluator.load_state_dict({"memo": memo, "evaluations": 3, "failures": 1})
    assert isinstance(evaluator.state_dict()["memo"]["keys"], torch.Tensor)
    path = tmp_path / "state.pt"
    torch.save(evaluator.state_dict(), path)
    again = Evaluator(build_task(synthetic_spec()), budget=None)
    again.load_state_dict(torch.load(path, weights_only=True))
    assert list(again.memo) == [9, 3, 7]
    assert repr(again.memo) == repr(memo)  # repr: nan == nan is False, but prints alike
    assert again.is_evaluated(np.array([9, 3, 7, 8])).tolist() == [True, True, True, False]
