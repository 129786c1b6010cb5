"""docs/plugins.md must be enough: install its example package and use it from a config."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ffade.errors import FfadeError
from tests.helpers import REPO

BLOCK = re.compile(r"```\w+\n# (\S+)\n(.*?)```", re.DOTALL)


def test_the_example_package_installs_lists_and_runs(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "plugins.md").read_text()
    package = tmp_path / "ffade-points"
    files = dict(BLOCK.findall(doc))
    assert {"setup.cfg", "pyproject.toml", "ffade_points/__init__.py", "points.yaml"} <= set(files)
    for name, text in files.items():
        path = (tmp_path if name.endswith(".yaml") else package) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(package),
        ],
        check=True,
        capture_output=True,
    )
    # the installed package first, then whatever ffade this test runs (a worktree's, CI's)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
    }
    ffade = str(Path(sys.executable).parent / "ffade")
    listed = subprocess.run([ffade, "plugins"], env=env, capture_output=True, text=True, check=True)
    assert re.search(r"shift_x\s+\(ffade-points 0\.1\.0", listed.stdout), listed.stdout
    assert "mirror  (ffade-points 0.1.0" in listed.stdout and "BROKEN" not in listed.stdout
    run = subprocess.run(
        [ffade, "fit", "--config", str(tmp_path / "points.yaml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "ffade" / "version_0" / "summary.json").read_text())
    assert summary["evaluations"] > 0 and summary["failures"] > 0
    assert summary["gradient_updates"] > 0
    # the string-valued concept and the concept used twice, under their labels, in config order
    concepts = [(c["label"], c["values"]) for c in summary["concepts"]]
    assert concepts == [
        ("shift_small", [-0.5, -0.25, 0.0, 0.25, 0.5]),
        ("shift_large", [-2.0, -1.0, 0.0, 1.0, 2.0]),
        ("mirror", ["none", "flip_y", "swap"]),
    ]
    assert "top failure rule:" in run.stdout and "next: ffade report" in run.stdout


def test_the_flattening_wrapper_drives_the_environment_to_the_end_of_its_budget() -> None:
    doc = (REPO / "docs" / "plugins.md").read_text()
    namespace: dict = {}
    exec(dict(BLOCK.findall(doc))["flat_actions.py"], namespace)  # the doc's own code
    from ffade.env import Evaluator, FailureEnv
    from ffade.task import build_task
    from tests.helpers import synthetic_spec

    evaluator = Evaluator(build_task(synthetic_spec(num_inputs=4)), budget=5)
    env = namespace["FlatActions"](FailureEnv(evaluator, mode="macroscopic"))
    assert env.action_space.n == 1000  # three concepts of ten values
    assert list(env.action(123)) == [1, 2, 3]  # row-major: the last concept fastest
    env.reset(seed=0)
    rewards = []
    for _ in range(8):
        _, reward, _, truncated, info = env.step(env.action_space.sample())
        rewards.append((reward, truncated, info["evaluated"]))
        env.reset()
    assert evaluator.remaining == 0
    assert rewards[-1] == (0.0, True, False)  # past the budget: nothing evaluated, truncated


def test_an_environment_with_a_recorder_leaves_a_run_that_ffade_report_reads(
    tmp_path: Path, capsys
) -> None:
    """docs/plugins.md: RunRecorder on the Evaluator, then write_summary: ffade report works."""
    from ffade.cli import main
    from ffade.env import Evaluator, FailureEnv
    from ffade.records import RunRecorder
    from ffade.task import build_task
    from tests.helpers import synthetic_spec

    run_dir = tmp_path / "external"
    with RunRecorder(run_dir) as recorder:
        evaluator = Evaluator(
            build_task(synthetic_spec(num_inputs=16)), budget=40, recorder=recorder
        )
        env = FailureEnv(evaluator, mode="macroscopic")
        env.reset(seed=0)
        while evaluator.remaining:
            env.step(env.action_space.sample())
            env.reset()
        evaluator.write_summary(explorer="outside loop", seed=0, gradient_updates=7)
    assert recorder._log.closed  # the with block closed the log (docs/plugins.md)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["explorer"], summary["evaluations"], summary["gradient_updates"]) == (
        "outside loop",
        40,
        7,
    )
    assert summary["failures"] == evaluator.failures and len(summary["concepts"]) == 3
    assert main(["report", str(run_dir)]) == 0, capsys.readouterr().err
    assert "| explorer | outside loop |" in (run_dir / "report.md").read_text()
    with pytest.raises(FfadeError, match=r"needs the run directory: .*recorder=ffade\.records"):
        Evaluator(evaluator.task).write_summary(explorer="no recorder")
