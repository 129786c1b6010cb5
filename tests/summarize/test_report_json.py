from __future__ import annotations

import json
import re

import numpy as np

from ffade.record_lines import jsonable
from ffade.summarize.report import build_report
from ffade.summarize.report_json import report_json_text
from tests.helpers import REPO, ffade_in_process


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


def test_every_key_of_compare_mitigation_is_documented(image_run, tmp_path) -> None:
    """docs/report.md named compare.mitigation's keys only as "mitigation.json's ``_before``,
    ``_after`` and ``_change`` keys": ``targeted_failure_rate_relative_change`` (a relative
    change, no duplicate of an after − before) and ``targeted_change`` (a paired test's mapping,
    no number) sat there unexplained. Every key a classifier's mitigation.json brings is named."""
    record = {
        "status": "accepted",
        "accepted": True,
        "reason": "clean accuracy kept",
        "clean_metric": "accuracy",
        "stop_reason": "trainer.max_epochs 1 trained (2 steps)",
        "stopped_early": False,
        "clean_accuracy_before": 0.9,
        "targeted_failure_rate_before": 0.8,
        "untargeted_failure_rate_before": 0.1,
        "clean_accuracy_after": 0.89,
        "targeted_failure_rate_after": 0.2,
        "untargeted_failure_rate_after": 0.12,
        "clean_accuracy_change": -0.01,
        "targeted_failure_rate_relative_change": -0.75,
        "targeted_change": {"pairs": 10, "outcome": "clear fall"},
        "untargeted_failure_rate_change": 0.02,
        "clean_tolerance": 0.02,
        "regions": [],
        "untargeted_by_value": {},
    }
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    out = tmp_path / "out"
    argv = ["report", str(image_run), "--compare", str(image_run), "--no-tensorboard"]
    argv += ["--mitigation", str(tmp_path / "mitigation.json"), "--out", str(out)]
    assert ffade_in_process(*argv).returncode == 0
    shown = json.loads((out / "report.json").read_text())["compare"]["mitigation"]
    doc = (REPO / "docs" / "report.md").read_text()
    described = doc.split("its `run_figures`, `mitigation` (", 1)[1].split("\n`compares`", 1)[0]
    assert set(shown) > {"targeted_change", "targeted_failure_rate_relative_change"}
    assert [key for key in shown if f"`{key}`" not in described] == []
