"""Test options: slow tests run with --runslow; GPU tests only where CUDA is available; parallel
workers share the cores instead of each taking them all; Ctrl-C works as in a terminal."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from ffade import plugin_index


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, give each worker its share of the cores, and the commands it runs too.

    Each process would otherwise start one torch thread per core: on 2 cores two workers ran 4
    busy threads, and two t2i quickstarts side by side took 114 s instead of 74 s.
    """
    # a suite a script starts in the background (`pytest &`) inherits SIGINT ignored, so the
    # tests that press Ctrl-C, in this process or in the commands they start, pressed nothing
    signal.signal(signal.SIGINT, signal.default_int_handler)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch

        threads = max(1, (os.cpu_count() or 1) // workers)
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))  # subprocesses: the CLI as typed
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


INDUCTOR_MADE = pytest.StashKey[list[Path]]()
"""torch's default inductor folders that were not there when the suite started."""


def _inductor_folders() -> list[Path]:
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    default = Path(default_cache_dir())  # whatever TORCHINDUCTOR_CACHE_DIR says: see below
    return [default, default / "precompiled_headers"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller, or -n 0's one process
        session.config.stash[INDUCTOR_MADE] = [p for p in _inductor_folders() if not p.exists()]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Take back torch.compile's precompiled headers, which go to ``$TMPDIR/torchinductor_<user>``
    whatever the cache folder: the compile tests left 150 MB there after every slow CI step.
    Only here, once every worker is done: a compile in the same process reuses them."""
    import shutil

    for path in reversed(session.config.stash.get(INDUCTOR_MADE, [])):
        if path.name == "precompiled_headers":
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import torch

    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(pytest.mark.skip(reason="slow: pass --runslow"))
        if "gpu" in item.keywords and not torch.cuda.is_available():
            item.add_marker(pytest.mark.skip(reason="needs a CUDA device"))


@pytest.fixture
def compile_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """torch.compile's kernels in the test's own folder, not ``$TMPDIR/torchinductor_<user>``
    (see :func:`pytest_sessionfinish` for the headers torch puts there anyway)."""
    folder = tmp_path / "torchinductor"
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished DQN run of the test config's synthetic task (16 inputs, budget 40), with its
    checkpoint: what the resume and bad-input tests resume, refuse or report."""
    from ffade.explore import DQNExplorer
    from ffade.explore.run import discover
    from tests.helpers import synthetic_spec

    root = tmp_path_factory.mktemp("finished")
    explorer = DQNExplorer(task=synthetic_spec(), budget=40, num_envs=16, learning_starts=8)
    discover(explorer, root, checkpoints=True)
    return explorer.recorder.run_dir


@pytest.fixture(autouse=True)
def _forget_registrations() -> Iterator[None]:
    """Plugins a test registers in process (``ffade.register``, ``ffade.discover`` of a module)
    are forgotten after it, so no test sees another's: a leaked ``callable_target`` made a test
    of "registered nowhere" pass or fail by the order xdist gave it."""
    before = dict(plugin_index.registered_plugins)
    yield
    plugin_index.registered_plugins.clear()
    plugin_index.registered_plugins.update(before)


_STOPS = tuple(
    getattr(signal, name) for name in ("SIGHUP", "SIGINT", "SIGTERM") if hasattr(signal, name)
)
"""The signals that stop a command: a test that left one's handler changed, or blocked in this
process, changed what every later test of its worker, and each command it starts, does with it."""


def _signal_state() -> tuple[dict[int, object], frozenset[int]]:
    handlers = {signum: signal.getsignal(signum) for signum in _STOPS}
    blocked = (
        signal.pthread_sigmask(signal.SIG_BLOCK, []) if hasattr(signal, "pthread_sigmask") else ()
    )
    return handlers, frozenset(blocked) & frozenset(_STOPS)


@pytest.fixture(autouse=True)
def _signals_as_found() -> Iterator[None]:
    """A test ends with the stop signals' handlers and blocking as it found them, or fails.

    SIG_IGN and a blocked signal pass on through exec: a test left behind with SIGHUP ignored
    or blocked would make a later one's ``ffade feedback`` child ignore the closed terminal it
    tests (exit 0 for 130, the way CI once failed). Put back here, so no later test inherits
    it; a handler set from C (``getsignal`` gives None) cannot be, and is only named."""
    before = _signal_state()
    yield
    after = _signal_state()
    if after == before:
        return
    for signum, handler in before[0].items():
        if handler is not None and after[0][signum] != handler:
            signal.signal(signum, handler)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, after[1] - before[1])
        signal.pthread_sigmask(signal.SIG_BLOCK, before[1] - after[1])
    changed = [
        f"{signal.Signals(s).name}: handler {before[0][s]!r} -> {after[0][s]!r}"
        for s in _STOPS
        if before[0][s] != after[0][s]
    ]
    if before[1] != after[1]:
        names = [sorted(signal.Signals(s).name for s in state[1]) for state in (before, after)]
        changed.append(f"blocked {names[0]} -> {names[1]}")
    pytest.fail("the test left signal handling changed (put back): " + "; ".join(changed))
