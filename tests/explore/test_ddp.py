"""``ffade fit`` on two CPU processes (Lightning's ddp strategy, gloo) equals a one-process run.

Each test types the command as a user does, with ``--trainer.devices 2 --trainer.strategy ddp``,
and compares the run directory with a one-process run of the same config and seed: the same
evaluations.jsonl, line for line, the same summary counts, one run directory, one closing report.
``eval_batch_size`` is small so that every step has batches for both ranks. Slow: two processes
start Lightning each, on a machine whose cores are shared.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, ffade, write_config

pytestmark = pytest.mark.slow

TWO_PROCESSES = ["--trainer.accelerator", "cpu", "--trainer.devices", "2"]
TWO_PROCESSES += ["--trainer.strategy", "ddp"]
ONE_PROCESS = ["--trainer.accelerator", "cpu", "--trainer.devices", "1"]
SUMMARY_KEYS = (
    "status",
    "evaluations",
    "failures",
    "invalid",
    "distinct_failure_states",
    "failing_concept_states",
    "gradient_updates",
    "iterations",
    "stop_reason",
    "estimated_remaining_failures",
)


def fit(config: Path, save_dir: Path, *args: str) -> tuple[Path, str]:
    """``ffade fit --config config ARGS`` logging under ``save_dir``: its one run dir and stdout."""
    logger = f"--trainer.logger.init_args.save_dir={save_dir}"
    result = ffade("fit", "--config", str(config), logger, *args, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [path for path in save_dir.rglob("version_*") if path.is_dir()]
    assert len(runs) == 1, runs  # both ranks ran one search in one run directory
    return runs[0], result.stdout


def assert_same_run(one: Path, two: Path) -> list[str]:
    lines = (one / "evaluations.jsonl").read_text().splitlines()
    assert lines, "the runs evaluated nothing"
    assert (two / "evaluations.jsonl").read_text().splitlines() == lines
    summaries = [json.loads((run / "summary.json").read_text()) for run in (one, two)]
    for key in SUMMARY_KEYS:
        assert summaries[0].get(key) == summaries[1].get(key), key
    assert summaries[1]["status"] == "finished"
    assert (two / "checkpoints" / "last.ckpt").is_file() and (two / "config.yaml").is_file()
    return lines


def quickstart(tmp_path: Path, explorer: str, **init_args: object) -> Path:
    """configs/quickstart.yaml (digits, a small CNN) with another explorer and ``init_args``."""
    config = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    config["model"]["class_path"] = explorer
    config["model"]["init_args"].update(init_args)
    path = tmp_path / "quickstart.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_dqn_on_two_processes_writes_what_one_process_writes(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=240, eval_batch_size=4)
    one, _ = fit(config, tmp_path / "one", *ONE_PROCESS)
    two, stdout = fit(config, tmp_path / "two", *TWO_PROCESSES)
    assert_same_run(one, two)
    summary = json.loads((two / "summary.json").read_text())
    assert summary["gradient_updates"] > 0  # the learner learned, identically on both ranks
    assert summary["environment"]["processes"] == 2
    assert json.loads((one / "summary.json").read_text())["environment"]["processes"] == 1
    assert stdout.count(f"run: {two}") == 1  # the closing report is said once, by rank 0


def test_random_search_on_the_quickstart_digits_on_two_processes(tmp_path: Path) -> None:
    """The CNN on one thread in both runs, as docs/scale.md asks: Lightning gives each of two
    processes half the cores, and a CPU kernel may round a batch differently on fewer threads
    (the DQN quickstart's last batch of 12 did at budget 300), so the comparison would depend on
    how many cores the machine has."""
    config = quickstart(tmp_path, "ffade.explore.RandomExplorer", budget=300, eval_batch_size=16)
    one_thread = "--model.init_args.task.target.args.cpu_threads=1"
    one, _ = fit(config, tmp_path / "one", one_thread, *ONE_PROCESS)
    two, _ = fit(config, tmp_path / "two", one_thread, *TWO_PROCESSES)
    lines = assert_same_run(one, two)
    assert len(lines) == 300  # 18 batches of 16, then one of 12


def start_and_kill(
    config: Path, run: Path, lines: int, signum: int = signal.SIGKILL, stderr: Any = None
) -> subprocess.Popen:
    """Start ``ffade fit`` on two processes; send ``signum`` to both (the process group, as a
    scheduler or a terminal does) once a checkpoint and ``lines`` exist. SIGKILL is waited for."""
    exe = Path(sys.executable).parent / "ffade"
    process = subprocess.Popen(
        [str(exe), "fit", "--config", str(config), *TWO_PROCESSES],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=stderr or subprocess.DEVNULL,
        start_new_session=True,  # rank 1 is its child: kill the group, as a scheduler would
    )
    log, checkpoint = run / "evaluations.jsonl", run / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if log.is_file() and len(log.read_bytes().splitlines()) > lines and checkpoint.is_file():
            break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be killed mid-run"
    os.killpg(process.pid, signum)
    if signum == signal.SIGKILL:
        process.wait()
    return process


def test_a_killed_two_process_run_resumes_on_two_processes(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        explorer="ffade.explore.RandomExplorer",
        budget=3000,
        eval_batch_size=8,
        save_dir=tmp_path / "killed",
    )
    first = tmp_path / "killed" / "test" / "version_0"
    start_and_kill(config, first, lines=300)
    assert json.loads((first / "summary.json").read_text())["status"] == "running"
    checkpoint = first / "checkpoints" / "last.ckpt"
    result = ffade(
        "fit", "--config", str(config), "--ckpt_path", str(checkpoint), *TWO_PROCESSES, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    resumed = first.parent / "version_1"
    one, _ = fit(config, tmp_path / "one", *ONE_PROCESS)
    # the checkpoint holds the random streams: the resumed run is the uninterrupted one
    assert len(assert_same_run(one, resumed)) == 3000


def test_sigterm_stops_both_processes_at_one_step_as_on_one_device(tmp_path: Path) -> None:
    """Lightning's SIGTERM handler broadcast from inside the handler, mid all-gather, and twice
    on rank 1 (the launcher sends it on): every rank waited forever, the run left ``running``."""
    config = write_config(
        tmp_path / "c.yaml",
        explorer="ffade.explore.RandomExplorer",
        budget=20000,
        eval_batch_size=8,
        save_dir=tmp_path / "runs",
    )
    run = tmp_path / "runs" / "test" / "version_0"
    err = (tmp_path / "stderr").open("w")
    process = start_and_kill(config, run, lines=300, signum=signal.SIGTERM, stderr=err)
    try:
        assert process.wait(timeout=120) == 1  # as one process: stopped, not a success
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stderr = (tmp_path / "stderr").read_text()
    assert "Traceback" not in stderr, stderr[-3000:]  # rank 1 did not stop mid all-gather
    assert stderr.count("ffade: interrupted; the run so far is in") == 1
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    lines = (run / "evaluations.jsonl").read_text().splitlines()
    assert 300 < summary["evaluations"] == len(lines) < 20000


def test_a_run_a_trainer_limit_stopped_goes_on_on_two_processes_and_says_so_once(
    tmp_path: Path,
) -> None:
    """docs/scale.md: the checkpoint holds no per-rank state, so another number of devices
    resumes it. Its resume note came from every rank (the line twice on two processes), where
    every other note of a data-parallel run is said once, by rank 0."""
    config = write_config(tmp_path / "c.yaml", budget=240, eval_batch_size=4)
    stopped, _ = fit(config, tmp_path / "stopped", "--trainer.max_steps=4", *ONE_PROCESS)
    assert json.loads((stopped / "summary.json").read_text())["evaluations"] < 240
    result = ffade(
        "fit",
        "--config",
        str(stopped / "config.yaml"),
        "--ckpt_path",
        str(stopped),
        "--trainer.max_steps=-1",
        *TWO_PROCESSES,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    notes = [line for line in result.stderr.splitlines() if "stopped by a trainer limit" in line]
    assert len(notes) == 1, notes
    assert notes[0].startswith("ffade: note: ") and notes[0].endswith("trainer limits")
    one, _ = fit(config, tmp_path / "one", *ONE_PROCESS)
    assert len(assert_same_run(one, stopped.parent / "version_1")) == 240


def test_a_task_refused_on_two_processes_says_why_and_leaves_no_run(tmp_path: Path) -> None:
    """Every rank refuses the task, each in the same line; rank 1 used to remove rank 0's run
    directory under it, so rank 0 said ``file not found: .../summary.json.tmp`` instead."""
    config = write_config(tmp_path / "c.yaml", eval_batch_size=4)
    device = "--model.init_args.task.target.args.device=banana"
    result = ffade("fit", "--config", str(config), device, *TWO_PROCESSES, timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("ffade: error:")]
    assert errors and set(errors) == {
        "ffade: error: target 'synthetic': model.init_args.task.target.args.device 'banana' is "
        "not a device; e.g. cpu, cuda, cuda:1"
    }
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()  # nothing was computed, so nothing is left


COUNTING_TARGET = '''
import os
import traceback

from ffade_synthetic.target import SyntheticTarget


class Counting(SyntheticTarget):
    """The synthetic target; each rank notes the batches of the unchanged check it runs."""

    def predict(self, inputs):
        if any(frame.name == "passing_ids" for frame in traceback.extract_stack()):
            with open(os.path.join(os.environ["FFADE_COUNTS"], str(os.getpid())), "a") as f:
                f.write("batch\\n")
        return super().predict(inputs)
'''


def with_folder_first(folder: Path) -> str:
    """PYTHONPATH with ``folder`` first, for the processes ``ffade fit`` starts; CI sets no
    PYTHONPATH (ffade is installed there), a run by hand sets the checkout's."""
    return os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))


def test_only_passing_inputs_is_checked_once_across_two_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``task.only_passing_inputs`` runs the target on every input unchanged before the search:
    every rank ran all of it (two processes did one process's check twice). The ranks now share
    its batches: each runs half, both keep one process's inputs, and the log is one process's."""
    (tmp_path / "counting_target.py").write_text(COUNTING_TARGET)
    monkeypatch.setenv("PYTHONPATH", with_folder_first(tmp_path))
    config = write_config(tmp_path / "c.yaml", budget=240, eval_batch_size=4)
    data = yaml.safe_load(config.read_text())
    task = data["model"]["init_args"]["task"]
    regions = [{0: [-1.0, -0.06]}, {0: [0.8, 1.0], 1: [0.8, 1.0]}]  # fragile inputs fail unchanged
    task["target"] = {"name": "counting_target:Counting", "args": {"regions": regions}}
    task["only_passing_inputs"], task["dataset"]["args"]["num_inputs"] = True, 32
    config.write_text(yaml.safe_dump(data))
    runs, batches = [], []
    for name, processes in (("one", ONE_PROCESS), ("two", TWO_PROCESSES)):
        counts = tmp_path / f"{name}-counts"
        counts.mkdir()
        monkeypatch.setenv("FFADE_COUNTS", str(counts))
        runs.append(fit(config, tmp_path / name, *processes)[0])
        batches.append(sorted(len(path.read_text().splitlines()) for path in counts.iterdir()))
    assert_same_run(*runs)
    kept = [json.loads((run / "summary.json").read_text())["task"]["input_ids"] for run in runs]
    assert kept[0] == kept[1] and 0 < len(kept[0]) < 16, kept  # some inputs fail unchanged
    (alone,) = batches[0]
    assert batches[1] == [alone // 2, (alone + 1) // 2], batches  # each rank ran all of it


SIGTERM_TARGET = '''
import os
import signal

import torch.distributed as dist
from ffade_synthetic.target import SyntheticTarget

CALLS = [0]


class TermAt(SyntheticTarget):
    """The synthetic target; rank 0 (the command) sends itself SIGTERM at its batch
    FFADE_TERM_AT, if set (the environment, so that the resume's config is the run's own)."""

    def predict(self, inputs):
        if os.environ.get("FFADE_TERM_AT") and dist.is_initialized() and dist.get_rank() == 0:
            CALLS[0] += 1
            if CALLS[0] == int(os.environ["FFADE_TERM_AT"]):
                os.kill(os.getpid(), signal.SIGTERM)
        return super().predict(inputs)
'''


def test_sigterm_saves_where_two_processes_stopped_and_the_resume_goes_on_from_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM stops every rank at one step's start (rank 0's note, read by all), yet on two
    processes the stop saved no checkpoint: the resume went back to the last every-10-steps save
    and made those steps again. Every rank now reaches the stop's save, so the resume goes on
    from the very step, to the log an unstopped run writes."""
    import torch

    (tmp_path / "term_target.py").write_text(SIGTERM_TARGET)
    monkeypatch.setenv("PYTHONPATH", with_folder_first(tmp_path))
    config = write_config(
        tmp_path / "c.yaml", budget=480, eval_batch_size=4, learning_starts=32, save_dir=tmp_path
    )
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["target"] = {"name": "term_target:TermAt"}
    config.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("FFADE_TERM_AT", "30")  # rank 0 batch 30: step 14 of 30
    result = ffade("fit", "--config", str(config), *TWO_PROCESSES, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stderr.count("ffade: interrupted; the run so far is in") == 1
    run = tmp_path / "test" / "version_0"
    saved = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["ffade"]
    logged = (run / "evaluations.jsonl").read_text().splitlines()
    assert 10 < saved["iterations"] < 20, saved["iterations"]  # was 10, the last step save
    assert saved["evaluator"]["evaluations"] == len(logged)
    assert json.loads(logged[-1])["step"] == saved["iterations"]
    monkeypatch.delenv("FFADE_TERM_AT")
    resumed = ffade("fit", "--config", str(config), "--ckpt_path", str(run), *TWO_PROCESSES)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    one, _ = fit(config, tmp_path / "one", *ONE_PROCESS)
    assert len(assert_same_run(one, run.parent / "version_1")) == 480


def test_ddp_spawn_leaves_the_temporary_folder_as_it_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/scale.md's ``--trainer.strategy ddp_spawn``: Lightning hands rank 0's weights back
    through ``tempfile.mkdtemp()/.temp.ckpt`` and removed only the file, so every such fit left
    an empty ``$TMPDIR/tmpXXXXXXXX`` (one per CI run, until a full /tmp broke one)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    config = write_config(tmp_path / "c.yaml", budget=32, save_dir=tmp_path / "runs")
    spawn = ["--trainer.accelerator", "cpu", "--trainer.devices", "2"]
    result = ffade("fit", "--config", str(config), *spawn, "--trainer.strategy", "ddp_spawn")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "runs" / "test" / "version_0" / "summary.json").is_file()
    assert sorted(p.name for p in scratch.iterdir()) == []
