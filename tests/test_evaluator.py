"""summary.json's counts, as the evaluator keeps them (ffade/evaluator.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import yaml

from ffade.evaluator import Evaluator
from ffade.explore.stopping import ALL_INVALID_LIMIT
from ffade.task import build_task
from tests.api.callables import SLOW_MODEL_SECONDS
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


def test_summary_splits_the_loop_time_between_the_model_and_the_concepts(tmp_path: Path) -> None:
    """README: ``model_seconds`` is the part of ``wall_seconds`` spent in the target and the
    reward, ``concept_seconds`` the part spent building the changed inputs. A model that sleeps
    a known time per batch shows it, and neither part exceeds the loop."""
    config = write_config(tmp_path / "c.yaml", budget=64, eval_batch_size=16)
    data = yaml.safe_load(config.read_text())
    task = data["model"]["init_args"]["task"]
    task["target"] = {"name": "callable", "args": {"predict": "tests.api.callables:slow_margin"}}
    config.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(next(tmp_path.glob("runs/*/version_0/summary.json")).read_text())
    batches = summary["evaluations"] // 16  # at least: coverage probes run batches of their own
    assert summary["model_seconds"] >= batches * SLOW_MODEL_SECONDS
    assert summary["concept_seconds"] > 0
    assert summary["model_seconds"] + summary["concept_seconds"] <= summary["wall_seconds"]


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


def test_a_nan_warning_names_a_function_passed_from_python_by_its_own_name(
    tmp_path: Path,
) -> None:
    """It named target 'callable_target', the in-process name the caller never wrote."""
    import pytest

    import ffade
    from ffade.errors import FfadeWarning
    from tests.api.callables import nan_far_out

    with pytest.warns(FfadeWarning) as caught:
        ffade.discover(
            synthetic_spec(), target=nan_far_out, explorer="random", budget=128, save_dir=tmp_path
        )
    said = [str(w.message) for w in caught if "metric nan" in str(w.message)]
    assert said and said[0].startswith(
        "reward 'margin' scored the outputs of target 'nan_far_out' as metric nan"
    )
