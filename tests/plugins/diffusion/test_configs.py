"""The shipped text-to-image configs run as a user types them, with tiny stand-ins for the
weights they name (a tiny Stable Diffusion and a tiny CLIP built from configs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, ffade


@pytest.mark.slow  # about a minute on two busy cores: CI runs it in its slow step
def test_sd14_config_runs_on_a_tiny_pipeline(
    tiny_pipeline: Path, tiny_clip: Path, tmp_path: Path
) -> None:
    config = yaml.safe_load((REPO / "configs" / "sd14.yaml").read_text())
    args = config["model"]["init_args"]
    task = args["task"]
    assert task["target"]["args"]["model"] == "~/models/sd14"
    task["target"]["args"].update(
        model=str(tiny_pipeline),
        device="cpu",
        dtype="float32",
        height=16,
        width=16,
        num_inference_steps=2,
        cpu_threads=1,
    )
    task["reward"]["args"].update(model=str(tiny_clip), device="cpu")
    task["dataset"]["args"]["samples_per_prompt"] = 2
    args.update(budget=8, num_envs=4, eval_batch_size=4, learning_starts=4)
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "sd14.yaml"
    path.write_text(yaml.safe_dump(config))
    result = ffade("fit", "--config", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "runs" / "sd14" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 8
    records = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()]
    assert len(records) == 8 and all(-1 <= r["metric"] <= 1 for r in records)
