"""Each line a command prints to stderr is one write, under PYTHONUNBUFFERED too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

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
