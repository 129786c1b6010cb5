"""Every shipped vision config runs end to end as a user types it (tiny stand-ins for big data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from tests.helpers import REPO, ffade


def image_folder(root: Path, classes: int = 3, per_class: int = 6) -> Path:
    rng = np.random.default_rng(0)
    for c in range(classes):
        (root / f"class_{c}").mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / f"class_{c}" / f"{i}.png")
    return root


def config_with(name: str, tmp_path: Path, change) -> Path:
    config = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())
    change(config["model"]["init_args"])
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def finished_run(tmp_path: Path, name: str) -> Path:
    run = tmp_path / "runs" / name / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished", summary
    return run


@pytest.mark.slow  # 25-40 s each: CI runs them in its slow step
@pytest.mark.parametrize("name", ["alexnet", "resnet50", "efficientnet"])
def test_paper_model_configs_run_with_random_weights(name: str, tmp_path: Path) -> None:
    root = image_folder(tmp_path / "images")

    def shrink(args: dict) -> None:
        args["task"]["target"]["args"]["weights"] = None  # no download here: random weights
        args["task"]["dataset"]["args"].update(root=str(root), image_size=64)
        args.update(budget=24, num_envs=8, eval_batch_size=8, learning_starts=8)

    result = ffade("fit", "--config", str(config_with(name, tmp_path, shrink)))
    assert result.returncode == 0, result.stderr[-2000:]
    run = finished_run(tmp_path, name)
    assert len((run / "evaluations.jsonl").read_text().splitlines()) == 24


@pytest.mark.slow
def test_quickstart_runs_offline_and_leaves_everything(tmp_path: Path) -> None:
    result = ffade(
        "fit",
        "--config",
        "configs/quickstart.yaml",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "runs"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = finished_run(tmp_path, "quickstart")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["evaluations"] == summary["budget"] and summary["gradient_updates"] > 0
    labels = [concept["label"] for concept in summary["concepts"]]
    assert labels == ["rotation", "brightness", "contrast", "gaussian_blur"]
    assert summary["num_states"] == 9 * 4 * 5 * 6
    assert summary["failure_rate"] > 0.4  # the grid's base rate is about 0.28: the DQN aims
    assert (run / "examples" / "worst_failures.png").stat().st_size > 10_000
    examples = json.loads((run / "examples" / "examples.json").read_text())
    assert len(examples) == 16 and all((run / "examples" / e["file"]).is_file() for e in examples)
    assert list(run.glob("events.out.tfevents.*"))


@pytest.mark.gpu
def test_quickstart_on_cuda(tmp_path: Path) -> None:
    def to_cuda(args: dict) -> None:
        args["task"]["target"]["args"] = {"device": "cuda"}
        args["budget"] = 500

    config = config_with("quickstart", tmp_path, to_cuda)
    result = ffade("fit", "--config", str(config), "--trainer.accelerator", "gpu")
    assert result.returncode == 0, result.stderr[-2000:]
    assert torch.cuda.is_available()
    finished_run(tmp_path, "quickstart")
