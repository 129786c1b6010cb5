"""The run plumbing explorers and fine-tuners share: seed, run directory, clock, crash records."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from lightning.pytorch import Callback, Trainer, seed_everything
from lightning.pytorch.loggers import TensorBoardLogger
from torch.utils.data import DataLoader

from ffade import run_base
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.run_base import RunModule
from tests.helpers import REPO, ffade_in_process, synthetic_spec, write_config


class _Crashing(RunModule):
    """Trains a linear layer and crashes on its third step."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def setup(self, stage: str) -> None:
        self.start_run()

    def on_train_start(self) -> None:
        self.write_summary("running")

    def summary(self) -> dict[str, Any]:
        return {"status": self.status, "seed": self.seed}

    def train_dataloader(self) -> DataLoader:
        return DataLoader(torch.ones(8, 2), batch_size=2)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        if batch_idx == 2:
            raise RuntimeError("boom")
        return self.layer(batch).sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.layer.parameters(), lr=0.1)


def test_a_crash_is_recorded_in_the_loggers_run_directory(tmp_path: Path) -> None:
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    seed_everything(7, verbose=False)
    module = _Crashing()
    trainer = Trainer(
        max_epochs=1,
        logger=TensorBoardLogger(str(tmp_path), name="crash"),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(module)
    assert module.run_dir == tmp_path / "crash" / "version_0"
    summary = json.loads((module.run_dir / "summary.json").read_text())
    environment = summary.pop("environment")  # every run says where it ran, a crashed one too
    assert summary == {"status": "failed", "seed": 7, "error": "RuntimeError: boom"}
    assert environment["device"] == "cpu (" + torch.backends.cpu.get_cpu_capability() + ")"


def test_no_summary_before_the_run_has_a_directory() -> None:
    module = _Crashing()
    module.end_run("failed")  # a crash before setup: nothing to write to, and no error
    assert module.status == "failed" and module.run_dir is None


def test_the_clock_counts_only_while_running(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(run_base.time, "monotonic", lambda: now[0])
    module = _Crashing()
    module.wall_seconds = 5.0  # banked by an earlier, resumed part of the run
    module.start_clock()
    now[0] = 102.5
    assert module.elapsed_seconds() == 7.5
    module.stop_clock()
    now[0] = 110.0
    assert module.elapsed_seconds() == module.wall_seconds == 7.5


def test_an_interrupted_run_names_its_resume_command_only_when_one_can_resume(
    tmp_path: Path,
) -> None:
    """A fine-tune stopped before its first checkpoint cannot resume: no command is offered, and
    the line said "the run so far is in ..." though there was no run so far."""
    module = _Crashing()
    module.run_dir = tmp_path
    assert run_base.interrupted_line(module) == (
        f"ffade: interrupted; its run directory is {tmp_path} (summary.json: status "
        "interrupted), with nothing to resume from"
    )
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"saved")
    resume = f"ffade fit --config {tmp_path / 'config.yaml'} --ckpt_path {tmp_path}"
    line = run_base.interrupted_line(module)
    assert line.startswith(f"ffade: interrupted; the run so far is in {tmp_path} ")
    assert line.endswith(f"resume it with: {resume}")


def test_a_run_that_failed_before_keeping_anything_says_so(tmp_path: Path) -> None:
    """A plugin's exception before the first evaluation closed with "the run so far is in ...",
    though there was no run so far: its folder holds a summary.json with status failed alone."""
    module = _Crashing()
    module.run_dir = tmp_path
    assert run_base.interrupted_line(module, "failed") == (
        f"ffade: the run failed; its run directory is {tmp_path} (summary.json: status failed), "
        "with nothing to resume from"
    )


def test_a_plugin_crash_before_the_first_evaluation_names_the_run_directory(
    tmp_path: Path,
) -> None:
    """As typed: the target's own code raises on its first call, so nothing is evaluated."""
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=120)
    data = yaml.safe_load(config.read_text())
    crashing = {"predict": "tests.api.callables:crashes_at_env_call"}
    data["model"]["init_args"]["task"]["target"] = {"name": "callable", "args": crashing}
    config.write_text(yaml.safe_dump(data))
    env = {**os.environ, "FFADE_TEST_CRASH_AT": "1", "PYTHONPATH": str(REPO)}
    env["PYTHONPATH"] += os.pathsep + os.environ.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "ffade", "fit", "--config", str(config)]
    crashed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)
    run = tmp_path / "runs" / "test" / "version_0"
    assert crashed.returncode == 1 and "RuntimeError: planted crash mid-run" in crashed.stderr
    assert json.loads((run / "summary.json").read_text())["evaluations"] == 0
    if sys.version_info >= (3, 11):  # the line is the traceback's note; before, printed ahead
        assert crashed.stderr.strip().splitlines()[-1] == (
            f"ffade: the run failed; its run directory is {run} (summary.json: status failed), "
            "with nothing to resume from"
        )


def test_the_resume_command_names_a_relative_run_by_its_absolute_path(
    tmp_path: Path, monkeypatch
) -> None:
    """A run under ``save_dir: runs`` printed ``--ckpt_path runs/quickstart/version_0``, which
    fails copied into a shell in any other directory; the command is copied and run anywhere."""
    monkeypatch.chdir(tmp_path)
    module = _Crashing()
    module.run_dir = Path("runs") / "x" / "version_0"
    (module.run_dir / "checkpoints").mkdir(parents=True)
    (module.run_dir / "checkpoints" / "last.ckpt").write_bytes(b"saved")
    run = tmp_path / "runs" / "x" / "version_0"
    line = run_base.interrupted_line(module)
    assert line.startswith("ffade: interrupted; the run so far is in runs/x/version_0 ")
    assert line.endswith(f"resume it with: ffade fit --config {run}/config.yaml --ckpt_path {run}")


@pytest.mark.slow
def test_a_crashed_run_closes_its_traceback_with_where_it_is_and_how_to_resume(
    tmp_path: Path,
) -> None:
    """README, Resuming a run: a crashed run resumes like a killed one; it once ended on the
    traceback alone, naming neither its directory nor the command. Nothing it logged is lost."""
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=120)
    data = yaml.safe_load(config.read_text())
    crashing = {"predict": "tests.api.callables:crashes_at_env_call"}
    data["model"]["init_args"]["task"]["target"] = {"name": "callable", "args": crashing}
    config.write_text(yaml.safe_dump(data))

    def fit(*args: str, crash_at: str = "") -> subprocess.CompletedProcess:
        env = {**os.environ, "FFADE_TEST_CRASH_AT": crash_at, "PYTHONPATH": str(REPO)}
        env["PYTHONPATH"] += os.pathsep + os.environ.get("PYTHONPATH", "")
        command = [sys.executable, "-m", "ffade", "fit", *args]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)

    crashed = fit("--config", str(config), crash_at="4")
    run = tmp_path / "runs" / "test" / "version_0"
    resume = f"ffade fit --config {run / 'config.yaml'} --ckpt_path {run}"
    last = crashed.stderr.strip().splitlines()[-1]
    assert crashed.returncode == 1 and "RuntimeError: planted crash mid-run" in crashed.stderr
    if sys.version_info >= (3, 11):  # the line is the traceback's note; before, printed ahead
        assert last == (
            f"ffade: the run failed; the run so far is in {run} (summary.json: status failed); "
            f"resume it with: {resume}"
        )
    logged = (run / "evaluations.jsonl").read_text().splitlines()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["evaluations"] == len(logged) > 0
    # the crash's traceback is the process's to print; the resume, once fixed, is any run's
    resumed = ffade_in_process(*resume.split()[1:], cwd=tmp_path)  # FFADE_TEST_CRASH_AT unset
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    again = (tmp_path / "runs" / "test" / "version_1" / "evaluations.jsonl").read_text()
    assert again.splitlines()[: len(logged)] == logged  # what the crash left, kept as it was
    pairs = {(r["input_id"], tuple(r["state"])) for r in map(json.loads, again.splitlines())}
    assert len(pairs) == len(again.splitlines()) == 120  # the budget, nothing paid twice


class _CtrlCInAFinalizer(Callback):
    """Presses Ctrl-C while a finalizer runs, at the fourth batch, as the garbage collector may
    (Python swallowed the KeyboardInterrupt raised there: "Exception ignored in ..."); with
    ``twice``, presses it twice in the hook itself instead."""

    def __init__(self, twice: bool = False) -> None:
        self.twice = twice
        self.went_on = False

    def on_train_batch_end(self, trainer: Any, pl_module: Any, *args: Any) -> None:
        if args[-1] != 3:  # batch_idx (an explorer without an optimizer takes no global step)
            return
        if self.twice:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the second press raises here
            self.went_on = True
        else:
            _PressesCtrlCWhenCollected()  # collected at once, its __del__ running the handler


class _PressesCtrlCWhenCollected:
    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs here, inside __del__


@pytest.mark.parametrize("twice", [False, True], ids=["in_a_finalizer", "twice"])
def test_ctrl_c_stops_the_run_at_the_batch_end_and_twice_at_once(tmp_path: Path, twice) -> None:
    """A single Ctrl-C sometimes went unheeded, or took two minutes (the loop's SIGINT test timed
    out): raised inside a finalizer it was swallowed, and inside threading's code it could lose
    the TensorBoard writer's wake-up. The first press now stops the run at the batch's end; a
    second one at once, within the batch."""
    explorer = RandomExplorer(task=synthetic_spec(), budget=20_000, num_envs=8)
    pressing = _CtrlCInAFinalizer(twice)
    with pytest.raises(SystemExit):  # Lightning ends a run stopped by Ctrl-C so
        discover(explorer, tmp_path, callbacks=[pressing])
    assert explorer.status == "interrupted"
    assert explorer.evaluator.evaluations == 4 * 8  # batches 0 to 3, none after
    assert not pressing.went_on
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C works again


class _Replaying(_Crashing):
    """A module that says it resumes from its log; its searches were all invalid."""

    replays_log = True

    def __init__(self, evaluations: int, invalid: int) -> None:
        super().__init__()
        self.evaluator = types.SimpleNamespace(evaluations=evaluations, invalid=invalid)


class _NamedLikeAnExplorer(_Crashing):
    """A fine-tuner with a method of the explorers' name: it resumes only from a checkpoint."""

    def __init__(self) -> None:
        super().__init__()
        self.evaluator = types.SimpleNamespace(evaluations=3, invalid=3)

    def replay_from(self, run_dir: Path) -> None:
        """Not an explorer's replay: its own, which no resume calls."""


def test_the_run_says_whether_it_replays_its_log_not_a_method_name(tmp_path: Path) -> None:
    """Explorers were recognised by hasattr(module, "replay_from"): the documented class
    attribute replays_log decides, whatever methods a module has."""
    (tmp_path / "evaluations.jsonl").write_text('{"input_id": 0}\n')
    resume = "resume it with: ffade fit --config"
    for module, offered in [
        (_Replaying(3, 3), False),  # all invalid: a resume would stop at once again
        (_Replaying(3, 1), True),  # its log is its run so far
        (_NamedLikeAnExplorer(), False),  # no checkpoint, and a log it does not replay
    ]:
        module.run_dir = tmp_path
        line = run_base.interrupted_line(module)
        assert (resume in line) is offered, (type(module).__name__, line)
        assert ("the run so far is in" in line) is isinstance(module, _Replaying), line


CTRL_C_AT_SETUP = """
from lightning.pytorch import Callback


class CtrlCAtSetup(Callback):
    def setup(self, trainer, pl_module, stage):
        raise KeyboardInterrupt  # Ctrl-C before the explorer's setup gives the run its directory
"""


def fit_beside(config: Path, folder: Path) -> subprocess.CompletedProcess:
    """``ffade fit --config CONFIG`` run in ``folder``, whose modules (a test's callbacks) the
    config may name."""
    path = os.pathsep.join([str(folder), str(REPO), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "ffade", "fit", "--config", str(config)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": path},
    )


def test_ctrl_c_before_the_run_has_its_directory_says_so(tmp_path) -> None:
    """A Ctrl-C as a run starts, before the module's setup (the logger may already have made an
    empty version_0), ended with exit 1 and not a word: Lightning exits after telling callbacks."""
    (tmp_path / "ctrl_c_at_setup.py").write_text(CTRL_C_AT_SETUP)
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    data = yaml.safe_load(config.read_text())
    data["trainer"]["callbacks"] = [{"class_path": "ctrl_c_at_setup.CtrlCAtSetup"}]
    config.write_text(yaml.safe_dump(data))
    result = fit_beside(config, tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("ffade:")]
    assert lines == ["ffade: interrupted before the run started; nothing to resume"], result.stderr
    assert "Traceback" not in result.stderr
    # no version_0 with an events file of no data: TensorBoard listed it as an empty run
    assert not list(tmp_path.rglob("events.out.tfevents.*"))
    assert not list(tmp_path.rglob("version_*"))


CTRL_C_AGAIN_AS_IT_STOPS = """
import os
import signal
import time

from lightning.pytorch import Callback
from lightning.pytorch.loggers import TensorBoardLogger


class CtrlC(Callback):
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if batch_idx == 3:
            os.kill(os.getpid(), signal.SIGINT)  # noted: the run stops at the next batch


class PressedAgainLogger(TensorBoardLogger):
    def finalize(self, status):
        if status == "failed":  # Lightning closes its loggers as a stopped run shuts down
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again: the user waits, presses again
            time.sleep(0.05)  # a handler that raises does so here
        super().finalize(status)
"""


@pytest.mark.slow  # a run in a process of its own
def test_ctrl_c_again_while_a_stopped_run_shuts_down_changes_nothing(tmp_path) -> None:
    """Lightning ignores SIGINT while a run stopped by Ctrl-C shuts down (its loggers closed, its
    teardown); ffade's batch-end handler put Python's back first, so a press then cut the
    shutdown short: the TensorBoard log left unclosed, and ``ffade: interrupted``, exit 130,
    after the line that said where the run is. Now the run ends as for one press: exit 1."""
    (tmp_path / "again.py").write_text(CTRL_C_AGAIN_AS_IT_STOPS)
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=2000)
    data = yaml.safe_load(config.read_text())
    data["trainer"]["callbacks"] = [{"class_path": "again.CtrlC"}]
    data["trainer"]["logger"]["class_path"] = "again.PressedAgainLogger"
    config.write_text(yaml.safe_dump(data))
    result = fit_beside(config, tmp_path)
    run = tmp_path / "runs" / "test" / "version_0"
    lines = [line for line in result.stderr.splitlines() if line.startswith("ffade:")]
    assert lines == [
        f"ffade: interrupted; the run so far is in {run} (summary.json: status interrupted); "
        f"resume it with: ffade fit --config {run / 'config.yaml'} --ckpt_path {run}"
    ], result.stderr[-2000:]
    assert result.returncode == 1, result.stderr[-2000:]
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"
