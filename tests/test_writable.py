"""A file that fails only when written (a folder where its temporary file goes, ``/proc``): one
line naming the option, the path and the OS's reason; a read-only mount is said as one."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ffade.gate import export
from tests.helpers import REPO, ffade_in_process, write_config


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("writable")
    config = write_config(root / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    result = ffade_in_process("fit", "--config", str(config), cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    return root / "runs" / "test" / "version_0"


def blocked(path: Path) -> Path:
    """A folder (not empty) sits where the temporary file written beside ``path`` goes: its
    write failed only after the work; the check made before the work refuses it now."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.mkdir(parents=True)
    (tmp / "kept").write_text("x")
    return path


def one_line(result: subprocess.CompletedProcess, *says: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert lines[-1].startswith("ffade: error: "), lines[-1]
    assert all(part in lines[-1] for part in says), lines[-1]
    return lines[-1]


def test_export_refuses_a_folder_where_its_temporary_file_goes_before_the_work(
    run_dir: Path, tmp_path: Path
) -> None:
    to = blocked(tmp_path / "s.yaml")
    result = ffade_in_process("export", str(run_dir), "--slices", "regions", "--to", str(to))
    one_line(result, f"--to {to}: a directory is at {to}.tmp, where the file is written before")
    assert not to.exists()
    assert (to.parent / "s.yaml.tmp" / "kept").is_file()  # the user's folder is left alone


def test_check_refuses_a_folder_where_its_junit_temporary_file_goes_before_the_work(
    run_dir: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "s.yaml"
    made = ffade_in_process("export", str(run_dir), "--slices", "regions", "--to", str(suite))
    assert made.returncode == 0, made.stderr[-2000:]
    junit = blocked(tmp_path / "j.xml")
    result = ffade_in_process("check", "--suite", str(suite), "--junit", str(junit))
    one_line(result, f"--junit {junit}: a directory is at {junit}.tmp, where")
    assert "cases passed" not in result.stdout  # refused before any case was evaluated


@pytest.mark.parametrize("asked", [False, True], ids=["from-file", "interactive"])
def test_feedback_names_out_its_file_and_the_reason(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    """The line named the file but not ``--out``, the option that chose it."""
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")
    out = blocked(tmp_path / "a.yaml")
    source = [] if asked else ["--from", str(priorities)]
    monkeypatch.setattr("sys.stdin", io.StringIO("h\n"))  # the answer typed, when asked
    result = ffade_in_process(
        "feedback", str(run_dir), *source, "--slices", "regions", "--out", str(out),
        "--no-examples",
    )  # fmt: skip
    one_line(result, f"ffade: error: --out {out}: a directory is at {out}.tmp, where the file")


def test_report_refuses_a_folder_where_its_temporary_file_goes_before_the_work(
    run_dir: Path, tmp_path: Path
) -> None:
    """It failed only after every picture was drawn and written ("cannot write it")."""
    out = tmp_path / "report"
    report = blocked(out / "report.json")
    result = ffade_in_process("report", str(run_dir), "--out", str(out), "--no-tensorboard")
    one_line(result, f"--out {report}: a directory is at {report}.tmp, where the file is written")
    assert not (out / "figures").exists()  # refused before any picture was drawn
    assert (out / "report.json.tmp" / "kept").is_file()  # the user's folder is left alone


def test_report_refuses_a_folder_where_a_picture_goes_before_the_work(
    run_dir: Path, tmp_path: Path
) -> None:
    """A folder at figures/NAME.png.tmp failed only after the report's work."""
    out = tmp_path / "report"
    figure = blocked(out / "figures" / "failure_rate.png")
    result = ffade_in_process("report", str(run_dir), "--out", str(out), "--no-tensorboard")
    one_line(result, f"--out {figure}: a directory is at {figure}.tmp, where the file is written")
    assert not (out / "report.json").exists()  # refused before the work
    assert (out / "figures" / "failure_rate.png.tmp" / "kept").is_file()  # left alone


def test_report_into_its_run_directory_names_the_file(run_dir: Path, tmp_path: Path) -> None:
    """Without --out the files go to the run directory: the line names the file, no option."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    shutil.rmtree(run / "figures", ignore_errors=True)
    report = blocked(run / "report.html")
    result = ffade_in_process("report", str(run), "--no-tensorboard")
    one_line(result, f"ffade: error: {report}: a directory is at {report}.tmp, where the file")
    assert not (run / "figures").exists() and not (run / "report.json").exists()


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.access("/proc", os.W_OK), reason="/proc passes os.access as root"
)
def test_export_into_proc_names_to_not_a_temporary_file(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And it is refused before the work: it evaluated every case's pairs, then failed to write."""
    evaluated: list[object] = []
    evaluate = export.evaluate_cases
    monkeypatch.setattr(export, "evaluate_cases", lambda *a: evaluated.append(a) or evaluate(*a))
    result = ffade_in_process("export", str(run_dir), "--slices", "regions", "--to", "/proc/s.yaml")
    assert not evaluated, result.stderr[-2000:]
    line = one_line(result, "--to /proc/s.yaml: cannot write it (", "; choose another path")
    assert "s.yaml.tmp" not in line and "file not found" not in line
    assert "No such file" not in line  # /proc is there: it takes no new file


def test_a_read_only_mount_is_said_as_one(run_dir: Path, tmp_path: Path) -> None:
    mount = tmp_path / "ro"
    mount.mkdir()
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root's unshare to mount a read-only file system")
    exe = Path(sys.executable).parent / "ffade"
    script = (
        f'mount -t tmpfs -o ro none "{mount}" && exec "{exe}" report "{run_dir}" --out "{mount}"'
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    if "mount:" in result.stderr or "unshare:" in result.stderr:
        pytest.skip(f"cannot mount here: {result.stderr.strip()}")
    line = one_line(result, f"--out {mount}: ")
    assert "(read-only file system)" in line and "permission denied" not in line


def test_a_read_only_run_reported_elsewhere_says_read_only(run_dir: Path, tmp_path: Path) -> None:
    """``--out`` elsewhere, pictures still bound for the run's TensorBoard: a read-only mount was
    said as "permission denied", which sends the user to chmod, that cannot help."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root's unshare to mount a read-only file system")
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    out = tmp_path / "out"
    exe = Path(sys.executable).parent / "ffade"
    script = (
        f'mount --bind "{run}" "{run}" && mount -o remount,ro,bind "{run}" '
        f'&& exec "{exe}" report "{run}" --out "{out}"'
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    if "mount:" in result.stderr or "unshare:" in result.stderr:
        pytest.skip(f"cannot mount here: {result.stderr.strip()}")
    line = one_line(result, f"{run}: cannot write in this directory (", "--no-tensorboard")
    assert "(read-only file system)" in line and "permission denied" not in line
    assert not out.exists()  # refused before any work


def test_a_path_with_a_space_is_named_quoted_as_typed(run_dir: Path, tmp_path: Path) -> None:
    """``--to 'my suites/'`` (a folder) said "--to my suites: a directory is there", which reads
    as the option taking "my" and a stray word; the path is now quoted as one shell word."""
    (tmp_path / "my suites").mkdir()
    (tmp_path / "my report").write_text("x")
    to = ffade_in_process("export", str(run_dir), "--to", "my suites/", cwd=tmp_path)
    one_line(to, "--to 'my suites': a directory is there; give a file name inside it")
    out = ffade_in_process("report", str(run_dir), "--out=my report", cwd=tmp_path)
    one_line(out, "--out 'my report': a file is there, not a directory; give a directory")
