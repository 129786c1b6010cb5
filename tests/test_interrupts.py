"""SIGTERM as Ctrl-C for ffade's own commands (``ffade check`` stopped so: tests/gate)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from ffade.interrupts import signals_held, sigterm_as_ctrl_c


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


def test_a_ctrl_c_held_in_the_block_acts_once_after_it() -> None:
    """A fine-tune writes model.pt, mitigation.json and its summary's verdict in one block: a
    Ctrl-C that came then was raised between two of them (an ``interrupted`` run with a
    mitigation.json, or an accepted fix's model.pt and no verdict). It waits for the block, then
    acts once (tests/mitigate/test_verdict_signals.py: the call stops); the handler is back."""
    with pytest.raises(KeyboardInterrupt), signals_held():
        os.kill(os.getpid(), signal.SIGINT)
        signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a bytecode boundary to run it on
        os.kill(os.getpid(), signal.SIGINT)  # twice held: once after
        signal.pthread_sigmask(signal.SIG_BLOCK, [])
        done = True
    assert done and signal.getsignal(signal.SIGINT) is signal.default_int_handler


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


@pytest.mark.slow
def test_sigterm_while_a_run_loads_its_model_stops_it_as_ctrl_c_does(tmp_path) -> None:
    """README, Resuming a run: SIGTERM stops a run with a line naming its directory, status
    'interrupted'. Before Lightning held SIGTERM (a model loading, a fine-tune's first guard
    measurement), it ended the process without a word, exit 143, its summary.json 'created'."""
    from tests.helpers import fit_with_own_target, stopped_while_loading

    command, env = fit_with_own_target(tmp_path, SLOW_TO_LOAD, "slow:Slow")
    err = stopped_while_loading(command, tmp_path, env)
    run = tmp_path / "runs" / "test" / "version_0"
    assert err.strip().splitlines() == [
        f"ffade: interrupted; its run directory is {run} (summary.json: status interrupted), "
        "with nothing to resume from"
    ]
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"


SIGTERM_AT_FIRST_CALL = """
import json
import os
import signal
import sys

import ffade.cli

module, name = sys.argv[1].rsplit(":", 1)


def send_sigterm_on_entry(frame, event, arg):
    here = frame.f_code.co_name, frame.f_globals.get("__name__")
    if event == "call" and here == (name, module):
        sys.setprofile(None)
        os.kill(os.getpid(), signal.SIGTERM)


sys.setprofile(send_sigterm_on_entry)
sys.exit(ffade.cli.main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("moment", "args"),
    [
        ("ffade.cli:_main", ["check", "--suite", "suite.yaml"]),
        ("ffade.cli:check_command", ["check", "--suite", "suite.yaml"]),
        ("ffade.gate.check:<module>", ["check", "--suite", "suite.yaml"]),  # importing torch
        ("ffade.cli:_main", ["export", "run", "--to", "suite.yaml"]),
        ("ffade.cli:_main", ["report", "run"]),
        ("ffade.cli:_main", ["feedback", "run"]),
        ("ffade.cli:_main", ["loop", "--config", "loop.yaml"]),
        ("ffade.cli:_main", ["plugins"]),
        ("ffade.cli:_main", ["fit", "--config", "c.yaml"]),
        ("ffade.fit_help:misspelled_fit_option", ["fit", "--config", "c.yaml"]),
        ("ffade.cli:_main", ["--help"]),
        # in a library's import: a KeyboardInterrupt there was swallowed (the command went on,
        # "file not found") or left numpy half loaded (a RecursionError's traceback)
        pytest.param(  # seconds in its own process; the check below covers numpy's import
            "numpy:<module>", ["fit", "--config", "c.yaml"], marks=pytest.mark.slow
        ),
        pytest.param(  # numpy's import stopped deeper in: its own process for seconds
            "numpy._core.overrides:<module>", ["fit", "--config", "c.yaml"], marks=pytest.mark.slow
        ),
        ("numpy:<module>", ["check", "--suite", "suite.yaml"]),
    ],
)
def test_sigterm_at_any_moment_of_main_is_ctrl_c(moment: str, args: list[str], tmp_path) -> None:
    """README: a command stopped by SIGTERM prints ``ffade: interrupted`` and exits 130. SIGTERM
    was taken so only once a command began: one a moment earlier (``ffade check`` still reading
    its arguments, ``ffade fit`` checking its options) ended it without a word, status 143; one
    in a library's import could leave it broken. The signal is sent as the named function (or
    module) starts to run."""
    import subprocess
    import sys

    from tests.helpers import REPO

    (tmp_path / "probe.py").write_text(SIGTERM_AT_FIRST_CALL)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "probe.py", moment, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 130, (result.returncode, result.stderr[-2000:])
    assert result.stderr.strip().splitlines() == ["ffade: interrupted"], result.stderr[-2000:]


SIGTERM_IN_EXECUTED_CODE = """
import json
import os
import signal
import sys

armed = False


def send_sigterm_in_a_dataclass_being_made(frame, event, arg):
    global armed
    if event != "call":
        return
    armed = armed or frame.f_code.co_name == "_main"
    if armed and frame.f_code.co_filename == "<string>":  # code exec() runs
        sys.setprofile(None)
        os.kill(os.getpid(), signal.SIGTERM)


sys.setprofile(send_sigterm_in_a_dataclass_being_made)
"""


def test_python_m_ffade_stopped_in_executed_code_exits_130(tmp_path) -> None:
    """SIGTERM while a dataclass was being made (Python runs its methods' source with exec())
    printed ``ffade: interrupted`` yet ``python -m ffade`` ended by SIGINT, -2 to its parent."""
    import subprocess
    import sys

    from tests.helpers import REPO

    (tmp_path / "sitecustomize.py").write_text(SIGTERM_IN_EXECUTED_CODE)
    path = [str(tmp_path), str(REPO), os.environ.get("PYTHONPATH", "")]
    result = subprocess.run(
        [sys.executable, "-m", "ffade", "check", "--suite", "suite.yaml"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stderr.strip().splitlines() == ["ffade: interrupted"], result.stderr[-2000:]
    assert result.returncode == 130


SIGTERM_AFTER_MAIN = """
import json
import os
import signal
import sys
import time

import ffade.cli

sys.argv = ["ffade", *sys.argv[1:]]
status = ffade.cli.main()  # as the console script and python -m ffade call it
print(f"main returned {status}", flush=True)
os.kill(os.getpid(), signal.SIGTERM)  # as the interpreter shuts down: torch's teardown, say
time.sleep(30)
sys.exit(99)
"""


@pytest.mark.parametrize(("args", "status"), [(["--version"], 0), (["no-such-command"], 2)])
def test_sigterm_after_the_command_is_over_exits_with_its_status(
    args: list[str], status: int, tmp_path
) -> None:
    """A SIGTERM while a finished ``ffade fit`` shut down ended it with status 143, read as
    killed, where its summary said finished: the command's own status stands."""
    script = tmp_path / "after_main.py"
    script.write_text(SIGTERM_AFTER_MAIN)
    result = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=120
    )
    assert f"main returned {status}" in result.stdout, result.stderr[-2000:]
    assert result.returncode == status, result.stderr[-2000:]


SIGTERM_AS_THE_ENDING_STARTS = """
import os
import signal
import sys

import ffade.cli

print_ending = ffade.cli._print_ending


def sigterm_then_print_ending(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)  # as main calls it, as SIGTERM_AT_FIRST_CALL would
    return print_ending(*args, **kwargs)


# not sys.setprofile, which slowed the whole run's imports and steps to seconds more
ffade.cli._print_ending = sigterm_then_print_ending
sys.exit(ffade.cli.main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_sigterm_while_a_finished_run_prints_its_closing_lines_keeps_its_status(
    tmp_path,
) -> None:
    """A SIGTERM after a run's loop, while ``ffade fit`` printed its closing lines, read as
    Ctrl-C: ``ffade: interrupted``, exit 130, where the run's summary said finished. The lines
    are printed and the command's own status stands, as for one while the process exits."""
    from tests.helpers import REPO, write_config

    write_config(tmp_path / "c.yaml", budget=32)
    (tmp_path / "probe.py").write_text(SIGTERM_AS_THE_ENDING_STARTS)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "probe.py", "fit", "--config", "c.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "ffade: interrupted" not in result.stderr
    assert "\nrun: " in "\n" + result.stdout  # the closing lines were printed
    run = tmp_path / "runs" / "test" / "version_0"
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"


SIGNAL_AS_THE_INTERPRETER_ENDS = """
import os
import signal
import sys
import time

import ffade.cli

signum = int(sys.argv[1])
sys.argv = ["ffade", *sys.argv[2:]]
status = ffade.cli.main()  # as the console script and python -m ffade call it
print(f"main returned {status}", flush=True)


class Teardown:
    # As torch's and Lightning's modules are torn down (a second or more after a report),
    # past the point where Python gives each signal its default handler back.
    def __del__(self, kill=os.kill, pid=os.getpid(), signum=signum, nap=time.sleep):
        kill(pid, signum)
        nap(5)


teardown = Teardown()
sys.exit(status)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize(("args", "status"), [(["--version"], 0), (["no-such-command"], 2)])
def test_a_signal_as_the_interpreter_tears_down_keeps_the_commands_status(
    signum: int, args: list[str], status: int, tmp_path
) -> None:
    """README: a SIGTERM once a command has printed its last line, while the process exits,
    leaves the command's own status. In the last second of the exit (modules torn down), Python
    had put the default handlers back: a finished ``ffade report`` stopped then died with 143
    (Ctrl-C: 130), without a word, its report whole."""
    script = tmp_path / "teardown.py"
    script.write_text(SIGNAL_AS_THE_INTERPRETER_ENDS)
    result = subprocess.run(
        [sys.executable, str(script), str(int(signum)), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"main returned {status}" in result.stdout, result.stderr[-2000:]
    assert result.returncode == status, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]


HANGS_UP = """
import os
import pathlib
import signal

from ffade_synthetic.target import SyntheticTarget


class HangsUp(SyntheticTarget):
    calls = 0

    def predict(self, inputs):
        HangsUp.calls += 1
        if HangsUp.calls == 12 and pathlib.Path("hang_up").exists():  # mid-run, past a checkpoint
            pathlib.Path("hang_up").unlink()  # once: the resumed run goes on to its budget
            os.kill(os.getpid(), signal.SIGHUP)  # the terminal closed, the ssh connection dropped
        return super().predict(inputs)
"""


@pytest.mark.slow  # two runs, each in a process of its own (tests/test_cli.py: the stop alone)
def test_a_closed_terminal_stops_a_run_as_sigterm_does_and_it_resumes(tmp_path) -> None:
    """SIGHUP (a terminal closed, an ssh connection dropped) ended ``ffade fit`` on the spot:
    summary.json said ``running``, no line said where the run was. Now it stops as SIGTERM
    does (README, Resuming a run): exit 1, status ``interrupted``, the line that resumes it, and
    that command finishes the run."""
    import shlex

    from tests.helpers import fit_with_own_target, hangup_as_a_terminal_gives_it

    command, env = fit_with_own_target(tmp_path, HANGS_UP, "hangsup:HangsUp", budget=400)
    (tmp_path / "hang_up").touch()
    stopped = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=hangup_as_a_terminal_gives_it,  # not this process's SIGHUP state
    )
    run = tmp_path / "runs" / "test" / "version_0"
    assert stopped.returncode == 1, stopped.stderr[-2000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert 0 < summary["evaluations"] < 400
    said = stopped.stderr.strip().splitlines()[-1]
    prefix = f"ffade: interrupted; the run so far is in {run} (summary.json: status interrupted)"
    assert said.startswith(f"{prefix}; resume it with: ffade fit --config "), said
    resume = shlex.split(said.split("resume it with: ")[1])
    assert resume[:2] == ["ffade", "fit"]
    resumed = subprocess.run(
        [*command[:3], *resume[1:]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    again = json.loads((run.parent / "version_1" / "summary.json").read_text())
    assert again["status"] == "finished" and again["evaluations"] == 400


@pytest.mark.slow  # a run in a process of its own
def test_a_hangup_is_still_ignored_under_nohup(tmp_path) -> None:
    """``nohup ffade fit ...`` asks a closed terminal to change nothing: the run goes on."""
    from tests.helpers import fit_with_own_target

    command, env = fit_with_own_target(tmp_path, HANGS_UP, "hangsup:HangsUp", budget=400)
    (tmp_path / "hang_up").touch()
    ran = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # as nohup starts it
    )
    assert not (tmp_path / "hang_up").exists()  # the hangup came
    assert ran.returncode == 0, ran.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "test" / "version_0" / "summary.json").read_text())
    assert summary["status"] == "finished"


SIGINT_AFTER_MAIN = """
import os
import signal
import sys

import ffade.cli

sys.argv = ["ffade", "--version"]
status = ffade.cli.main()  # as the console script and python -m ffade call it
os.kill(os.getpid(), signal.SIGINT)  # a script's `kill -INT` as the finished command shuts down
print("went on to its end", flush=True)
sys.exit(7)
"""


def test_a_command_started_with_sigint_ignored_ignores_it_as_it_ends(tmp_path) -> None:
    """``ffade ... &`` in a script starts with SIGINT ignored and keeps ignoring it (README,
    Ctrl-C): once the command was over, ffade set its own SIGINT handler for the shutdown, and a
    ``kill -INT`` then cut the process's exit short, its atexit hooks unrun."""
    script = tmp_path / "sigint_after_main.py"
    script.write_text(SIGINT_AFTER_MAIN)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `cmd &` starts it
    )
    assert "went on to its end" in result.stdout, (result.returncode, result.stderr[-2000:])
    assert result.returncode == 7


PRESSES_CTRL_C = """
import os
import signal

from ffade_synthetic.target import SyntheticTarget


class PressesCtrlC(SyntheticTarget):
    calls = 0

    def __init__(self):
        super().__init__()
        os.kill(os.getpid(), signal.SIGINT)  # as the run loads its model: summary.json 'created'

    def predict(self, inputs):
        PressesCtrlC.calls += 1
        if PressesCtrlC.calls in (1, 12, 13):  # the first evaluation, then twice mid-run
            os.kill(os.getpid(), signal.SIGINT)
        return super().predict(inputs)
"""


@pytest.mark.slow  # a run in a process of its own
def test_a_run_started_with_sigint_ignored_runs_to_its_end(tmp_path) -> None:
    """README, Ctrl-C: ``ffade fit ... &`` in a script (or under nohup) starts with SIGINT
    ignored, and a ``kill -INT`` then changes nothing, at start-up as mid-run: the run finishes.
    Ctrl-C in a terminal is for the command in the foreground."""
    from tests.helpers import fit_with_own_target

    command, env = fit_with_own_target(tmp_path, PRESSES_CTRL_C, "presses:PressesCtrlC", budget=400)
    ran = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `cmd &` starts it
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "test" / "version_0" / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 400


FREEZE_COUNT_AT_THE_END = """
import atexit
import gc
import sys

atexit.register(lambda: print("frozen objects:", gc.get_freeze_count()))  # runs after main's
sys.argv = ["ffade", "--help"]
import ffade.cli

ffade.cli.main()
"""


def test_the_process_command_freezes_the_heap_before_python_tears_it_down(tmp_path) -> None:
    """``ffade fit`` went on 7 s after its last line on a busy two-core machine: Python's
    teardown ran its cycle collector over every object torch and Lightning made (1.6 s of CPU),
    not a writer left open. The process's last atexit hook freezes the heap, which those
    collections skip."""
    script = tmp_path / "end.py"
    script.write_text(FREEZE_COUNT_AT_THE_END)
    ended = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert ended.returncode == 0, ended.stderr[-2000:]
    frozen = int(ended.stdout.rsplit("frozen objects:", 1)[1])
    assert frozen > 0
