"""A folder the user may not write to (chmod a-w, a read-only mount): one line naming the path,
exit 2, nothing written, never an OSError traceback after the work is done."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, ffade_in_process, write_config

AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
"""Root writes through chmod a-w: without these capabilities it meets the mode as a user does."""


def ffade_as_a_user(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "ffade"), *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: chmod a-w does not stop root")
        command = [*AS_A_USER, *command]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    if result.stderr.startswith("setpriv:"):
        pytest.skip(f"cannot drop root's capabilities here: {result.stderr.strip()}")
    return result


def read_only(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("unwritable")
    config = write_config(root / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    result = ffade_in_process("fit", "--config", str(config), cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    return root / "runs" / "test" / "version_0"


def one_line(result: subprocess.CompletedProcess, says: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert lines[-1].startswith("ffade: error: ") and says in lines[-1], lines[-1]


@pytest.mark.parametrize(
    "command",
    [
        ["export", "{run}", "--to", "{ro}/suite.yaml"],
        [
            "feedback",
            "{run}",
            "--from",
            "{priorities}",
            "--slices",
            "regions",
            "--out",
            "{ro}/a.yaml",
        ],
        ["report", "{run}", "--out", "{ro}"],
        ["fit", "--config", "{config}", "--trainer.logger.init_args.save_dir", "{ro}/runs"],
    ],
    ids=lambda command: command[0],
)
def test_a_read_only_folder_is_one_line(run_dir: Path, tmp_path: Path, command: list[str]) -> None:
    ro = read_only(tmp_path / "read only")
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=40)
    names = {"run": run_dir, "ro": ro, "priorities": priorities, "config": config}
    args = [part.format(**names) for part in command]
    result = ffade_as_a_user(*args, cwd=REPO)
    one_line(result, str(ro))
    assert list(ro.iterdir()) == []


def test_report_into_a_read_only_run_says_to_write_elsewhere(run_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    before = sorted(p.name for p in run.iterdir())
    read_only(run)
    result = ffade_as_a_user("report", str(run), cwd=tmp_path)
    one_line(result, f"error: {run}: cannot write in this directory (permission denied); ")
    assert result.stderr.strip().endswith(
        "write the report elsewhere with --out DIR --no-tensorboard"
    )
    assert sorted(p.name for p in run.iterdir()) == before
    # the advice followed works: the report lands elsewhere, the run is left as it was
    out = tmp_path / "elsewhere"
    result = ffade_as_a_user(
        "report", str(run), "--out", str(out), "--no-tensorboard", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"report.md", "report.html", "report.json"} <= {p.name for p in out.iterdir()}
    assert sorted(p.name for p in run.iterdir()) == before


def test_report_of_a_read_only_run_elsewhere_asks_for_no_tensorboard_first(
    run_dir: Path, tmp_path: Path
) -> None:
    """--out elsewhere, the pictures still go to the run's TensorBoard: refused before any work
    (it drew every picture, then stopped on the events file, with no report written)."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    before = sorted(p.name for p in run.iterdir())
    read_only(run)
    out = tmp_path / "out"
    result = ffade_as_a_user("report", str(run), "--out", str(out), cwd=tmp_path)
    one_line(result, f"error: {run}: cannot write in this directory (permission denied), ")
    assert "add --no-tensorboard" in result.stderr
    assert not out.exists() and sorted(p.name for p in run.iterdir()) == before


@pytest.mark.slow
def test_a_file_one_may_not_read_is_one_line_too(run_dir: Path, tmp_path: Path) -> None:
    """The same handler meets a config one may not read: the line must not say "write to"."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=40)
    config.chmod(0)
    result = ffade_as_a_user("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("ffade: error: ") and "c.yaml" in line and "write to" not in line, line


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
@pytest.mark.parametrize("pinned", [[], ["--trainer.logger.init_args.version", "0"]])
def test_a_save_dir_where_no_folder_can_be_made_says_so(tmp_path: Path, pinned: list[str]) -> None:
    """/proc takes no new folders, and says "no such file" of the one refused: that read as
    "file not found: /proc/runs", as if ffade had lost a file."""
    config = write_config(tmp_path / "c.yaml", budget=20)
    where = ("--trainer.logger.init_args.save_dir", "/proc/runs")
    result = ffade_in_process("fit", "--config", str(config), *where, *pinned, cwd=tmp_path)
    one_line(result, "run directory /proc/runs/test/version_0: cannot create it (/proc takes")
    assert "not found" not in result.stderr
