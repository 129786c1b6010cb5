from __future__ import annotations

import json
import re

import numpy as np

from ffade.record_lines import jsonable
from ffade.summarize.report import build_report
from ffade.summarize.report_json import report_json_text


def test_a_state_and_its_values_take_one_line_each(image_run, tmp_path) -> None:
    """report.json put every number of a state on a line of its own (27 MB on a 10^6 grid)."""
    out = tmp_path / "report"
    report = build_report(image_run, out=out, tensorboard=False)
    text = (out / "report.json").read_text()
    assert json.loads(text) == json.loads(json.dumps(report, default=jsonable))
    region = report["regions"][0]
    lines = [line.strip().rstrip(",") for line in text.splitlines()]
    assert json.dumps(region["states"][0]) in lines
    assert json.dumps(region["state_values"][0]) in lines
    assert not [line for line in lines if re.fullmatch(r"-?[0-9.e+-]+", line)]  # a bare number


def test_report_json_text_keeps_the_data_and_indents_containers() -> None:
    data = {
        "run": "r",
        "states": [[0, 1], [2, np.int64(3)]],
        "values": [{"a": 0.5, "b": "x"}],
        "empty": [],
        1: None,
        "nested": {"inner": [1.5, True]},
    }
    text = report_json_text(data)
    assert json.loads(text) == json.loads(json.dumps(data, default=jsonable))
    assert text == (
        "{\n"
        '  "run": "r",\n'
        '  "states": [\n    [0, 1],\n    [2, 3]\n  ],\n'
        '  "values": [\n    {"a": 0.5, "b": "x"}\n  ],\n'
        '  "empty": [],\n'
        '  "1": null,\n'
        '  "nested": {\n    "inner": [1.5, true]\n  }\n'
        "}\n"
    )
