"""``ffade.discover`` on two CPU processes from a script, as docs/scale.md's Limits describe it.

Lightning's ``ddp`` runs the script again as rank 1, so the code after the call runs on both
ranks. Slow: two processes start Lightning each, on a machine whose cores are shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.slow

SCRIPT = """\
import json, os, sys
import ffade

if __name__ == "__main__":
    run = ffade.discover(
        target="synthetic",
        dataset={"name": "synthetic", "args": {"num_inputs": 16, "fractions": [0.5, 0.25, 0.25]}},
        reward="margin",
        concepts=[{"name": "axis", "args": {"index": i}} for i in range(3)],
        explorer="dqn",
        budget=800,
        num_envs=16,
        eval_batch_size=4,
        save_dir=sys.argv[1],
        trainer={"accelerator": "cpu", "devices": 2, "strategy": "ddp"},
    )
    from lightning.pytorch.utilities import rank_zero_only

    rank = rank_zero_only.rank  # the global rank, as docs/scale.md says to guard with
    seen = {"dir": str(run.dir), "status": run.summary["status"],
            "evaluations": run.summary["evaluations"], "lines": len(run.evaluations)}
    with open(os.path.join(sys.argv[2], f"rank{rank}.json"), "w") as out:
        json.dump(seen, out)
"""


def test_every_rank_returns_the_run_rank_0_finished(tmp_path: Path) -> None:
    """Rank 1 left the fit while rank 0 still wrote the run: its ``Run`` read a summary.json
    still ``running`` (640 of 800 evaluations), and code after the call, run on every rank,
    worked on a half-written run. Every rank now gets the finished run."""
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    seen = tmp_path / "seen"
    seen.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "runs"), str(seen)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = {path.name: json.loads(path.read_text()) for path in seen.iterdir()}
    assert sorted(ranks) == ["rank0.json", "rank1.json"], result.stderr[-3000:]  # one each
    expected = {"status": "finished", "evaluations": 800, "lines": 800}
    for rank, what in ranks.items():
        assert {k: what[k] for k in expected} == expected, rank
    assert ranks["rank0.json"]["dir"] == ranks["rank1.json"]["dir"]
