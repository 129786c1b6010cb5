"""ffade.discover and ffade.mitigate as a notebook cell shows them (ffade/api/notebook.py).

A notebook prints the whole traceback of what a cell raised, and a kernel has no terminal: its
``sys.stderr`` is ipykernel's stream. These tests make the same conditions without a kernel:
the exception a call raises is looked at as the cell would print it, and a kernel's modules are
stood in for in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
import torch

import ffade
from tests.helpers import synthetic_spec

MISTAKES = {
    "trainer": ({"trainer": {"max_epochs": "x"}}, "trainer.max_epochs: expected int, got x"),
    "concept": (
        {"concepts": ["axs"]},
        "task.concepts[0].name: unknown concept 'axs' (did you mean 'axis'?)",
    ),
    "budget": ({"budget": -5}, "budget must be at least 1, got -5"),
}


def _as_a_cell_shows_it(error: BaseException) -> tuple[list[str], str]:
    """The files of the traceback's frames, and the whole text a notebook prints."""
    files = [frame.filename for frame in traceback.extract_tb(error.__traceback__)]
    return files, "".join(traceback.format_exception(error))


def _only_the_call(files: list[str], text: str) -> None:
    """This test's frame, then the API's (``ffade.mitigate``, the callable module, hands the call
    on): no jsonargparse, Lightning or ffade insides, and no chained exception ("The above
    exception was the direct cause ...")."""
    api = ("ffade/api/generators.py", "ffade/mitigate/__init__.py")
    assert files[0] == __file__ and len(files) <= 3, files
    assert all(name.endswith(api) for name in files[1:]), files
    assert "The above exception" not in text and "During handling" not in text, text


@pytest.mark.parametrize("mistake", MISTAKES, ids=list(MISTAKES))
def test_a_mistake_is_raised_from_the_call_not_from_inside_it(tmp_path: Path, mistake: str) -> None:
    """A mistake's FfadeError came through 20 to 41 frames (jsonargparse's error chained to it,
    for the trainer's): screens of ffade's and Lightning's code above its one line."""
    given, line = MISTAKES[mistake]
    task = {**synthetic_spec(), **{k: v for k, v in given.items() if k == "concepts"}}
    rest = {k: v for k, v in given.items() if k != "concepts"}
    call = {"task": task, "explorer": "random", "budget": 16, "save_dir": tmp_path, **rest}
    with pytest.raises(ffade.FfadeError) as raised:
        ffade.discover(**call)
    assert str(raised.value).startswith(line)
    _only_the_call(*_as_a_cell_shows_it(raised.value))


def test_a_mitigate_mistake_is_raised_from_the_call(tmp_path: Path) -> None:
    with pytest.raises(ffade.FfadeError, match="run"):
        ffade.mitigate(tmp_path)  # a folder with none of a run's files
    try:
        ffade.mitigate(tmp_path)
    except ffade.FfadeError as error:
        _only_the_call(*_as_a_cell_shows_it(error))


def test_an_error_of_the_callers_own_target_keeps_its_whole_traceback(tmp_path: Path) -> None:
    """Not ffade's one line but the caller's bug: where it happened is what they need."""

    def predict(batch: dict) -> torch.Tensor:
        raise ZeroDivisionError("the caller's own bug")

    with pytest.raises(ZeroDivisionError) as raised:
        ffade.discover(
            task=synthetic_spec(), target=predict, explorer="random", budget=16, save_dir=tmp_path
        )
    assert traceback.extract_tb(raised.value.__traceback__)[-1].name == "predict"


def test_ctrl_c_raises_keyboard_interrupt_from_the_call(tmp_path: Path) -> None:
    """The kernel's interrupt: the run's own line says where it stopped; the cell's
    KeyboardInterrupt came out of Lightning's loop, a screen of its frames under that line."""
    batches = 0

    def predict(batch: dict) -> torch.Tensor:
        nonlocal batches
        batches += 1
        if batches == 20:
            raise KeyboardInterrupt
        return 0.7 - batch["coords"][:, 0]

    with pytest.raises(KeyboardInterrupt) as raised:
        ffade.discover(
            task=synthetic_spec(), target=predict, explorer="random", budget=10_000,
            num_envs=4, save_dir=tmp_path,
        )  # fmt: skip
    _only_the_call(*_as_a_cell_shows_it(raised.value))
    run = ffade.Run(tmp_path / "ffade" / "version_0")
    assert run.summary["status"] == "interrupted"


KERNEL_WITHOUT_IPYWIDGETS = """
import sys, types
shell = type("ZMQInteractiveShell", (), {})()
sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
sys.modules["IPython"] = types.SimpleNamespace(get_ipython=lambda: shell)
sys.modules["ipywidgets"] = None  # not installed: tqdm.auto warns
sys.path[:0] = sys.argv[2:]
from tests.helpers import synthetic_spec
import ffade
run = ffade.discover(task=synthetic_spec(), explorer="random", budget=16, save_dir=sys.argv[1])
print(run.summary["evaluations"])
"""


@pytest.mark.slow
def test_no_ipywidgets_warning_in_a_kernel_without_ipywidgets(tmp_path: Path) -> None:
    """tqdm.auto, which Lightning's import of torchmetrics imports through transformers, said
    "TqdmWarning: IProgress not found. Please update jupyter and ipywidgets" under the first
    run's cell; ffade's bars are plain tqdm's and need no widgets. The kernel is stood in for as
    tqdm.autonotebook looks for it; stderr is a pipe (not a terminal), as in a kernel."""
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-c", KERNEL_WITHOUT_IPYWIDGETS, str(tmp_path), root],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONWARNINGS": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "16"
    assert "IProgress" not in done.stderr and "Warning" not in done.stderr, done.stderr
