"""Helpers for tests: tiny synthetic tasks, and the CLI run exactly as a user types it."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]


def load_benchmark(script: str) -> ModuleType:
    """benchmarks/SCRIPT as a module, its folder on sys.path while it loads, as python puts a
    script's folder there: the benchmarks import their shared pieces from beside them."""
    folder = str(REPO / "benchmarks")
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(
            f"{script[:-3]}_benchmark", f"{folder}/{script}"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


def hangup_as_a_terminal_gives_it() -> None:
    """``preexec_fn`` for a command a test closes the terminal of (sends SIGHUP): the command
    starts with SIGHUP's default, not blocked, as a shell in a terminal starts it.

    Otherwise it inherits the test process's: a suite started under ``nohup`` (SIGHUP ignored)
    or with SIGHUP blocked passes either on through exec to every command it starts, which then
    never took the hangup; ``ffade feedback`` waited on, read the end of its input, exit 0.
    That is ffade under ``nohup`` (README: it ignores the hangup), not the closed terminal the
    test means."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGHUP])


def waiting_for_input(pid: int) -> None:
    """Return once process ``pid``, its prompt shown, sleeps waiting for the answer, as a
    person's Ctrl-C finds a command at its prompt; at once where there is no ``/proc``.

    A signal stops a read of the answer (``select`` in readline, ``read`` without it): the call
    ends interrupted and Python raises KeyboardInterrupt. One that comes after the prompt is
    written but before that wait starts, C code that checks for no signal, is noted and left
    until the wait ends: a line typed, or a second Ctrl-C. A test that sent its one Ctrl-C the
    moment the prompt showed hung 120 s in CI (two loaded cores: the test, woken by the
    prompt's write, ran before the command reached its read). A wait for the interpreter's
    lock (``futex``) is not that wait."""
    give_up = time.monotonic() + 120
    while time.monotonic() < give_up:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            waits_in = Path(f"/proc/{pid}/wchan").read_text()
        except (OSError, IndexError):  # no /proc (macOS), or the process ended
            return
        if state == "S" and "futex" not in waits_in:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never waited for input")


def synthetic_spec(
    num_concepts: int = 3, num_inputs: int = 16, mode: str = "macroscopic"
) -> dict[str, Any]:
    """A synthetic task small enough to explore in seconds."""
    return {
        "target": {"name": "synthetic"},
        "dataset": {
            "name": "synthetic",
            "args": {"num_inputs": num_inputs, "num_axes": max(num_concepts, 3)},
        },
        "reward": {"name": "margin"},
        "concepts": [{"name": "axis", "args": {"index": i}} for i in range(num_concepts)],
        "mode": mode,
    }


def write_config(
    path: Path,
    explorer: str = "ffade.explore.DQNExplorer",
    budget: int = 200,
    save_dir: Path | None = None,
    **init_args: Any,
) -> Path:
    """A complete ``ffade fit`` config for the synthetic task."""
    config = {
        "seed_everything": 0,
        "model": {
            "class_path": explorer,
            "init_args": {"task": synthetic_spec(), "budget": budget, "num_envs": 16, **init_args},
        },
        "trainer": {
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": str(save_dir or path.parent / "runs"), "name": "test"},
            }
        },
    }
    path.write_text(yaml.safe_dump(config))
    return path


def fit_with_own_target(
    tmp_path: Path, source: str, target: str, budget: int = 64
) -> tuple[list[str], dict[str, str]]:
    """``ffade fit`` (command and environment, to run in ``tmp_path``) on the synthetic config
    whose target is ``module:Class`` (``target``) of ``source``, written there as the module."""
    module = target.split(":")[0]
    (tmp_path / f"{module}.py").write_text(source)
    config = write_config(tmp_path / "c.yaml", budget=budget)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["target"] = {"name": target}
    config.write_text(yaml.safe_dump(data))
    path = [str(tmp_path), str(REPO), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    return [sys.executable, "-m", "ffade", "fit", "--config", str(config)], env


def stopped_while_loading(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run ``command`` in ``cwd`` until its target is loading (the test's target touches
    ``loading`` there, then sleeps), SIGTERM it; its stderr, exit 1 asserted."""
    import signal
    import time

    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (cwd / "loading").exists() and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1, err[-2000:]
    return err


def search_stopped_at_step(root: Path, spec: dict[str, Any], step: int = 3, **args: Any) -> Any:
    """A random search of ``spec`` under ``root`` (budget 100, 10 pairs a step, checkpoints on,
    the explorer's other ``args``), stopped after ``step`` steps: a run that ends partway, to
    resume."""
    from lightning.pytorch import Callback

    from ffade.explore import RandomExplorer
    from ffade.explore.run import discover

    class StopAtStep(Callback):
        def on_train_batch_end(self, trainer, explorer, *args) -> None:
            trainer.should_stop = explorer.iterations == step

    explorer = RandomExplorer(task=spec, budget=100, num_envs=10, **args)
    return discover(explorer, root, checkpoints=True, callbacks=[StopAtStep()])


def ffade(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed ``ffade`` console script as a user would."""
    exe = Path(sys.executable).parent / "ffade"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [str(exe), *args], cwd=cwd or REPO, capture_output=True, text=True, timeout=timeout, env=env
    )


def ffade_reader_gone(
    *args: str, answers: str = "", closed: bool = False, unbuffered: bool = False
) -> subprocess.CompletedProcess:
    """``python -m ffade ARGS`` with ``answers`` on stdin and a stdout nobody reads: a pipe whose
    reader is gone before the first line (``ffade ... | head -0``), or, with ``closed``, no stdout
    at all (``>&-``). Buffered as typed, unless ``unbuffered`` (PYTHONUNBUFFERED: each line is
    written at once, so the first one already meets the gone reader)."""
    command = [sys.executable, "-m", "ffade", *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env.update({"PYTHONUNBUFFERED": "1"} if unbuffered else {})
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            ["bash", "-c", 'exec "$@" >&-', "-", *command] if closed else command,
            cwd=REPO,
            input=answers,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=300,
        )
    finally:
        os.close(write)


def ffade_in_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``ffade ARGS`` through ``ffade.cli.main`` in this process, returned as :func:`ffade` does.

    For what ffade refuses or prints before a run starts, and small runs whose files a test reads:
    a process of its own spends about 10 s importing Lightning first. What a process would show
    is captured as strictly: Lightning's log handlers and Python's default warnings write into the
    captured stderr, so a stray "Seed set to 0" or warning still makes a one-line error two. The
    environment (Lightning sets PL_GLOBAL_SEED) and the working directory are restored. Runs a
    test stops, kills or resumes, and one test per command, still start ``ffade`` itself.
    """
    import contextlib
    import gc
    import io
    import logging

    from ffade import lightning_run  # noqa: F401  (Lightning's log handlers, before the swap)
    from ffade.cli import main

    out, err = io.StringIO(), io.StringIO()
    streams = {h: _swap_stream(h, err) for h in _stream_handlers()}
    last_resort = logging.StreamHandler(err)  # what logging prints where no handler is set
    last_resort.setLevel(logging.WARNING)
    logging.getLogger().addHandler(last_resort)
    environ, before = dict(os.environ), Path.cwd()
    gc.collect()  # a file an earlier test left open warns now, not into this capture (CI once)
    try:
        os.chdir(cwd or REPO)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _main_as_a_process(main, list(args))
    finally:
        os.chdir(before)
        os.environ.clear()
        os.environ.update(environ)
        logging.getLogger().removeHandler(last_resort)
        for handler in _stream_handlers():  # a handler made meanwhile writes to stderr again
            if handler.stream is err:
                _swap_stream(handler, streams.get(handler) or sys.stderr)
    return subprocess.CompletedProcess(["ffade", *args], code, out.getvalue(), err.getvalue())


def _swap_stream(handler: Any, stream: Any) -> Any:
    """Point ``handler`` at ``stream``; its old stream back. Not ``setStream``, which flushes the
    old one: a handler made while an earlier test's capsys held stderr keeps that closed file."""
    with handler.lock:
        old, handler.stream = handler.stream, stream
    return old


def _stream_handlers() -> list[Any]:
    """Every plain ``logging.StreamHandler`` (Lightning's); pytest's are subclasses."""
    import logging

    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return [
        handler
        for logger in loggers
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if type(handler) is logging.StreamHandler
    ]


def _main_as_a_process(main: Any, args: list[str]) -> int:
    """``main(args)``'s exit status, its warnings shown on stderr under a fresh interpreter's
    filters (pytest's would record them unseen), and ``SystemExit`` taken as the process would."""
    import warnings

    with warnings.catch_warnings():
        warnings.resetwarnings()
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
            warnings.simplefilter("ignore", category)
        warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: (
            print(
                warnings.formatwarning(message, category, filename, lineno, line),
                end="",
                file=sys.stderr,
            )
        )
        try:
            return main(args)
        except SystemExit as exc:  # --print_config, --help and argparse's own exits
            if exc.code is None or isinstance(exc.code, int):
                return exc.code or 0
            print(exc.code, file=sys.stderr)
            return 1


def fine_tuned(
    make: Any,
    root: Path,
    epochs: int = 1,
    callbacks: list[Any] | None = None,
    ckpt_path: Path | None = None,
) -> Any:
    """The fine-tuner ``make()`` builds (after seed 0), fitted quietly for ``epochs`` with its
    logs under ``root/mitigate``: the Trainer every fine-tuner's tests run it with."""
    import logging

    from lightning.pytorch import Trainer, seed_everything
    from lightning.pytorch.loggers import TensorBoardLogger

    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    seed_everything(0, verbose=False)
    tuner = make()
    Trainer(
        max_epochs=epochs,
        logger=TensorBoardLogger(str(root), name="mitigate"),
        callbacks=callbacks,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
    ).fit(tuner, ckpt_path=ckpt_path)
    return tuner


@contextmanager
def enormous_reward() -> Iterator[dict[str, Any]]:
    """The synthetic task with a reward paying each miss 1e31 (logits 1e30 apart), registered
    as ``enormous`` while the block runs: what a huge reward does to a learner."""
    import torch
    from ffade_synthetic.reward import MarginReward

    from ffade.plugin_api import Scores
    from ffade.registry import register, unregister

    class Enormous(MarginReward):
        def score(self, outputs, references, clean_outputs=None) -> Scores:
            scores = super().score(outputs, references, clean_outputs)
            reward = torch.where(scores.failed, torch.tensor(1e31), scores.reward)
            return Scores(scores.metric, scores.failed, reward)

    register("reward", "enormous", Enormous)
    try:
        yield {**synthetic_spec(), "reward": {"name": "enormous"}}
    finally:
        unregister("reward", "enormous")


TRAINING_LIBRARIES = ("lightning", "lightning_fabric", "pytorch_lightning", "torchmetrics")


def python_m_ffade(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """``python -X importtime -m ffade ARGS``: its result and every module it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ffade", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    imported = {
        line.rpartition("|")[2].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    return result, imported


def print_config_of_edited(tmp_path: Path, edit: tuple[str, str]) -> tuple[Path, Any]:
    """``ffade fit --print_config`` on configs/synthetic.yaml with ``edit`` (old, new) made:
    the config's path and the finished command."""
    text = (REPO / "configs" / "synthetic.yaml").read_text()
    assert edit[0] in text
    config = tmp_path / "c.yaml"
    config.write_text(text.replace(edit[0], edit[1]))
    return config, ffade_in_process("fit", "--config", str(config), "--print_config")


def digits_suite(folder: Path, target_args: dict[str, Any] | None = None) -> Path:
    """A one-case suite on the digits CNN, four inputs: built in well under a second."""
    suite = folder / "digits.yaml"
    task = {
        "target": {"name": "digits_cnn", "args": target_args or {}},
        "dataset": {"name": "digits", "args": {"seed": 0}},
        "reward": {"name": "misclassification", "args": {}},
        "concepts": [{"name": "rotation", "args": {"values": [-20, 0, 20]}}],
        "mode": "macroscopic",
        "max_inputs": 4,
    }
    case = {"name": "c1", "states": [{"rotation": 20}], "pairs": {"discovery": [[0, 0]]}}
    suite.write_text(
        yaml.safe_dump(
            {"format": "ffade-suite/1", "task": task, "cases": [{**case, "max_failure_rate": 0.5}]}
        )
    )
    return suite
