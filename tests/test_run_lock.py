"""Two ``ffade fit`` into one pinned version at once: the second is refused in one line (both
once ran to the end in one directory, their evaluations interleaved in one log)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import ffade_in_process, write_config

fcntl = pytest.importorskip("fcntl")


def test_a_run_directory_another_run_is_writing_in_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=60)
    run = tmp_path / "runs" / "test" / "version_0"
    run.mkdir(parents=True)
    pinned = ("--trainer.logger.init_args.version", "0")
    other = os.open(run, os.O_RDONLY)  # a run started there a moment ago, nothing written yet
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        result = ffade_in_process("fit", "--config", str(config), *pinned, cwd=tmp_path)
    finally:
        os.close(other)  # that run ends
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert errors == [
        f"ffade: error: run directory {run} is in use: another ffade run is writing there now; "
        "leave trainer.logger's version unset (each run gets a new version_N), give it a new "
        "one, or wait for that run to end"
    ], errors
    assert list(run.iterdir()) == []  # nothing of the refused run's in the other's directory
    # with that run gone, one runs there, and lets go of the directory as it ends
    done = ffade_in_process("fit", "--config", str(config), *pinned, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    after = os.open(run, os.O_RDONLY)
    try:
        fcntl.flock(after, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises while the run holds it
    finally:
        os.close(after)


def test_resuming_a_run_still_going_is_refused(tmp_path: Path) -> None:
    """A run taken for killed while another shell still runs it (its summary says 'running' as
    a killed one's does): a resume went on in a new version_N beside it, two runs doing one's
    work. Its lock says it is going: refused in one line, nothing made; once it ends, resumed."""
    config = write_config(tmp_path / "c.yaml", budget=60)
    first = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    run = tmp_path / "runs" / "test" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
    resume = ("fit", "--config", str(run / "config.yaml"), "--ckpt_path", str(run))
    going = os.open(run, os.O_RDONLY)  # that run, still writing there
    fcntl.flock(going, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        result = ffade_in_process(*resume, cwd=tmp_path)
    finally:
        os.close(going)  # that run ends (killed: its summary still says running)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: --ckpt_path {run / 'checkpoints' / 'last.ckpt'}: run directory {run} is "
        "in use: another ffade run is writing there now; wait for that run to end, or stop it "
        "(Ctrl-C) and resume then"
    ], result.stderr[-3000:]
    assert sorted(p.name for p in run.parent.iterdir()) == ["version_0"]
    done = ffade_in_process(*resume, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in run.parent.iterdir()) == ["version_0", "version_1"]
