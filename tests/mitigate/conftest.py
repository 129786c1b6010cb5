"""A small real digits discovery run with priorities, shared by the mitigation tests."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ffade.explore import DQNExplorer
from ffade.explore.run import discover
from ffade.feedback.command import feedback_from_file
from tests.helpers import REPO


def digits_spec(max_inputs: int = 32) -> dict[str, Any]:
    """The quickstart's task (same target, data, reward and concept grid) on fewer inputs."""
    config = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    spec = copy.deepcopy(config["model"]["init_args"]["task"])
    spec["max_inputs"] = max_inputs
    return spec


def digits_run_with_feedback(root: Path, name: str = "digits", checkpoints: bool = False) -> Path:
    """Discovery on 32 digits under ``root``, and the quickstart's priorities applied."""
    explorer = DQNExplorer(task=digits_spec(), budget=320, num_envs=32, learning_starts=64)
    discover(explorer, root, seed=0, name=name, checkpoints=checkpoints)
    run = Path(explorer.recorder.run_dir)
    feedback_from_file(run, REPO / "configs" / "feedback_digits.yaml", pictures=lambda r: None)
    return run


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Discovery on 32 digits (with a checkpoint), and the quickstart's priorities applied."""
    return digits_run_with_feedback(tmp_path_factory.mktemp("digits"), "discover", checkpoints=True)


def run_naming(digits_run: Path, root: Path, part: str, name: str) -> Path:
    """A copy of the digits run whose task's ``part`` (target, dataset) is the plugin ``name``."""
    run = root / "run"
    shutil.copytree(digits_run, run)
    summary = json.loads((run / "summary.json").read_text())
    summary["task"][part]["name"] = name
    (run / "summary.json").write_text(json.dumps(summary))
    return run
