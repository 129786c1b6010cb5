"""A run whose log is removed or cut while it runs (a partial ``rm -rf`` of its folder, a
``: > evaluations.jsonl``) stops at its next append with one line naming what happened, exit
non-zero, and a summary that does not say "finished"; it used to go on to exit 0, appending
to a file no folder held, or with a summary whose counts its log no longer matched."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lightning.pytorch import Callback

from ffade.records import EVALUATIONS_FILE, SUMMARY_FILE
from tests.helpers import ffade_in_process, write_config


class _AfterThreeSteps(Callback):
    steps = 0

    def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
        self.steps += 1
        if self.steps == 3:
            self.damage(Path(trainer.log_dir) / EVALUATIONS_FILE)

    def damage(self, log: Path) -> None:
        raise NotImplementedError


class RemovesLog(_AfterThreeSteps):
    """An ``rm -rf`` that removed the log and then failed on a folder the run kept filling."""

    def damage(self, log: Path) -> None:
        log.unlink()


class CutsLog(_AfterThreeSteps):
    """``: > evaluations.jsonl`` while the run writes it."""

    def damage(self, log: Path) -> None:
        os.truncate(log, 0)


class RemovesLogAtTheEnd(Callback):
    """The log removed after the run's last append, before it ends."""

    def on_train_end(self, trainer: Any, *args: Any) -> None:
        (Path(trainer.log_dir) / EVALUATIONS_FILE).unlink()


def _fit(tmp_path: Path, callback: str) -> tuple[Any, Path, list[str]]:
    config = write_config(tmp_path / "c.yaml", budget=200)
    hook = f"--trainer.callbacks+=tests.test_log_guard.{callback}"
    result = ffade_in_process("fit", "--config", str(config), hook, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("ffade: error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert result.returncode != 0
    return result, tmp_path / "runs" / "test" / "version_0", errors


def test_a_log_removed_mid_run_stops_the_run(tmp_path: Path) -> None:
    result, run, errors = _fit(tmp_path, "RemovesLog")
    assert f"{run / EVALUATIONS_FILE} was removed or replaced while the run wrote it" in errors[0]
    assert "next: read" not in result.stdout + result.stderr
    assert json.loads((run / SUMMARY_FILE).read_text())["status"] == "failed"


def test_a_log_cut_mid_run_stops_the_run(tmp_path: Path) -> None:
    _, run, errors = _fit(tmp_path, "CutsLog")
    assert f"{run / EVALUATIONS_FILE} was cut short while the run wrote it (0 bytes" in errors[0]
    summary = json.loads((run / SUMMARY_FILE).read_text())
    assert summary["status"] == "failed"
    assert "cut short" in summary["error"]


def test_a_log_removed_after_its_last_append_does_not_finish(tmp_path: Path) -> None:
    result, run, errors = _fit(tmp_path, "RemovesLogAtTheEnd")
    assert f"{run / EVALUATIONS_FILE} was removed or replaced while the run wrote it" in errors[0]
    assert "next: read" not in result.stdout + result.stderr  # no closing lines of a finish
    assert json.loads((run / SUMMARY_FILE).read_text())["status"] == "failed"
