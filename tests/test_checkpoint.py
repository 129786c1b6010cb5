"""checkpoints/last.ckpt: every explorer leaves one, and a finished run's is its final state."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback

from ffade.checkpoint import LAST_CHECKPOINT, LastCheckpoint
from ffade.explore import DQNExplorer, EpsilonGreedyExplorer, GridExplorer, RandomExplorer
from ffade.explore.run import discover
from tests.helpers import synthetic_spec


@pytest.mark.parametrize("cls", [RandomExplorer, GridExplorer])
def test_explorers_without_an_optimizer_checkpoint_too(cls: type, tmp_path: Path) -> None:
    explorer = cls(task=synthetic_spec(), budget=40, num_envs=2)
    discover(explorer, tmp_path, checkpoints=True)
    saved = torch.load(explorer.recorder.run_dir / LAST_CHECKPOINT, weights_only=False)["ffade"]
    assert saved["iterations"] == explorer.iterations == 20
    assert saved["evaluator"]["evaluations"] == 40


def test_a_finished_learner_saves_its_final_q_network(tmp_path: Path) -> None:
    explorer = DQNExplorer(task=synthetic_spec(), budget=92, num_envs=4, learning_starts=16)
    discover(explorer, tmp_path, checkpoints=True)
    checkpoint = torch.load(explorer.recorder.run_dir / LAST_CHECKPOINT, weights_only=False)
    assert checkpoint["ffade"]["gradient_updates"] == explorer.gradient_updates > 0
    for name, value in explorer.q_network.state_dict().items():
        assert torch.equal(checkpoint["state_dict"][f"q_network.{name}"], value), name


def test_a_learners_checkpoint_does_not_grow_with_feature_width(tmp_path: Path) -> None:
    """Replay keeps input indices: wide features (AlexNet's 4,096) once made checkpoints 1.6 GB."""
    sizes = {}
    for width in (8, 2048):
        spec = synthetic_spec()
        spec["target"]["args"] = {"feature_dim": width}
        spec["dataset"]["args"]["feature_dim"] = width
        explorer = DQNExplorer(task=spec, budget=64, num_envs=4, learning_starts=16)
        discover(explorer, tmp_path, name=f"width{width}", checkpoints=True)
        sizes[width] = (explorer.recorder.run_dir / LAST_CHECKPOINT).stat().st_size
    # the Q-network's first layer grows with the width (2048 x 128 floats = 1 MiB); a buffer of
    # features would add 50,000 x 2 x 2048 floats = 800 MB
    assert sizes[2048] - sizes[8] < 2 * 2048 * 128 * 4 * 3, sizes


class _Clock:
    """A clock that moves ``step_seconds`` a step and ``save_seconds`` a save: no sleeping, no
    timing."""

    def __init__(self, save_seconds: float, step_seconds: float = 1.0) -> None:
        self.now = 0.0
        self.save_seconds = save_seconds
        self.step_seconds = step_seconds
        self.steps = 0
        self.saved_at: list[int] = []

    def __call__(self) -> float:
        return self.now


class _Ticks(Callback):
    def __init__(self, clock: _Clock) -> None:
        self.clock = clock

    def on_train_batch_end(self, *args: Any, **kwargs: Any) -> None:
        self.clock.steps += 1
        self.clock.now += self.clock.step_seconds

    def on_save_checkpoint(self, *args: Any, **kwargs: Any) -> None:  # within each save
        self.clock.saved_at.append(self.clock.steps)
        self.clock.now += self.clock.save_seconds


@pytest.mark.parametrize(
    ("save_seconds", "step_seconds", "step_saves"),
    [
        (0.0, 1.0, None),  # cheap saves: every 10 steps
        # a save of 5 s (5 steps' time) waits until it is 5% of the time since: 100 s later
        (5.0, 1.0, [10, 110]),
        # a save under CHEAP_SAVE never waits, however quick the steps (a small run on a loaded
        # machine resumes where it would on an idle one)
        (0.2, 0.001, None),
    ],
)
def test_a_slow_save_stretches_the_cadence_to_5_percent_of_the_run(
    save_seconds: float, step_seconds: float, step_saves: list[int] | None, tmp_path: Path
) -> None:
    clock = _Clock(save_seconds, step_seconds)
    explorer = RandomExplorer(task=synthetic_spec(), budget=400, num_envs=2)
    discover(explorer, tmp_path, callbacks=[_Ticks(clock), LastCheckpoint(clock=clock)])
    assert 200 <= clock.steps < 210
    if step_saves is None:
        step_saves = list(range(10, clock.steps + 1, 10))
    assert clock.saved_at == [*step_saves, clock.steps]  # and once more at the end, always
    saved = torch.load(explorer.recorder.run_dir / LAST_CHECKPOINT, weights_only=False)["ffade"]
    assert saved["iterations"] == explorer.iterations  # the final state


class _SignalAtStep(Callback):
    """Sends the process ``signum`` as the search's step ``step`` ends (Ctrl-C, ``kill``)."""

    def __init__(self, signum: int, step: int) -> None:
        self.signum, self.step = signum, step

    def on_train_batch_end(self, trainer: Any, explorer: Any, *args: Any) -> None:
        if explorer.iterations == self.step:
            os.kill(os.getpid(), self.signum)


def _dqn() -> DQNExplorer:
    return DQNExplorer(task=synthetic_spec(), budget=480, num_envs=16, learning_starts=32)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_a_search_stopped_between_steps_resumes_where_it_stopped(signum: int, tmp_path) -> None:
    """Ctrl-C and SIGTERM stop a search at the end of the step under way, yet no checkpoint was
    saved there: its resume went back to the last every-10-steps save and made those steps
    again. Now the stop saves one, and the resumed run goes on from the very step, to the log
    an unstopped run writes."""
    unstopped = _dqn()
    discover(unstopped, tmp_path / "unstopped", checkpoints=True)
    stopped = _dqn()
    with pytest.raises(SystemExit):  # how Lightning ends a run Ctrl-C or SIGTERM stopped
        discover(
            stopped, tmp_path / "stopped", checkpoints=True, callbacks=[_SignalAtStep(signum, 13)]
        )
    run = stopped.recorder.run_dir
    assert stopped.status == "interrupted" and stopped.iterations == 13
    saved = torch.load(run / LAST_CHECKPOINT, weights_only=True)["ffade"]
    assert saved["iterations"] == 13  # not 10: nothing is made again
    logged = (run / "evaluations.jsonl").read_text().splitlines()
    assert saved["evaluator"]["evaluations"] == len(logged) == stopped.evaluator.evaluations
    resumed = _dqn()
    discover(resumed, tmp_path / "stopped", checkpoints=True, ckpt_path=run)
    log = (resumed.recorder.run_dir / "evaluations.jsonl").read_bytes()
    assert log == (unstopped.recorder.run_dir / "evaluations.jsonl").read_bytes()
    assert resumed.gradient_updates == unstopped.gradient_updates


class _CtrlCDuringTheStopSave(_SignalAtStep):
    """SIGTERM at step 13, then Ctrl-C again in the middle of the save that stop makes."""

    def on_save_checkpoint(self, trainer: Any, explorer: Any, checkpoint: Any) -> None:
        if explorer.iterations == self.step:
            raise KeyboardInterrupt  # where a second Ctrl-C's handler raises it


def test_a_second_ctrl_c_during_the_stop_save_leaves_the_last_checkpoint_whole(tmp_path) -> None:
    """The save a stop makes can be cut by a second Ctrl-C: the file is written aside and
    renamed, so the checkpoint of step 10 stands, the run still ends ``interrupted`` and its
    resume goes on from step 10 as before."""
    stopped = _dqn()
    with pytest.raises((SystemExit, KeyboardInterrupt)):  # the latter: the save let it out
        discover(
            stopped,
            tmp_path,
            checkpoints=True,
            callbacks=[_CtrlCDuringTheStopSave(signal.SIGTERM, 13)],
        )
    run = stopped.recorder.run_dir
    assert stopped.status == "interrupted"
    saved = torch.load(run / LAST_CHECKPOINT, weights_only=True)["ffade"]
    assert saved["iterations"] == 10
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["last.ckpt"]


def _explorer(name: str) -> Any:
    """Each explorer and mode the resume must keep exactly (the DQN macroscopic case is above)."""
    kind, mode = name.split("-")
    cls = {
        "dqn": DQNExplorer,
        "random": RandomExplorer,
        "grid": GridExplorer,
        "epsilon_greedy": EpsilonGreedyExplorer,
    }[kind]
    extra = {"learning_starts": 32} if cls is DQNExplorer else {}
    return cls(task=synthetic_spec(mode=mode), budget=320, num_envs=16, **extra)


@pytest.mark.slow  # five runs stopped and resumed: about 30 s idle, minutes under load
@pytest.mark.parametrize(
    "name",
    [
        "dqn-microscopic",
        "random-macroscopic",
        "random-microscopic",
        "grid-macroscopic",
        "epsilon_greedy-macroscopic",
    ],
)
def test_every_explorer_stopped_by_sigterm_resumes_to_the_unstopped_runs_files(
    name: str, tmp_path: Path
) -> None:
    """The README promises a stopped run resumes to the same decisions for every explorer and
    mode; only the DQN's macroscopic search was tested. Each one stopped at step 13 (between
    two every-10-steps saves) and resumed writes the log and policy.npy an unstopped run does."""
    unstopped = _explorer(name)
    discover(unstopped, tmp_path / "unstopped", checkpoints=True)
    stopped = _explorer(name)
    with pytest.raises(SystemExit):
        discover(
            stopped,
            tmp_path / "stopped",
            checkpoints=True,
            callbacks=[_SignalAtStep(signal.SIGTERM, 13)],
        )
    run = stopped.recorder.run_dir
    assert torch.load(run / LAST_CHECKPOINT, weights_only=True)["ffade"]["iterations"] == 13
    resumed = _explorer(name)
    discover(resumed, tmp_path / "stopped", checkpoints=True, ckpt_path=run)
    whole = unstopped.recorder.run_dir
    for file in ("evaluations.jsonl", "policy.npy"):
        if (whole / file).exists() or (resumed.recorder.run_dir / file).exists():
            assert (resumed.recorder.run_dir / file).read_bytes() == (whole / file).read_bytes()
    assert len((whole / "evaluations.jsonl").read_text().splitlines()) == 320
