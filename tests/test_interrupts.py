"""SIGTERM as Ctrl-C for ffade's own commands (``ffade check`` stopped so: tests/gate)."""

from __future__ import annotations

import os
import signal

from ffade.interrupts import sigterm_as_ctrl_c


def test_sigterm_raises_keyboard_interrupt_once_then_the_default_is_back() -> None:
    """Python may swallow a KeyboardInterrupt raised in a finalizer: a second SIGTERM must end
    the process as it always did; after the block, the handler it found is back."""

    def outside(signum: int, frame: object) -> None:
        raise AssertionError("SIGTERM reached the handler from before the block")

    before = signal.signal(signal.SIGTERM, outside)
    try:
        with sigterm_as_ctrl_c():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a bytecode boundary to run it on
                raised = False
            except KeyboardInterrupt:
                raised = True
            assert raised and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) is outside
    finally:
        signal.signal(signal.SIGTERM, before)


SLOW_TO_LOAD = """
import pathlib
import time

from ffade_synthetic.target import SyntheticTarget


class Slow(SyntheticTarget):
    def __init__(self):
        super().__init__()
        pathlib.Path("loading").touch()  # the run's summary.json says 'created' by now
        time.sleep(60)
"""


def test_sigterm_while_a_run_loads_its_model_stops_it_as_ctrl_c_does(tmp_path) -> None:
    """README, Resuming a run: SIGTERM stops a run with a line naming its directory, status
    'interrupted'. Before Lightning held SIGTERM (a model loading, a fine-tune's first guard
    measurement), it ended the process without a word, exit 143, its summary.json 'created'."""
    import json
    import subprocess
    import time

    from tests.helpers import fit_with_own_target

    command, env = fit_with_own_target(tmp_path, SLOW_TO_LOAD, "slow:Slow")
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "loading").exists() and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    run = tmp_path / "runs" / "test" / "version_0"
    assert process.returncode == 1, err[-2000:]
    assert err.strip().splitlines() == [
        f"ffade: interrupted; the run so far is in {run} (summary.json: status interrupted)"
    ]
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"
