"""A full disk: one line naming the file and "no space left on device" (exit 1), never a
traceback; the log keeps whole lines, each file its old version, and a run resumes once there
is room. ``/dev/full`` stands in for the disk: every write to it fails with ENOSPC, as on a full
disk, and a ``NAME.tmp`` linked to it is where ffade writes ``NAME`` before renaming it."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ffade.records import EVALUATIONS_FILE, RunRecorder
from tests.helpers import ffade_in_process, write_config

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


def full_disk(path: Path) -> Path:
    """Where ffade writes ``path`` first (``path.tmp``), linked to a device that is always full."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.symlink_to("/dev/full")
    return tmp


def said_no_space(stderr: str, path: Path) -> list[str]:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr[-3000:]
    errors = [line for line in lines if line.startswith("ffade: error: ")]
    assert errors == [
        f"ffade: error: {path}: no space left on device; free some space or choose another path"
    ], lines
    return lines


class _FillsAfter(io.FileIO):
    """A disk with ``room`` bytes left: a write takes what fits, the next one fails."""

    room = 50

    def write(self, data: bytes) -> int:
        if self.room == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        taken = min(self.room, len(data))
        self.room -= taken
        return super().write(bytes(data[:taken]))


def test_a_log_write_cut_short_by_a_full_disk_is_cut_back_to_whole_lines(tmp_path: Path) -> None:
    with RunRecorder(tmp_path) as recorder:
        recorder.append_lines(['{"step": 0}'])
        recorder._log.close()
        recorder._log = _FillsAfter(tmp_path / EVALUATIONS_FILE, "a")
        with pytest.raises(OSError) as raised:
            recorder.append_lines(['{"step": 1, "input_id": 0}', '{"step": 1, "input_id": 1}'])
        assert raised.value.errno == errno.ENOSPC
        assert raised.value.filename == str(tmp_path / EVALUATIONS_FILE)
        assert (tmp_path / EVALUATIONS_FILE).read_text() == '{"step": 0}\n'
        recorder._log.room = 100  # room again: the next batch follows the whole lines
        recorder.append_lines(['{"step": 2}'])
    assert (tmp_path / EVALUATIONS_FILE).read_text() == '{"step": 0}\n{"step": 2}\n'


def test_a_checkpoint_on_a_full_disk_is_one_line_and_the_run_resumes(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=400)
    run = tmp_path / "runs" / "test" / "version_0"  # a pinned version: the disk can be set up
    blocked = full_disk(run / "checkpoints" / "last.ckpt")
    pinned = ("--trainer.logger.init_args.version", "0")
    result = ffade_in_process("fit", "--config", str(config), *pinned, cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    lines = said_no_space(result.stderr, run / "checkpoints" / "last.ckpt")
    assert lines[-1].startswith(f"ffade: the run failed; the run so far is in {run} ")
    assert "(summary.json: status failed); resume it with: ffade fit" in lines[-1]
    summary = json.loads((run / "summary.json").read_text())
    log = (run / EVALUATIONS_FILE).read_text()
    assert summary["status"] == "failed" and log.endswith("\n")
    ckpt = run / "checkpoints" / "last.ckpt"  # the file written, not its last.ckpt.tmp
    assert summary["error"] == f"OSError: {ckpt}: no space left on device"
    assert summary["evaluations"] == len([json.loads(line) for line in log.splitlines()]) > 0
    assert not (run / "checkpoints" / "last.ckpt").exists()

    assert not blocked.exists()  # the failed save removed its NAME.tmp: room again
    # the resume the line names finishes the run
    result = ffade_in_process(
        "fit", "--config", str(run / "config.yaml"), "--ckpt_path", str(run), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["status"], summary["evaluations"]) == ("finished", 400)


def test_a_report_on_a_full_disk_is_one_line_and_keeps_the_old_report(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "test" / "version_0"
    out = tmp_path / "out"
    result = ffade_in_process("report", str(run), "--out", str(out), "--no-tensorboard")
    assert result.returncode == 0, result.stderr[-3000:]
    before = (out / "report.md").read_text()
    full_disk(out / "report.md")
    result = ffade_in_process(
        "report", str(run), "--out", str(out), "--no-tensorboard", "--threshold", "0.9"
    )
    assert result.returncode == 1
    said_no_space(result.stderr, out / "report.md")
    assert (out / "report.md").read_text() == before


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MiB tmpfs (root only), filled up by the test; unmounted after it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)])
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_report_whose_tensorboard_file_does_not_fit_is_one_line(
    tmp_path: Path, small_disk: Path
) -> None:
    """TensorBoard's writer thread printed its own traceback, and the error named no file."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    run = small_disk / "run"
    shutil.copytree(tmp_path / "runs" / "test" / "version_0", run)
    # the disk full to the last byte
    with contextlib.suppress(OSError), open(small_disk / "filler", "wb", buffering=0) as f:
        while True:
            f.write(b"\0" * 4096)
    result = ffade_in_process("report", str(run), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "Exception in thread" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("ffade: error")]
    assert line.startswith(f"ffade: error: {run}/events.out.tfevents."), line
    assert line.endswith(
        ".ffade-report: no space left on device; free some space or choose another path"
    )
    assert not (run / "report-events.tmp").exists()


def test_a_run_refused_at_once_by_a_full_disk_leaves_no_empty_version(
    tmp_path: Path, small_disk: Path
) -> None:
    """A start (a resume, say) on a disk still full left a version_N holding a 0-byte
    TensorBoard file; it goes, as a refused start's folder does. A real full disk: a tmpfs."""
    with contextlib.suppress(OSError), open(small_disk / "filler", "wb") as filler:
        while True:
            filler.write(b"x" * 4096)
            filler.flush()
    config = write_config(tmp_path / "c.yaml", budget=20)
    where = ("--trainer.logger.init_args.save_dir", str(small_disk / "runs"))
    result = ffade_in_process("fit", "--config", str(config), *where, cwd=tmp_path)
    assert result.returncode == 1 and "no space left on device" in result.stderr
    assert not (small_disk / "runs").exists(), list((small_disk / "runs").rglob("*"))
