"""Each line a command prints to stderr is one write, under PYTHONUNBUFFERED too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, write_config

WRITES = r"""
import sys

def writes():  # this process's write calls so far (Linux)
    return int(dict(l.split(": ") for l in open("/proc/self/io").read().splitlines())["syscw"])

sys.argv = ["ffade", "no-such-command"]
from ffade.cli import main

status = main()  # the process's command: says its one error line
before = writes()
print("ffade: error: a line", file=sys.stderr)
print(status, writes() - before, sys.stderr.line_buffering)
"""


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts writes in /proc (Linux)")
def test_the_commands_stderr_lines_are_each_one_write_under_pythonunbuffered() -> None:
    """Two ranks of a data-parallel run both refusing a task printed, under PYTHONUNBUFFERED=1
    (each print's text and newline written apart), "ffade: error: ...ffade: error: ..." on one
    line: a command's process writes each stderr line whole."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "-c", WRITES], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["2", "1", "True"], result.stdout
    assert result.stderr.startswith("ffade: error: unknown command 'no-such-command'")
    assert result.stderr.endswith("\nffade: error: a line\n")


GONE = r"""
import sys

sys.argv = ["ffade", "no-such-command"]
from ffade.cli import main

status = main()  # the process's command: its stderr's reader is already gone
for line in range(100):
    print(f"ffade: note: line {line}", file=sys.stderr)
sys.stderr.write("a bar's line without its newline")
print(status, "carried on")
"""


def _closed_pipe() -> int:
    """The write end of a pipe whose reader is gone (``2>&1 | head -0``)."""
    read, write = os.pipe()
    os.close(read)
    return write


def test_a_stderr_whose_reader_is_gone_drops_its_lines_and_the_command_carries_on() -> None:
    """``ffade ... 2>&1 | head -3``: a line said on stderr once its reader had gone raised
    BrokenPipeError wherever it was said (a progress bar's, a note's), and Python's flush at exit
    said "Exception ignored ... BrokenPipeError" with exit status 120. stderr holds no result:
    its lines go nowhere and the command goes on, to its own status."""
    stderr = _closed_pipe()
    try:
        result = subprocess.run(
            [sys.executable, "-c", GONE], stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO
        )
    finally:
        os.close(stderr)
    assert result.returncode == 0
    assert result.stdout == "2 carried on\n"


@pytest.mark.slow  # a search in a process of its own: about 15 s, most of it importing Lightning
def test_a_fit_whose_reader_is_gone_finishes_its_run(tmp_path: Path) -> None:
    """``ffade fit ... 2>&1 | head -3``, the reader gone before the search ended: the progress
    bar's closing line, said as the search had done every evaluation, raised BrokenPipeError in
    Lightning's on_train_end, so summary.json said ``failed`` (and ``ffade`` exited 0, its
    answer to a closed stdout). The run is whole, so it is ``finished``, exit 0."""
    config = write_config(tmp_path / "c.yaml", budget=32)
    exe = Path(sys.executable).parent / "ffade"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    output = _closed_pipe()
    try:
        result = subprocess.run(
            [str(exe), "fit", "--config", str(config)],
            stdout=output,
            stderr=output,
            cwd=tmp_path,
            env=env,
            timeout=300,
        )
    finally:
        os.close(output)
    summary = json.loads((tmp_path / "runs" / "test" / "version_0" / "summary.json").read_text())
    assert (summary["status"], summary["evaluations"]) == ("finished", 32)
    assert result.returncode == 0
