"""The evaluator at work (ffade/evaluator.py): its timings and its warnings."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.api.callables import SLOW_MODEL_SECONDS
from tests.helpers import ffade_in_process, synthetic_spec, write_config


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
