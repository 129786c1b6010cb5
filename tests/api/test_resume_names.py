"""A run stopped in one process, resumed with its model in a fresh one (ffade/resume_names.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ffade
from tests.api import callables

TASK = {
    "dataset": {"name": "synthetic", "args": {"num_inputs": 8}},
    "reward": "margin",
    "concepts": [{"name": "axis", "args": {"index": 0}}],
}
FIRST_PROCESS = """
import ffade
from tests.api import callables
task = {task!r}
ffade.discover(target=callables.margin, **task, explorer="random", budget=4, save_dir={runs!r})
try:  # the process's second function: registered as callable_target_2
    ffade.discover(target=callables.crashes_at_env_call, **task, explorer="random", budget=40,
                   save_dir={runs!r}, name="stopped")
except RuntimeError:
    pass
"""


@pytest.mark.slow
def test_a_model_resumed_in_a_fresh_process_is_the_same_run(tmp_path: Path) -> None:
    """The in-process name of the first run's model carried a number its process added
    (``callable_target_2``: another function came first); resuming with the same model in a
    process where none came first named it ``callable_target`` and was refused as another run."""
    runs = str(tmp_path / "runs")
    script = textwrap.dedent(FIRST_PROCESS).format(task=TASK, runs=runs)
    env = {**os.environ, "FFADE_TEST_CRASH_AT": "3"}
    first = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    stopped = Path(runs) / "stopped" / "version_0"
    assert "callable_target_2" in (stopped / "config.yaml").read_text()

    run = ffade.discover(
        target=callables.crashes_at_env_call,
        **TASK,
        explorer="random",
        budget=40,
        save_dir=runs,
        name="stopped",
        resume=stopped,
    )
    assert run.summary["status"] == "finished"
    assert run.summary["evaluations"] == 40
