"""`ffade export`'s `next:` line names the run's accepted fine-tune where one lies beside the run
(docs/gate.md), not the placeholder FINE_TUNE_RUN_DIR that had to be looked up and typed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ffade.cli import main
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.gate.run_fixes import accepted_fine_tunes
from tests.helpers import synthetic_spec


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `runs/` folder holding one discovery run, `runs/ffade/version_0`."""
    runs = tmp_path_factory.mktemp("exported") / "runs"
    explorer = RandomExplorer(task=synthetic_spec(), budget=1500, num_envs=100)
    run_dir = Path(discover(explorer, runs, seed=0).recorder.run_dir)
    assert run_dir.parent.parent == runs
    return runs


def fine_tune(folder: Path, run: Path, accepted: bool = True, when: float = 0.0) -> Path:
    """A fine-tune's folder as ffade leaves it: its verdict, with the run it fixed."""
    folder.mkdir(parents=True, exist_ok=True)
    verdict = folder / "mitigation.json"
    verdict.write_text(json.dumps({"run": str(run.resolve()), "accepted": accepted}))
    os.utime(verdict, (when, when))
    return folder


def next_line(capsys, run: str, to: str) -> str:
    assert main(["export", run, "--to", to, "--pairs", "4"]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_export_names_the_fine_tune_that_fixed_the_run(
    runs: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """docs/mitigation.md: a fine-tune saves under its logger's folder (runs/mitigate_digits/
    version_0 for runs/quickstart/version_0) and its mitigation.json records the run it fixed."""
    run = runs / "ffade" / "version_0"
    fine_tune(tmp_path / "runs" / "mitigate" / "version_0", run)
    os.symlink(runs / "ffade", tmp_path / "runs" / "ffade")  # this test's own runs/
    monkeypatch.chdir(tmp_path)
    line = next_line(capsys, "runs/ffade/version_0", "s.yaml")
    assert line.startswith(
        "next: ffade check --suite s.yaml --target runs/mitigate/version_0 (the fixed model: "
        "the run's accepted fine-tune; without --target, the run's own model, which fails "
    )


def test_rejected_and_other_runs_fine_tunes_are_not_named(
    runs: Path, tmp_path: Path, capsys
) -> None:
    run = runs / "ffade" / "version_0"
    fine_tune(runs / "rejected" / "version_0", run, accepted=False)
    other = tmp_path / "other"
    other.mkdir()
    fine_tune(runs / "elsewhere" / "version_0", other)
    line = next_line(capsys, str(run), str(tmp_path / "s.yaml"))
    assert "--target FINE_TUNE_RUN_DIR (the fixed model; without --target" in line


def test_the_newest_of_several_and_the_loop_s_mitigate_folder(tmp_path: Path) -> None:
    """The loop keeps its fine-tune in mitigate/ beside discover/ (ffade/loop.py)."""
    loop = tmp_path / "loop" / "version_0"
    run = loop / "discover"
    run.mkdir(parents=True)
    fine_tune(loop / "mitigate", run, when=200.0)
    fine_tune(tmp_path / "loop" / "mitigate_digits" / "version_3", run, when=100.0)
    assert accepted_fine_tunes(run) == [
        str(loop / "mitigate"),
        str(loop.parent / "mitigate_digits" / "version_3"),
    ]
