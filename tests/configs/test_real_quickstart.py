"""The real-model quickstart runs offline as committed, shrunk to a few dozen evaluations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, ffade


@pytest.mark.slow  # about 45 s: CI runs it in its slow step
def test_real_quickstart_finds_failures_of_the_real_model_offline(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "configs" / "real_quickstart.yaml").read_text())
    args = config["model"]["init_args"]
    assert args["task"]["target"] == {"name": "efficientnet_lite"}, "the real ImageNet weights"
    assert [len(c["args"]["values"]) for c in args["task"]["concepts"]] == [5, 5, 5]
    args.update(budget=48, num_envs=16, eval_batch_size=16, learning_starts=16)
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "real_quickstart.yaml"
    path.write_text(yaml.safe_dump(config))
    result = ffade("fit", "--config", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "runs" / "real_quickstart" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 48
    assert summary["num_inputs"] == 24 and summary["failures"] > 0
    examples = json.loads((run / "examples" / "examples.json").read_text())
    assert examples and all(e["output"].startswith("predicted ") for e in examples)
    assert (run / "examples" / "worst_failures.png").is_file()
