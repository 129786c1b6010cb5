"""A small real digits discovery run with priorities, and the small fine-tune of it, shared by
the mitigation tests."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightning.pytorch import Callback

from ffade.explore import DQNExplorer
from ffade.explore.run import discover
from ffade.feedback.command import feedback_from_file
from ffade.mitigate import ClassifierFineTuner
from tests.helpers import REPO, fine_tuned


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


SMALL = {"max_finetune_inputs": 64, "guard_pairs": 256, "batch_size": 32, "eval_batch_size": 256}
KEYS = [
    f"{name}_{when}"
    for name in ("clean_accuracy", "targeted_failure_rate", "untargeted_failure_rate")
    for when in ("before", "after")
]


def fine_tune(
    run: Path,
    root: Path,
    epochs: int = 1,
    callbacks: list[Callback] | None = None,
    ckpt_path: Path | None = None,
    **args: Any,
) -> ClassifierFineTuner:
    def make() -> ClassifierFineTuner:
        return ClassifierFineTuner(run=str(run), **{**SMALL, **args})

    return fine_tuned(make, root, epochs, callbacks, ckpt_path)


@pytest.fixture(scope="session")
def accepted(digits_run: Path, tmp_path_factory: pytest.TempPathFactory) -> ClassifierFineTuner:
    """One accepted fine-tune (any clean loss tolerated), read by the classifier's and the
    verdict's tests alike."""
    return fine_tune(digits_run, tmp_path_factory.mktemp("accepted"), epochs=2, clean_tolerance=1)
