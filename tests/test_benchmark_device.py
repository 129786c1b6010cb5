"""The discovery benchmark's --device cuda path (the GPU figures reported for resnet50)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO


@pytest.mark.gpu
def test_throughput_on_cuda() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/discovery.py",
            "--task",
            "resnet50",
            "--device",
            "cuda",
            "--throughput-only",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "evaluations per second on cuda" in result.stdout
    assert "grid_throughput_ratio:" in result.stdout
    assert "dqn_throughput_ratio:" in result.stdout
