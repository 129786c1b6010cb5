"""An exception out of a plugin's call names the plugin and the call (docs/plugins.md)."""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

import pytest
from ffade_synthetic.concept import Axis

import ffade
from ffade.blame import blamed, failure_reason
from ffade.errors import ConceptValueError, FfadeError, PluginError
from tests.helpers import synthetic_spec


class TooFar(Axis):
    """A concept whose ``apply`` refuses every value with a one-line error of its own."""

    def apply(self, inputs: dict, value: float) -> dict:
        raise ConceptValueError(f"position {value} is past the inputs' edge")


def test_a_one_line_error_out_of_apply_before_the_search_names_the_concept_and_value(
    tmp_path: Path,
) -> None:
    """The pre-search check showed the concept's own line alone ("ffade: error: position 0.111
    is past the inputs' edge"): which concept, at which value, was left to guess. Like the
    check's other refusals, it leaves no run directory."""
    task = synthetic_spec()
    task["concepts"][2] = {"name": TooFar, "args": {"index": 2, "label": "far"}}
    with pytest.raises(ConceptValueError) as error:
        ffade.discover(task=task, explorer="random", budget=4, save_dir=tmp_path / "runs")
    assert str(error.value) == (
        "concept 'far': apply(inputs, 0.111): position 0.111 is past the inputs' edge"
    )
    assert not (tmp_path / "runs").exists()


def test_a_line_that_names_the_plugin_stays_and_other_exceptions_get_a_note() -> None:
    with pytest.raises(PluginError) as error, blamed("target 'mine': predict()"):
        raise PluginError("target 'mine': predict returned 3 outputs")
    assert str(error.value) == "target 'mine': predict returned 3 outputs"
    with pytest.raises(KeyError) as raised, blamed("target 'mine': predict()"):
        raise KeyError("image")
    assert raised.value.__notes__ == [
        "ffade: raised by target 'mine': predict(), in the plugin's own code (docs/plugins.md)"
    ]
    with pytest.raises(FfadeError) as error, blamed("reward 'r': score()"):
        raise FfadeError("no references")
    assert str(error.value) == "reward 'r': score(): no references"


class Unreachable(Axis):
    """A concept whose constructor fails on a bug of its own, not on a bad argument."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("weights server down")


def test_an_exception_out_of_a_constructor_keeps_its_traceback_and_names_the_plugin(
    tmp_path: Path,
) -> None:
    """A RuntimeError out of __init__ ended with the plugin's own line and nothing in ffade's
    words: predict, score and apply name their plugin in a note, a constructor did not."""
    task = synthetic_spec()
    task["concepts"][2] = {"name": Unreachable, "args": {"index": 2, "label": "far"}}
    with pytest.raises(RuntimeError) as raised:
        ffade.discover(task=task, explorer="random", budget=4, save_dir=tmp_path / "runs")
    assert raised.value.__notes__[0] == (
        "ffade: raised by concept 'far': __init__(), in the plugin's own code (docs/plugins.md)"
    )


def test_a_run_a_plugin_crashed_at_setup_says_why_in_its_summary(tmp_path: Path) -> None:
    """The crash leaves the run's folder with status failed; its summary.json did not say why,
    only the traceback did. Its ``error`` is now the one line: type, message, and which plugin."""
    task = synthetic_spec()
    task["concepts"][2] = {"name": Unreachable, "args": {"index": 2, "label": "far"}}
    with pytest.raises(RuntimeError):
        ffade.discover(task=task, explorer="random", budget=4, save_dir=tmp_path / "runs")
    (written,) = (tmp_path / "runs").rglob("summary.json")
    summary = json.loads(written.read_text())
    assert summary["status"] == "failed"
    assert summary["error"] == (
        "RuntimeError: weights server down (raised by concept 'far': __init__())"
    )


def test_a_failure_reason_is_one_line_even_without_a_message_or_a_plugin() -> None:
    assert failure_reason(RuntimeError()) == "RuntimeError"
    assert failure_reason(ValueError("bad\nC++ stack")) == "ValueError: bad"


class PastHalf(Axis):
    """A concept whose ``apply`` crashes past the middle of its grid: the pre-search check tries
    only its first value, so the crash comes in the search."""

    def apply(self, inputs: dict, value: float) -> dict:
        if value > 0.5:
            raise RuntimeError("past the middle")
        return super().apply(inputs, value)


class PastHalfEach(PastHalf):
    """The same crash out of a concept's own ``apply_each``."""

    def apply_each(self, inputs: dict, values: list) -> dict:
        if any(value > 0.5 for value in values):
            raise RuntimeError("past the middle")
        return super().apply_each(inputs, values)


@pytest.mark.parametrize(
    ("concept", "call"),
    [(PastHalf, r"apply\(inputs, 0\.\d+\)"), (PastHalfEach, r"apply_each\(inputs, \[.*\]\)")],
)
def test_a_run_whose_concept_crashes_mid_search_names_the_concept_in_its_summary(
    tmp_path: Path, concept: type, call: str
) -> None:
    """The pre-search check's apply was blamed, the search's was not: a concept crashing on a
    later value left summary.json's ``error`` as 'RuntimeError: past the middle', naming no
    plugin, where the README says it names the plugin and call its own code raised in."""
    task = synthetic_spec()
    task["concepts"][2] = {"name": concept, "args": {"index": 2, "label": "far"}}
    with pytest.raises(RuntimeError) as raised:
        ffade.discover(task=task, explorer="random", budget=200, save_dir=tmp_path / "runs")
    notes = [n for n in raised.value.__notes__ if n.startswith("ffade: raised by")]
    assert len(notes) == 1  # the innermost call only, said once
    (written,) = (tmp_path / "runs").rglob("summary.json")
    summary = json.loads(written.read_text())
    assert summary["status"] == "failed"
    assert re.fullmatch(
        rf"RuntimeError: past the middle \(raised by concept 'far': {call}\)", summary["error"]
    ), summary["error"]


def test_a_full_disk_is_kept_naming_the_file_written_not_its_tmp() -> None:
    error = OSError(errno.ENOSPC, "No space left on device", "/runs/x/checkpoints/last.ckpt.tmp")
    said = "OSError: /runs/x/checkpoints/last.ckpt: no space left on device"
    assert failure_reason(error) == said
