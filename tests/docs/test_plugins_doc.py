"""docs/plugins.md must be enough: install its example package and use it from a config."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

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
    env = {**os.environ, "PYTHONPATH": str(site)}
    ffade = str(Path(sys.executable).parent / "ffade")
    listed = subprocess.run([ffade, "plugins"], env=env, capture_output=True, text=True, check=True)
    assert re.search(r"shift_x\s+ffade-points 0\.1\.0", listed.stdout), listed.stdout
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
