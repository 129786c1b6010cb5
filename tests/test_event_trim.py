"""A run resumed in its own directory shows every step once in TensorBoard."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

from ffade.event_trim import trim_earlier_events
from tests.helpers import REPO, ffade, ffade_in_process, write_config


def repeated_steps(run_dir: Path) -> dict[str, list[int]]:
    """Each scalar tag's steps written more than once in the run directory, as TensorBoard
    reads the directory (every events file of the run)."""
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    events.Reload()
    repeated = {}
    for tag in events.Tags()["scalars"]:
        counts = collections.Counter(e.step for e in events.Scalars(tag))
        repeated[tag] = sorted(step for step, n in counts.items() if n > 1)
    return {tag: steps for tag, steps in repeated.items() if steps}


@pytest.mark.slow
def test_a_search_resumed_in_its_pinned_directory_logs_each_step_once(tmp_path: Path) -> None:
    """A pinned ``version`` (a loop stage's) resumes in the same directory: the steps after the
    checkpoint, made again, and Lightning's ``hp_metric`` were in TensorBoard twice."""
    config = write_config(tmp_path / "c.yaml", budget=1500)
    run = tmp_path / "runs" / "test" / "stage"
    pinned = ["--trainer.logger.init_args.version", "stage"]
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "ffade"), "fit", "--config", str(config), *pinned],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log, deadline = run / "evaluations.jsonl", time.monotonic() + 240
    while time.monotonic() < deadline:
        checkpointed = (run / "checkpoints" / "last.ckpt").is_file() and log.is_file()
        if checkpointed and len(log.read_bytes().splitlines()) > 300:  # past its step
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be stopped mid-run"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 1
    resumed = ffade("fit", "--config", str(run / "config.yaml"), "--ckpt_path", str(run))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert len(list(run.glob("events.out.tfevents.*"))) == 2
    assert repeated_steps(run) == {}
    events = EventAccumulator(str(run), size_guidance={"scalars": 0})
    events.Reload()
    steps = [e.step for e in events.Scalars("discovery/evaluations")]
    iterations = len(steps)
    assert steps == list(range(1, iterations + 1))  # no gap either
    assert [e.value for e in events.Scalars("discovery/evaluations")][-1] == 1500
    assert [e.step for e in events.Scalars("hp_metric")] == [0]


def test_earlier_files_keep_the_steps_before_the_resumed_runs_first(tmp_path: Path) -> None:
    earlier = SummaryWriter(str(tmp_path))
    earlier.add_scalar("hp_metric", -1, 0)
    for step in range(6):
        earlier.add_scalar("train/loss", step / 10, step)
    earlier.close()
    resumed = SummaryWriter(str(tmp_path))
    resumed.add_scalar("hp_metric", -1, 0)
    resumed.flush()
    trim_earlier_events(SimpleNamespace(experiment=resumed), 4)
    for step in range(4, 7):
        resumed.add_scalar("train/loss", step / 10, step)
    resumed.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("train/loss")] == list(range(7))
    assert [e.step for e in events.Scalars("hp_metric")] == [0]
    trim_earlier_events(SimpleNamespace(), 4)  # a logger without TensorBoard's writer: nothing


def test_a_search_replayed_in_its_pinned_directory_logs_each_step_once(tmp_path: Path) -> None:
    """A run killed before its first checkpoint resumes by replaying its log: the steps its
    events file holds past the log's last step (as after a kill) were shown twice."""
    config = write_config(tmp_path / "c.yaml", budget=120)
    pinned = ["--trainer.logger.init_args.version", "stage"]
    assert ffade_in_process("fit", "--config", str(config), *pinned).returncode == 0
    run = tmp_path / "runs" / "test" / "stage"
    log = run / "evaluations.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:50]))  # steps 1 to 4
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
    for path in (run / "checkpoints").iterdir():
        path.unlink()
    # in this process: the test above resumes in a process of its own, from a checkpoint
    resumed = ffade_in_process("fit", "--config", str(run / "config.yaml"), "--ckpt_path", str(run))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert repeated_steps(run) == {}
    events = EventAccumulator(str(run), size_guidance={"scalars": 0})
    events.Reload()
    steps = [e.step for e in events.Scalars("discovery/evaluations")]
    assert steps == list(range(1, len(steps) + 1))  # each step once, none missing
    assert events.Scalars("discovery/evaluations")[-1].value == 120
