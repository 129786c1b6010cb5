"""A resumed run stopped again before it kept anything of its own: its line names what it was
itself resumed from (README, Resuming a run), which still resumes it."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
import torch

from ffade import run_base
from tests.helpers import fit_with_own_target, stopped_while_loading

SLOW_WHEN_TOLD = """
import pathlib
import time

from ffade_synthetic.target import SyntheticTarget


class SlowWhenTold(SyntheticTarget):
    def __init__(self):
        super().__init__()
        if pathlib.Path("slow").exists():  # the resumed run: stopped while its model loads
            pathlib.Path("loading").touch()
            time.sleep(60)
"""


def _resumed_by_its_line(line: str) -> int:
    """Run the command the line ends with, as typed (in this process); its exit status."""
    from ffade.cli import main

    words = shlex.split(line.split(" with: ", 1)[1])
    assert words[:2] == ["ffade", "fit"]
    return main(words[1:])


@pytest.mark.parametrize("source", ["checkpoint", pytest.param("log", marks=pytest.mark.slow)])
def test_a_resumed_search_stopped_before_it_kept_anything_names_where_it_was_resumed_from(
    tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, its line said "with nothing to resume from", though the run it was resumed from
    (its checkpoint, or its log replayed) still resumed it."""
    from ffade.cli import main

    command, env = fit_with_own_target(tmp_path, SLOW_WHEN_TOLD, "slow_when_told:SlowWhenTold")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main([*command[3:], "--trainer.max_steps", "2"]) == 0  # 32 of its 64: it goes on
    v0, v1, v2 = (tmp_path / "runs" / "test" / f"version_{n}" for n in (0, 1, 2))
    if source == "checkpoint":
        given = v0 / "checkpoints" / "last.ckpt"
    else:  # as a run killed before its first checkpoint leaves it: its log, status running
        (v0 / "checkpoints" / "last.ckpt").unlink()
        summary = json.loads((v0 / "summary.json").read_text())
        (v0 / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
        given = v0
    config = [sys.executable, "-m", "ffade", "fit", "--config", str(v0 / "config.yaml")]
    config += ["--trainer.max_steps", "-1"]  # to its budget, as the line's config.yaml says
    (tmp_path / "slow").touch()  # this run's target loads slowly, not the first's
    err = stopped_while_loading([*config, "--ckpt_path", str(given)], tmp_path, env)
    (tmp_path / "slow").unlink()
    assert "Traceback" not in err  # a checkpoint cut short says so in a note first
    line = err.strip().splitlines()[-1]
    assert line == (
        f"ffade: interrupted; its run directory is {v1} (summary.json: status interrupted), "
        "with nothing of its own to resume from; resume it from where it was resumed from "
        f"with: ffade fit --config {v1 / 'config.yaml'} --ckpt_path {given}"
    )
    assert _resumed_by_its_line(line) == 0
    summary = json.loads((v2 / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 64


class _Tuned(run_base.RunModule):
    """A fine-tuner's kind of run: resumed only from a checkpoint, no log."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)


def test_a_resumed_fine_tune_stopped_in_its_check_names_the_checkpoint_it_resumed_from(
    tmp_path: Path,
) -> None:
    """A fine-tune resumed from its end-of-training checkpoint trains no step, so saves none:
    stopped in its check after training, its line said "nothing to resume from"."""
    old = tmp_path / "version_0" / "checkpoints" / "last.ckpt"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"saved")
    module = _Tuned()
    module.run_dir = tmp_path / "version_1"
    module.run_dir.mkdir()
    module.resumed_from = old
    config = module.run_dir / "config.yaml"
    assert run_base.interrupted_line(module).endswith(
        f"nothing of its own to resume from; resume it from where it was resumed from with: "
        f"ffade fit --config {config} --ckpt_path {old}"
    )
    token = run_base.PYTHON_CALL.set("ffade.mitigate")
    try:
        line = run_base.interrupted_line(module)
    finally:
        run_base.PYTHON_CALL.reset(token)
    assert line.endswith(
        f"with: ffade.mitigate(<the same arguments>, resume={str(tmp_path / 'version_0')!r})"
    )
    (module.run_dir / "checkpoints").mkdir()  # once it saved its own, that one resumes it
    (module.run_dir / "checkpoints" / "last.ckpt").write_bytes(b"saved")
    assert run_base.interrupted_line(module).endswith(f"--ckpt_path {module.run_dir}")


def test_the_resume_command_names_the_run_without_dot_dot(tmp_path: Path, monkeypatch) -> None:
    """A run saved under ``../runs`` (from ``scripts/``) was resumed by ``--ckpt_path
    /work/scripts/../runs/...``: a path to nowhere once ``scripts/`` is removed or renamed."""
    (tmp_path / "scripts").mkdir()
    monkeypatch.chdir(tmp_path / "scripts")
    run = tmp_path / "runs" / "version_0"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"saved")
    module = _Tuned()
    module.run_dir = Path("../runs/version_0")
    line = run_base.interrupted_line(module)
    assert line.endswith(f"with: ffade fit --config {run / 'config.yaml'} --ckpt_path {run}")


def test_a_failed_runs_line_quotes_its_run_directory(tmp_path: Path) -> None:
    """`ffade: the run failed; ... is in my runs/version_0` named two words where its resume
    command, a word later, quotes the same directory: both are quoted as shlex.quote does."""
    run = tmp_path / "my runs" / "version_0"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"saved")
    module = _Tuned()
    module.run_dir = run
    line = run_base.interrupted_line(module, "failed")
    assert line == (
        f"ffade: the run failed; the run so far is in '{run}' (summary.json: status failed); "
        f"resume it with: ffade fit --config '{run / 'config.yaml'}' --ckpt_path '{run}'"
    )
