"""Ctrl-C in the benchmarks whose runs live in temporary folders they delete (coverage.py,
scaling.py, big_run.py; discovery.py's test is in test_benchmark_arguments.py): one line saying
nothing was kept, exit 130, and no run's "resume it with" naming a folder gone a moment later."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from functools import partial
from typing import Any

import pytest
from lightning.pytorch import Callback

from ffade import run_base
from tests.helpers import REPO, load_benchmark


@pytest.fixture(autouse=True)
def sigint_put_back():
    """Lightning ignores SIGINT for good once a run is stopped: the suite's Ctrl-C comes back."""
    before = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, before)


class CtrlC(Callback):
    """A terminal's Ctrl-C, mid-run: SIGINT to each process of ``pids`` (default: this one)."""

    def __init__(self, *pids: int) -> None:
        self.pids = pids

    def on_train_batch_end(self, *args: Any) -> None:
        for pid in self.pids or (os.getpid(),):
            os.kill(pid, signal.SIGINT)


def said_once(err: str, script: str) -> None:
    assert "resume" not in err and "version_" not in err and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (
        f"{script}: interrupted; its runs were temporary: nothing kept"
    )


def test_coverage_ctrl_c_says_once_that_nothing_was_kept(monkeypatch, capsys) -> None:
    """coverage.py's runs ran in its TemporaryDirectory: Ctrl-C printed the run's "resume it
    with: ffade fit ... --ckpt_path /tmp/.../version_0", then a KeyboardInterrupt traceback."""
    module = load_benchmark("coverage.py")
    monkeypatch.setattr(module, "discover", partial(module.discover, callbacks=[CtrlC()]))
    monkeypatch.setattr(sys, "argv", ["coverage.py", "--seeds", "1"])
    with pytest.raises(SystemExit) as exited:
        module.main()
    assert exited.value.code == 130
    said_once(capsys.readouterr().err, "coverage.py")
    assert not run_base.TEMPORARY_RUNS.get()  # put back: a later run in this process says its lines


def test_scaling_ctrl_c_says_once_that_nothing_was_kept(monkeypatch, capfd) -> None:
    """scaling.py's points run in forked children, each in a TemporaryDirectory: Ctrl-C (which
    reaches the child and the benchmark both) printed the child's "resume it with" and the
    benchmark's traceback."""
    module = load_benchmark("scaling.py")
    parent = os.getpid()

    class Stopped(module.StepClock):  # in the child: its run and the benchmark are stopped
        def on_train_batch_end(self, *args: Any) -> None:
            super().on_train_batch_end(*args)
            CtrlC(os.getpid(), parent).on_train_batch_end()

    monkeypatch.setattr(module, "StepClock", Stopped)
    monkeypatch.setattr(sys, "argv", ["scaling.py", "--quick", "--skip-ddp"])
    with pytest.raises(SystemExit) as exited:
        module.main()
    assert exited.value.code == 130
    assert not multiprocessing.active_children()  # the child ended before the benchmark
    said_once(capfd.readouterr().err, "scaling.py")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("parent_too", [True, False], ids=["both", "child-alone"])
def test_scaling_stopped_before_its_run_starts_says_once(
    monkeypatch, capfd, signum: int, parent_too: bool
) -> None:
    """A Ctrl-C or SIGTERM that reached scaling.py's forked child while it built its task printed
    the child's ``Process ForkProcess-1:`` traceback above the benchmark's line; one to the child
    alone ended the benchmark with "its process ended (exit code 1) without a result", exit 1."""
    module = load_benchmark("scaling.py")
    parent, task = os.getpid(), module.task

    def stopped_task(*args: Any) -> Any:  # in the child, before its run begins
        if parent_too:  # a terminal's Ctrl-C or a process group's SIGTERM reaches both
            os.kill(parent, signum)
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the signal interrupts this
        return task(*args)

    monkeypatch.setattr(module, "task", stopped_task)
    monkeypatch.setattr(sys, "argv", ["scaling.py", "--quick", "--skip-ddp"])
    with pytest.raises(SystemExit) as exited:
        module.main()
    assert exited.value.code == 130
    assert not multiprocessing.active_children()
    err = capfd.readouterr().err
    assert "ForkProcess" not in err
    said_once(err, "scaling.py")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_scaling_child_stopped_twice_says_once(monkeypatch, capfd, signum: int) -> None:
    """Under load, the benchmark's SIGINT to its child (passing on a stop that reached both)
    came while the child still handled its own first stop: a second KeyboardInterrupt there
    printed ``Process ForkProcess-1:`` and its traceback above the benchmark's line. Here the
    second signal comes at that moment, as the child decides the first one was a stop."""
    module = load_benchmark("scaling.py")
    parent, task, stopped = os.getpid(), module.task, module.stopped

    def stopped_task(*args: Any) -> Any:  # in the child, before its run begins
        os.kill(parent, signum)
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the signal interrupts this
        return task(*args)

    def stopped_again(error: BaseException) -> bool:  # the benchmark's SIGINT, passed on
        os.kill(os.getpid(), signal.SIGINT)
        return stopped(error)

    monkeypatch.setattr(module, "task", stopped_task)
    monkeypatch.setattr(module, "stopped", stopped_again)
    monkeypatch.setattr(sys, "argv", ["scaling.py", "--quick", "--skip-ddp"])
    with pytest.raises(SystemExit) as exited:
        module.main()
    assert exited.value.code == 130
    assert not multiprocessing.active_children()
    err = capfd.readouterr().err
    assert "ForkProcess" not in err
    said_once(err, "scaling.py")


@pytest.mark.slow
def test_big_run_ctrl_c_says_once_that_nothing_was_kept(tmp_path) -> None:
    """big_run.py's ``ffade fit`` child printed its "resume it with" for a folder the benchmark
    deleted as it stopped, and the benchmark a KeyboardInterrupt traceback. Ctrl-C here is a
    terminal's: SIGINT to the benchmark's process group, once its run has evaluated."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    script = str(REPO / "benchmarks" / "big_run.py")
    command = [sys.executable, script, "--budget", "100000"]
    with subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as bench:
        deadline = time.monotonic() + 300
        while not any(
            p.stat().st_size for p in tmp_path.glob("ffade-big-*/runs/big/*/evaluations.jsonl")
        ):
            assert bench.poll() is None and time.monotonic() < deadline, bench.stderr.read()
            time.sleep(0.2)
        os.killpg(bench.pid, signal.SIGINT)
        err = bench.stderr.read()
    assert bench.returncode == 130, err
    said_once(err, "big_run.py")
    assert not list(tmp_path.glob("ffade-big-*"))  # the temporary folder is gone


def sigterm_once_it_evaluates(command: list[str], tmp_path) -> tuple[int, str]:
    """Runs a benchmark with its temporary folders under ``tmp_path``; once a run there has
    evaluated, SIGTERM to the benchmark's process alone (``kill PID``, a scheduler): its status
    and its stderr."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as bench:
        deadline = time.monotonic() + 300
        while not any(p.stat().st_size for p in tmp_path.rglob("evaluations.jsonl")):
            assert bench.poll() is None and time.monotonic() < deadline, bench.stderr.read()
            time.sleep(0.05)
        bench.send_signal(signal.SIGTERM)
        err = bench.stderr.read()
    return bench.returncode, err


@pytest.mark.slow
def test_scaling_sigterm_says_once_that_nothing_was_kept(tmp_path) -> None:
    """SIGTERM to scaling.py ended it at once without a word (status -15), its forked child
    left running on, its temporary run folder behind."""
    script = str(REPO / "benchmarks" / "scaling.py")
    status, err = sigterm_once_it_evaluates(
        [sys.executable, script, "--quick", "--skip-ddp"], tmp_path
    )
    assert status == 130, err
    said_once(err, "scaling.py")
    assert not list(tmp_path.rglob("evaluations.jsonl"))  # the child ended and deleted its run


@pytest.mark.slow
def test_big_run_sigterm_says_once_that_nothing_was_kept(tmp_path) -> None:
    """SIGTERM to big_run.py ended it without a word, its ``ffade fit`` child running on."""
    script = str(REPO / "benchmarks" / "big_run.py")
    status, err = sigterm_once_it_evaluates(
        [sys.executable, script, "--budget", "100000"], tmp_path
    )
    assert status == 130, err
    said_once(err, "big_run.py")
    assert not list(tmp_path.glob("ffade-big-*"))  # the temporary folder is gone


def test_target_speed_ctrl_c_is_one_line(monkeypatch, capsys) -> None:
    """Ctrl-C in target_speed.py (minutes of torch.compile on a CPU) was a traceback."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    module = load_benchmark("target_speed.py")

    def pressed(*args: Any) -> None:  # a terminal's Ctrl-C while a table is timed
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)

    monkeypatch.setattr(module, "speed_table", pressed)
    monkeypatch.setattr(sys, "argv", ["target_speed.py", "--skip-auto", "--no-compile"])
    try:
        module.main()
        ended: Any = "ran on"
    except SystemExit as exited:
        ended = exited.code
    except KeyboardInterrupt:
        ended = "KeyboardInterrupt"
    assert ended == 130
    assert capsys.readouterr().err == "target_speed.py: interrupted\n"


LOADING_TORCH = '''
import importlib.abc, pathlib, sys, time

class Loading(importlib.abc.MetaPathFinder):
    """torch's import, as it starts: touches LOADING, then sleeps till a Ctrl-C ends it."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            pathlib.Path({loading!r}).touch()
            time.sleep(120)

sys.meta_path.insert(0, Loading())
'''


@pytest.mark.parametrize("script", ["discovery.py", "coverage.py"])
def test_ctrl_c_while_torch_loads_is_one_line(tmp_path, script: str) -> None:
    """Ctrl-C in a benchmark's first seconds, torch and Lightning still importing, printed a
    KeyboardInterrupt traceback (Python's status for an uncaught Ctrl-C): the README promises one
    line and exit 130, as ``ffade`` says it. The import is held where it starts (a
    ``sitecustomize`` on PYTHONPATH, as Python runs one at start-up) until the Ctrl-C comes."""
    loading = tmp_path / "loading"
    (tmp_path / "sitecustomize.py").write_text(LOADING_TORCH.format(loading=str(loading)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    command = [sys.executable, str(REPO / "benchmarks" / script), "--task", "synthetic"]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as bench:
        deadline = time.monotonic() + 120
        while not loading.exists():
            assert bench.poll() is None and time.monotonic() < deadline, bench.stderr.read()
            time.sleep(0.05)
        bench.send_signal(signal.SIGINT)
        err = bench.stderr.read()
    assert "Traceback" not in err, err
    assert err.splitlines() == [f"{script}: interrupted"], err
    assert bench.returncode == 130, err
