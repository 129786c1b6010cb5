"""How does a DQN step's cost grow with the concept grid and the inputs? And with processes?

    python benchmarks/scaling.py            # 10^2..10^6 states, 10..10^5 inputs, 1 vs 2 processes
    python benchmarks/scaling.py --quick    # fewer steps per point (about two minutes on 2 cores)
    python benchmarks/scaling.py --skip-ddp # the curves only

Each point runs the DQN explorer as ``ffade fit`` runs it (checkpoints every 10 steps included)
on the synthetic plugin's target, whose forward pass costs next to nothing, so what is timed is
the explorer's own work: planning a step, evaluating, learning, records. It runs in a forked
child process, so its peak resident memory is its own. Per point it prints the mean time per
step after the first ``WARMUP_STEPS`` (``step_ms``, milliseconds) and the peak memory; then
the slopes of log(step time) against log(states) and log(inputs), fitted by least squares:

    states_exponent: X   # must stay below 0.2: a step costs the same on any grid
    inputs_exponent: Y   # at most 1: never worse than linear in the inputs

The states sweep keeps three concepts and grows their grids (5x5x4 up to 100x100x100) at 100
inputs; the inputs sweep keeps 10x10x10 states. Last, evaluations per second of the whole
``ffade fit`` (start-up excluded: summary.json's evaluations over wall_seconds) with one process
and with two under DDP on CPU, ``ddp_speedup: Z`` (two over one), and with CUDA per GPU count.
Benchmarks are never run as tests; the figures in docs/discovery.md come from this script.
Its runs live in temporary folders it deletes: Ctrl-C or SIGTERM ends it with one line saying
nothing was kept, exit 130, whether it reached this process, its forked child or both.
"""

from __future__ import annotations

# first, before torch and Lightning load: a Ctrl-C from here on is one line, exit 130
from one_line_errors import ArgumentParser  # beside this script

# isort: split
# before torch: ffade's import takes back, as the process ends, the empty
# $TMPDIR/torchinductor_<user> folder torch's import makes (ffade/inductor_cache.py)
import ffade  # noqa: F401

# isort: split
import argparse
import json
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

import numpy as np
import torch
import yaml
from lightning.pytorch import Callback
from temporary_runs import INTERRUPTED, stopped, temporary_runs  # beside this script

REPO = Path(__file__).resolve().parents[1]
STATE_GRIDS = {100: (5, 5, 4), 10**3: (10, 10, 10), 10**4: (25, 20, 20), 10**5: (50, 50, 40)}
STATE_GRIDS[10**6] = (100, 100, 100)
"""Three concepts at every size, so the Q-network and the concept kernels stay the same."""
INPUT_COUNTS = (10, 100, 10**3, 10**4, 10**5)
STATES_AT_INPUT_SWEEP = 10**3
INPUTS_AT_STATE_SWEEP = 100
NUM_ENVS = 64
WARMUP_STEPS = 5
"""Steps left out of the mean: the first learning steps and lazy set-up (feature tables)."""


def task(grid: tuple[int, ...], num_inputs: int) -> dict[str, Any]:
    """The synthetic task with ``num_inputs`` discovery inputs on a grid of these sizes."""
    return {
        "target": {"name": "synthetic"},
        "dataset": {
            "name": "synthetic",
            "args": {"num_inputs": 2 * num_inputs, "num_axes": len(grid)},
        },
        "reward": {"name": "margin"},
        "concepts": [
            {"name": "axis", "args": {"index": i, "values": np.linspace(0, 1, g).round(4).tolist()}}
            for i, g in enumerate(grid)
        ],
        "mode": "macroscopic",
    }


class StepClock(Callback):
    """Wall seconds of each training step, checkpoint hooks included (this runs after them)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._start = 0.0

    def on_train_batch_start(self, *args: Any) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(self, *args: Any) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


_STOPPING: list[int] = []
"""The stop signal the child took, once it took one."""


def _stop_once(signum: int, frame: Any) -> None:
    """The child's handler for both stop signals: the first raises KeyboardInterrupt, any later
    one does nothing. A terminal's Ctrl-C or a process group's SIGTERM reaches the child and the
    benchmark both, and the benchmark passes the stop on to the child too: a second
    KeyboardInterrupt, raised while the child handled the first, printed multiprocessing's
    ``Process ForkProcess-N:`` traceback. A flag, not SIG_IGN alone: Lightning puts back the
    handlers it found as its run tears down."""
    if _STOPPING:
        return
    _STOPPING.append(signum)
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    raise KeyboardInterrupt


def _measure(grid: tuple[int, ...], num_inputs: int, steps: int, queue: Any) -> None:
    """In the child: :func:`_point`, ended quietly with status ``INTERRUPTED`` when stopped.

    A Ctrl-C or SIGTERM that reached the child before its run began (while it imported ffade or
    built its task) printed multiprocessing's ``Process ForkProcess-N:`` traceback above the
    benchmark's one line; one during the run ended it with status 1, read as a crash. The stop
    signals come blocked from :func:`measure` and are let in only once :func:`_stop_once`
    holds them, inside the ``try``: no moment of the child's is left to the handlers it
    inherited."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_once)
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        _point(grid, num_inputs, steps, queue)
    except BaseException as error:
        if not stopped(error):
            raise
        sys.exit(INTERRUPTED)


def _point(grid: tuple[int, ...], num_inputs: int, steps: int, queue: Any) -> None:
    """One DQN run of ``steps`` steps; puts (mean step seconds, peak MB, added MB)."""
    from ffade.explore import DQNExplorer
    from ffade.explore.run import discover

    torch.set_num_threads(1)  # as one_thread does for the DQN's own work; the target is trivial
    before = _rss_mb()
    clock = StepClock()
    explorer = DQNExplorer(
        task=task(grid, num_inputs),
        budget=NUM_ENVS * steps,
        num_envs=NUM_ENVS,
        coverage_probes=0.0,  # evaluated once before the first step; not a per-step cost
        max_idle_steps=10**6,
    )
    with tempfile.TemporaryDirectory() as tmp:
        discover(explorer, tmp, checkpoints=True, callbacks=[clock])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((float(np.mean(clock.seconds[WARMUP_STEPS:])), peak, peak - before))


def measure(grid: tuple[int, ...], num_inputs: int, steps: int) -> tuple[float, float, float]:
    """Run :func:`_measure` in a forked child, so peak memory is that point's alone."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_measure, args=(grid, num_inputs, steps, queue))
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # the child lets them in
    try:
        child.start()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        raise
    try:  # a stop that came meanwhile reaches this process now, with the child to end
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return _result(child, queue, grid, num_inputs)
    except KeyboardInterrupt:  # the child ends (a Ctrl-C reaches it too) before this process
        if child.is_alive():  # when only this process was signalled
            os.kill(child.pid, signal.SIGINT)
        child.join()
        raise


def _result(child: Any, queue: Any, grid: tuple[int, ...], num_inputs: int) -> Any:
    while True:  # a child that dies (killed for memory, a crash) puts nothing: say so, not hang
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not child.is_alive():
                try:  # what it put just before it ended
                    result = queue.get(timeout=1)
                    break
                except Empty:
                    if child.exitcode == INTERRUPTED:  # the child alone was stopped
                        raise KeyboardInterrupt from None
                    raise RuntimeError(
                        f"the point at {int(np.prod(grid))} states and {num_inputs} inputs: its "
                        f"process ended (exit code {child.exitcode}) without a result"
                    ) from None
    child.join()
    return result


def exponent(sizes: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) against log(size)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def curve(name: str, points: list[tuple[int, tuple[int, ...], int]], steps: int) -> float:
    print(f"{name:>8}  {'step_ms':>8}  {'peak_mb':>8}  {'added_mb':>8}", flush=True)
    sizes, seconds = [], []
    for size, grid, num_inputs in points:
        step, peak, added = measure(grid, num_inputs, steps)
        print(f"{size:>8}  {1000 * step:8.2f}  {peak:8.0f}  {added:8.0f}", flush=True)
        sizes.append(size)
        seconds.append(step)
    return exponent(sizes, seconds)


def evaluations_per_second(devices: int, accelerator: str, budget: int, tmp: Path) -> float:
    """Evaluations per second of ``ffade fit`` on the synthetic config with this many devices."""
    config = yaml.safe_load((REPO / "configs" / "synthetic.yaml").read_text())
    config["model"]["init_args"].update(
        task=task(STATE_GRIDS[10**4], 1000), budget=budget, num_envs=256, eval_batch_size=256
    )
    run_dir = tmp / f"{accelerator}{devices}"
    config["trainer"]["logger"]["init_args"] = {"save_dir": str(run_dir), "name": "scaling"}
    path = tmp / f"{accelerator}{devices}.yaml"
    path.write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "ffade", "fit", "--config", str(path)]
    command += ["--trainer.accelerator", accelerator, "--trainer.devices", str(devices)]
    if devices > 1:
        command += ["--trainer.strategy", "ddp"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp, timeout=900)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise RuntimeError(f"exit {done.returncode}: {last[:200]}")
    summaries = sorted(run_dir.rglob("summary.json"))
    if not summaries:
        raise RuntimeError("no summary.json written")
    summary = json.loads(summaries[-1].read_text())
    if summary.get("status") != "finished" or not summary.get("wall_seconds"):
        raise RuntimeError(f"run ended with status {summary.get('status')!r}")
    return summary["evaluations"] / summary["wall_seconds"]


def processes(budget: int) -> None:
    """Evaluations per second with 1 and 2 CPU processes (and per GPU count under CUDA)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            one = evaluations_per_second(1, "cpu", budget, Path(tmp))
        except RuntimeError as exc:
            raise RuntimeError(f"the 1-process ffade fit failed: {exc}") from None
        print(f"evaluations_per_second_cpu_1: {one:.0f}", flush=True)
        try:
            two = evaluations_per_second(2, "cpu", budget, Path(tmp))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"ddp_speedup: n/a (2-process run failed: {exc})")
        else:
            print(f"evaluations_per_second_cpu_2: {two:.0f}")
            print(f"ddp_speedup: {two / one:.2f}")
        for gpus in range(1, torch.cuda.device_count() + 1):
            try:
                rate = evaluations_per_second(gpus, "cuda", budget, Path(tmp))
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"evaluations_per_second_cuda_{gpus}: n/a ({exc})")
            else:
                print(f"evaluations_per_second_cuda_{gpus}: {rate:.0f}")


def main() -> None:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer steps per point")
    parser.add_argument("--skip-ddp", action="store_true", help="the curves only")
    args = parser.parse_args()
    steps = 20 if args.quick else 40
    print(f"DQN, synthetic target, {NUM_ENVS} evaluations a step, mean of {steps - WARMUP_STEPS}")
    by_states = [(size, grid, INPUTS_AT_STATE_SWEEP) for size, grid in sorted(STATE_GRIDS.items())]
    try:  # a point that dies, the 1-process ffade fit failing: one line each, exit 1
        with temporary_runs(parser):  # the runs' folders are deleted: no line may name them
            states_exponent = curve("states", by_states, steps)
            grid = STATE_GRIDS[STATES_AT_INPUT_SWEEP]
            inputs_exponent = curve("inputs", [(n, grid, n) for n in INPUT_COUNTS], steps)
            print(f"states_exponent: {states_exponent:.3f}")
            print(f"inputs_exponent: {inputs_exponent:.3f}", flush=True)
            if not args.skip_ddp:
                processes(budget=5_000 if args.quick else 20_000)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        parser.exit(1, f"{parser.prog}: error: {exc}\n")


if __name__ == "__main__":
    main()
