"""A run directory removed while the run went on (``rm -rf runs/x`` in another terminal): the
error names the folder removed, not "file not found" for the run's own ``summary.json.tmp``;
and one removed before the first step, then made again (by Lightning's TensorBoard logger, or
the run's own start), is said so too, not a run ending exit 0 in a folder without config.yaml."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from lightning.pytorch import Callback

from ffade.writable import folder_gone
from tests.helpers import ffade_in_process, write_config


def rm_rf(folder: str) -> None:
    """``rm -rf folder`` until it is gone: the run's TensorBoard writer thread can add a file to
    it while ``shutil.rmtree`` empties it, which then fails "Directory not empty" (seen once in
    the full suite under load); ``rm -rf`` in a terminal would be typed again."""
    for _ in range(100):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder):
            return
    raise AssertionError(f"{folder} could not be removed")


class RemovesRunDir(Callback):
    """Removes the run's directory after its ``after_steps``-th step, as a user's ``rm -rf``
    would."""

    after_steps = 3
    steps = 0

    def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
        self.steps += 1
        if self.steps == self.after_steps:
            rm_rf(trainer.log_dir)


def test_a_run_directory_removed_mid_run_is_named_as_removed(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=200)
    callback = ["--trainer.callbacks+=tests.test_folder_gone.RemovesRunDir"]
    result = ffade_in_process("fit", "--config", str(config), *callback, cwd=tmp_path)
    run = tmp_path / "runs" / "test" / "version_0"
    assert not run.exists()
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ffade: error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    # the run's next append (ffade.log_guard) or, before it, a write there says so
    assert f"the folder {run} was removed while" in errors[0]
    assert ".tmp" not in errors[0]


class RemovesRunDirAtSetup(Callback):
    """Removes the run's directory right after the run took it, before config.yaml is written
    (Lightning sets the callback that writes it up after the user's)."""

    def setup(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        rm_rf(trainer.log_dir)  # config.yaml's write made it again


class RemakesRunDirAtFitStart(Callback):
    """Removes the run's directory once the model is loaded, and makes it again at once, as
    Lightning's TensorBoard logger does at its next log."""

    def on_fit_start(self, trainer: Any, *args: Any) -> None:
        rm_rf(trainer.log_dir)
        Path(trainer.log_dir).mkdir()


@pytest.mark.parametrize(
    ("callback", "written"),
    [("RemovesRunDirAtSetup", "config.yaml"), ("RemakesRunDirAtFitStart", "summary.json")],
)
def test_a_run_directory_removed_before_the_first_step_is_named_as_removed(
    tmp_path: Path, callback: str, written: str
) -> None:
    config = write_config(tmp_path / "c.yaml", budget=64)
    added = f"--trainer.callbacks+=tests.test_folder_gone.{callback}"
    result = ffade_in_process("fit", "--config", str(config), added, cwd=tmp_path)
    run = tmp_path / "runs" / "test" / "version_0"
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ffade: error:")]
    assert errors == [
        f"ffade: error: {run / written}: cannot write it: the folder {run} was removed "
        "while ffade wrote there (what was in it is gone); run the command again"
    ], result.stderr[-3000:]
    assert not (run / "config.yaml").exists()  # what is left there is not a run to resume


def test_a_tensorboard_file_in_a_removed_folder_is_named_by_its_path(tmp_path: Path) -> None:
    """TensorBoard names its events file in bytes: that raised a TypeError traceback."""
    events = os.fsencode(tmp_path / "gone" / "events.out.tfevents.1.host.2.0")
    said = folder_gone(events)
    assert said is not None and f"the folder {tmp_path / 'gone'} was removed" in said


def test_only_a_write_in_a_removed_folder_is_said_so(tmp_path: Path) -> None:
    assert folder_gone(tmp_path / "config.yaml") is None  # a missing input: "file not found"
    assert folder_gone(tmp_path / "summary.json.tmp") is None  # its folder is there
    events = folder_gone(tmp_path / "gone" / "events.out.tfevents.1.host.2.0")
    assert events is not None and f"the folder {tmp_path / 'gone'} was removed" in events
    said = folder_gone(tmp_path / "a" / "b" / "summary.json.tmp")
    assert said is not None and f"the folder {tmp_path / 'a'} was removed" in said
