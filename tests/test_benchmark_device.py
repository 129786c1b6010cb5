"""The discovery benchmark's speed paths: --device cuda (the GPU figures reported for resnet50
and for generation) and the generation path's comparison with the raw pipeline call on a CPU."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import REPO


def benchmark(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "benchmarks/discovery.py", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    print(result.stdout)  # the figures, in pytest's report with -rP
    return result.stdout


@pytest.mark.gpu
def test_throughput_on_cuda() -> None:
    out = benchmark("--task", "resnet50", "--device", "cuda", "--throughput-only")
    assert "evaluations per second on cuda" in out
    assert "grid_throughput_ratio:" in out
    assert "dqn_throughput_ratio:" in out


@pytest.mark.gpu
def test_generation_throughput_on_cuda() -> None:
    out = benchmark("--task", "t2i", "--device", "cuda", "--throughput-only")
    assert re.search(r"dqn_throughput_ratio: [0-9.]+ +\(on cuda\)", out)


@pytest.mark.slow
def test_generation_is_timed_against_the_same_images_from_the_pipeline_called_directly() -> None:
    out = benchmark("--task", "t2i", "--budget-fraction", "0.005")
    assert "budget 96 images" in out
    assert re.search(r"the same images as the target's \(max \|difference\| 0\)", out)
    ratio = float(re.search(r"dqn_throughput_ratio: ([0-9.]+)", out).group(1))
    assert 0 < ratio < 1.5


def test_gpu_checks_without_cuda_is_one_line(tmp_path) -> None:
    """bash benchmarks/gpu_checks.sh on a machine without CUDA ended in torch's traceback ("Found
    no NVIDIA driver"), after "nvidia-smi: command not found", and left its output folder."""

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the script would run every GPU check")
    out = tmp_path / "out"
    env = {
        **os.environ,
        "OUT": str(out),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "benchmarks/gpu_checks.sh"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "gpu_checks.sh: error: no CUDA GPU here (torch.cuda.is_available() is False): run it on "
        "a machine lent with one"
    ]
    assert not out.exists()


def test_gpu_checks_reads_each_ratio_from_its_own_test(tmp_path) -> None:
    """gpu_checks.sh took the first dqn_throughput_ratio in the gpu tests' output as ResNet-50's
    and the second as generation's: with the ResNet-50 test failed, generation's figure was read
    as ResNet-50's (and a slow generation would have been profiled as ResNet-50)."""
    (tmp_path / "gpu_tests.txt").write_text(  # pytest -rP's output: the failure, then the passes
        "F.\n=== FAILURES ===\n____ test_throughput_on_cuda ____\nAssertionError: exit 1\n"
        "=== PASSES ===\n____ test_generation_throughput_on_cuda ____\n"
        "--- Captured stdout call ---\ndqn_throughput_ratio: 0.52  (on cuda)\n"
    )
    script = (REPO / "benchmarks" / "gpu_checks.sh").read_text()
    function = re.search(r"^ratio\(\) \{.*?^\}$", script, re.M | re.S)
    assert function, "gpu_checks.sh reads each ratio with a ratio() function"
    result = subprocess.run(
        [
            "bash",
            "-c",
            f"{function.group(0)}\nout={tmp_path}\n"
            'echo "[$(ratio test_throughput_on_cuda)] "'
            '"[$(ratio test_generation_throughput_on_cuda)]"',
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[] [0.52]", result.stderr


def gpu_checks(*args: str, out: Path) -> subprocess.CompletedProcess:
    """``bash benchmarks/gpu_checks.sh ARGS`` as typed, its output folder ``out``."""
    return subprocess.run(
        ["bash", "benchmarks/gpu_checks.sh", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OUT": str(out)},
    )


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_gpu_checks_help_says_what_it_runs(tmp_path, flag: str) -> None:
    """bash benchmarks/gpu_checks.sh --help ignored its argument: it went on to install .whl/ and
    check for CUDA (here: the no-CUDA error, exit 2), printing no help."""
    out = tmp_path / "out"
    result = gpu_checks(flag, out=out)
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("usage: bash benchmarks/gpu_checks.sh [--help]\n")
    for said in ("pytest -m gpu", "dqn_throughput_ratio", "target_speed.py", ".whl/", "CUDA"):
        assert said in result.stdout
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "word"), [(["--quick"], "--quick"), (["--help", "x"], "x"), (["-h", "-h", "x"], "x")]
)
def test_gpu_checks_unknown_argument_is_one_line(tmp_path, args: list[str], word: str) -> None:
    """``--help x`` printed the help and exited 0, ``x`` dropped as if taken, where ffade and
    the python benchmarks refuse a stray word beside --help; refused before any GPU work (no
    install, no CUDA check: nothing under OUT)."""
    out = tmp_path / "out"
    result = gpu_checks(*args, out=out)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"gpu_checks.sh: error: unknown argument '{word}' (it takes none but --help)"
    ]
    assert not out.exists()
