"""Helpers for tests: tiny synthetic tasks, and the CLI run exactly as a user types it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]


def synthetic_spec(
    num_concepts: int = 3, num_inputs: int = 16, mode: str = "macroscopic"
) -> dict[str, Any]:
    """A synthetic task small enough to explore in seconds."""
    return {
        "target": {"name": "synthetic"},
        "dataset": {
            "name": "synthetic",
            "args": {"num_inputs": num_inputs, "num_axes": max(num_concepts, 3)},
        },
        "reward": {"name": "margin"},
        "concepts": [{"name": "axis", "args": {"index": i}} for i in range(num_concepts)],
        "mode": mode,
    }


def write_config(
    path: Path,
    explorer: str = "ffade.explore.DQNExplorer",
    budget: int = 200,
    save_dir: Path | None = None,
    **init_args: Any,
) -> Path:
    """A complete ``ffade fit`` config for the synthetic task."""
    config = {
        "seed_everything": 0,
        "model": {
            "class_path": explorer,
            "init_args": {"task": synthetic_spec(), "budget": budget, "num_envs": 16, **init_args},
        },
        "trainer": {
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(save_dir or path.parent / "runs"), "name": "test"},
            }
        },
    }
    path.write_text(yaml.safe_dump(config))
    return path


def ffade(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed ``ffade`` console script as a user would."""
    exe = Path(sys.executable).parent / "ffade"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [str(exe), *args], cwd=cwd or REPO, capture_output=True, text=True, timeout=timeout, env=env
    )
