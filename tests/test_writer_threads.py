"""TensorBoard's event writer failing on its own thread (a full disk): no thread traceback, and
the error the run raises names the events file. ``/dev/full`` stands in for the disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")

WRITE_TO_A_FULL_DISK = """
import glob, os, sys, time
from torch.utils.tensorboard import SummaryWriter
from ffade.writable import failed_path
from ffade.writer_threads import quiet_writer_threads

quiet_writer_threads()
writer = SummaryWriter(sys.argv[1])
(path,) = glob.glob(os.path.join(sys.argv[1], "events.out.tfevents.*"))
os.remove(path)
os.symlink("/dev/full", path)  # every write to it fails with ENOSPC, as on a full disk
try:
    for step in range(3):
        writer.add_scalar("x", 1.0, step)
        writer.flush()
except OSError as error:
    print(error.errno, failed_path(error) == path, error.filename)
time.sleep(0.2)  # the writer thread's end, where Python printed its traceback
"""


def test_a_full_disk_under_tensorboards_writer_is_the_runs_error_naming_the_file(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", WRITE_TO_A_FULL_DISK, str(tmp_path / "events")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Exception in thread" not in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    # raised in the run, with the events file found though the OSError itself names none
    assert result.stdout.split() == ["28", "True", "None"], result.stdout
