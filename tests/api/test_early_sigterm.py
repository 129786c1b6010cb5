"""SIGTERM to a script whose ``ffade.discover`` call loads its model, before Lightning holds
SIGTERM: the README's status 1 and the run's line, as for one during the search. Before, it met
the script's default handler: the process ended at once (143), no line, summary.json ``created``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

SCRIPT = """
import os
import signal

from ffade_synthetic.target import SyntheticTarget

import ffade
from tests.helpers import synthetic_spec


class KilledAsItLoads(SyntheticTarget):
    def __init__(self):
        super().__init__()
        os.kill(os.getpid(), signal.SIGTERM)  # the run's summary.json says 'created' by now
        signal.pthread_sigmask(signal.SIG_BLOCK, [])


spec = synthetic_spec()
spec["target"] = KilledAsItLoads
ffade.discover(task=spec, explorer="random", budget=32, save_dir="runs")
print("the script went on")
"""


@pytest.mark.slow
def test_sigterm_while_a_called_run_loads_its_model_ends_the_script_with_status_1(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    run = tmp_path / "runs" / "ffade" / "version_0"
    assert done.returncode == 1, done.stderr[-2000:]
    assert "the script went on" not in done.stdout and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "ffade: interrupted; its run directory is runs/ffade/version_0 (summary.json: status "
        "interrupted), with nothing to resume from"
    )
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"
