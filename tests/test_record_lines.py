"""evaluations.jsonl is JSON Lines that strict parsers read: no NaN or Infinity on any line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from ffade.record_lines import EvaluationEncoder, EvaluationRecord, LineReader, record_line
from ffade.records import RunRecorder, read_evaluations
from tests.helpers import ffade_in_process, write_config


def _strict(line: str) -> dict:
    """json.loads as jq, JavaScript or Go read JSON: NaN, Infinity and -Infinity are refused."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(line, parse_constant=refuse)


def test_a_score_that_is_no_finite_number_is_logged_as_null_and_read_back_as_nan(
    tmp_path: Path,
) -> None:
    encoder = EvaluationEncoder([("axis0", [0.0, 0.5])])
    encoded = list(
        encoder.lines(1, [0, 1], [[1], [0]], [math.nan, -math.inf], [1.0, math.inf], [False] * 2)
    )
    record = EvaluationRecord(1, 2, [1], {"axis0": 0.5}, math.nan, math.inf, False, True)
    lines = [*encoded, record_line(record)]
    assert [(_strict(line)["metric"], _strict(line)["reward"]) for line in lines] == [
        (None, 1.0),
        (None, None),
        (None, None),
    ]
    recorder = RunRecorder(tmp_path)
    recorder.append_lines(lines)
    recorder.close()
    damaged: list[str] = []
    read = list(read_evaluations(tmp_path, damaged))
    assert damaged == []
    assert [math.isnan(r.metric) for r in read] == [True, True, True]
    assert [r.reward for r in read[:1]] == [1.0] and all(math.isnan(r.reward) for r in read[1:])


def test_a_log_written_with_nan_by_an_older_ffade_still_reads(tmp_path: Path) -> None:
    (tmp_path / "evaluations.jsonl").write_text(
        '{"step": 1, "input_id": 0, "state": [0], "concepts": {"a": 0}, "metric": NaN, '
        '"reward": -1.0, "failed": false, "invalid": true}\n'
    )
    (record,) = read_evaluations(tmp_path)
    assert record.invalid and math.isnan(record.metric)


def test_a_run_whose_target_scores_nan_writes_a_strict_json_log(tmp_path: Path) -> None:
    """README: an evaluation scored NaN is logged with ``"invalid": true``; every line of the log
    is still JSON (Python's json.dumps wrote ``"metric": NaN``, which jq and browsers refuse)."""
    config = write_config(tmp_path / "c.yaml", budget=120)
    data = yaml.safe_load(config.read_text())
    predict = {"name": "callable", "args": {"predict": "tests.api.callables:nan_far_out"}}
    data["model"]["init_args"]["task"]["target"] = predict
    config.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    run = next(tmp_path.glob("runs/*/version_0"))
    records = [_strict(line) for line in (run / "evaluations.jsonl").read_text().splitlines()]
    invalid = [r for r in records if r.get("invalid")]
    summary = _strict((run / "summary.json").read_text())
    assert len(invalid) == summary["invalid"] > 0
    assert {r["metric"] for r in invalid} == {None}
    report = ffade_in_process("report", str(run), cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-2000:]
    assert _strict((run / "report.json").read_text())["run_figures"]["invalid"] == len(invalid)


_LINE = (
    '{"step": 3, "input_id": 7, "state": [1, 0], "concepts": {"blur": 0.5, "hue_shift": -0.0}, '
    '"metric": -0.25, "reward": 3.5, "failed": true}'
)
_ODD_LINES = [
    _LINE + "\n",
    _LINE,  # the last line, no newline
    " " + _LINE + "\n",  # whitespace json.loads allows
    _LINE + "  \r\n",
    _LINE.replace('"metric": -0.25', '"metric": NaN'),  # Python's json reads NaN
    _LINE.replace('"reward": 3.5', '"reward": null') + "\n",
    _LINE.replace("}}", '}, "invalid": true}') + "\n",
    '{"step": 1, "step": 3, ' + _LINE[1:],  # a key twice: the last one stands
    _LINE + " x\n",  # text after the object
    _LINE[:-9] + "\n",  # cut short
    "[1, 2]\n",
    '{"step": 1}\n',
    "{}\n",
    "\n",
    '{"a": 1e999}\n',
]


@pytest.mark.parametrize("text", _ODD_LINES)
def test_line_reader_reads_every_line_as_json_loads_does(text: str) -> None:
    """The fast path (the C scanner alone) returns what EvaluationRecord(**json.loads(line))
    does, or refuses the line as it does, on the lines it takes and on those it leaves (an empty
    line or a record's missing key is refused in words of its own: ``RecordShapeError``)."""
    try:
        expected: object = EvaluationRecord(**json.loads(text))
    except (json.JSONDecodeError, TypeError):
        expected = "refused"
    try:
        got: object = LineReader().record(text)
    except (json.JSONDecodeError, TypeError):
        got = "refused"
    assert repr(got) == repr(expected)  # repr: NaN == NaN, -0.0 told from 0.0


def test_line_reader_keeps_one_copy_of_each_concept_label() -> None:
    """A report keeps every record of the log: each label is one string, not one per line."""
    reader = LineReader()
    first, second = reader.record(_LINE + "\n"), reader.record(_LINE.replace("0.5", "1.0"))
    assert first.concepts == {"blur": 0.5, "hue_shift": -0.0} and second.concepts["blur"] == 1.0
    assert [id(k) for k in first.concepts] == [id(k) for k in second.concepts]


def test_json_files_ffade_writes_hold_null_for_numbers_that_are_not_finite(tmp_path) -> None:
    """summary.json, examples.json, mitigation.json and loop.json go through write_json_atomic:
    a NaN or infinity there, Python's float, numpy's or torch's, is null, as in the log."""
    import numpy as np
    import torch

    from ffade.records import write_json_atomic

    path = tmp_path / "x.json"
    data = {"a": np.float32("nan"), "b": [float("inf"), torch.tensor(-float("inf"))], "c": 0.5}
    write_json_atomic(path, {**data, "d": (np.int64(3), np.array([1.0, np.nan]), True)})

    def refuse(token: str) -> None:
        raise ValueError(token)

    read = json.loads(path.read_text(), parse_constant=refuse)
    assert read == {"a": None, "b": [None, None], "c": 0.5, "d": [3, [1.0, None], True]}
