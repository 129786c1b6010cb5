"""examples/: each script runs offline as a user runs it, and leaves what it promises."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ffade.cli import main
from tests.helpers import REPO


@pytest.mark.slow  # about a minute on two idle CPU cores: train, discover, report, fine-tune
def test_own_model_is_searched_reported_and_fixed(tmp_path: Path) -> None:
    script = REPO / "examples" / "own_model.py"
    assert len(script.read_text().splitlines()) < 60
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    print(f"examples/own_model.py: {time.monotonic() - started:.0f} s")
    run = tmp_path / "runs" / "own_model" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["explorer"] == "dqn" and summary["failures"] > 0
    assert (run / "report.html").is_file()
    mitigation = json.loads((tmp_path / "runs/mitigate/version_0/mitigation.json").read_text())
    assert mitigation["status"] in ("accepted", "rejected")
    assert "fix " in result.stdout
    assert main(["report", str(run)]) == 0  # what ffade report reads
