"""The gate's promise on the digits loop: the suite fails the original CNN and passes the fix."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import ffade


@pytest.mark.slow  # the whole digits loop (configs/loop_digits.yaml): about two minutes
def test_the_suite_from_discovery_fails_the_original_and_passes_the_fixed_model(
    tmp_path: Path,
) -> None:
    loop = ffade(
        "loop", "--config", "configs/loop_digits.yaml", "--out", str(tmp_path), timeout=1500
    )
    assert loop.returncode == 0, loop.stdout[-3000:] + loop.stderr[-3000:]
    record = json.loads((tmp_path / "version_0" / "loop.json").read_text())
    suite = tmp_path / "suite.yaml"
    exported = ffade("export", record["discover"], "--to", str(suite))
    assert exported.returncode == 0, exported.stderr[-2000:]

    original = ffade("check", "--suite", str(suite), "--junit", str(tmp_path / "original.xml"))
    assert original.returncode == 1, original.stdout + original.stderr[-2000:]
    fixed = ffade(
        "check",
        "--suite",
        str(suite),
        "--target",
        record["mitigate"],
        "--junit",
        str(tmp_path / "fixed.xml"),
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr[-2000:]

    failed = ET.parse(tmp_path / "original.xml").getroot()
    passed = ET.parse(tmp_path / "fixed.xml").getroot()
    assert int(failed.get("failures")) >= 1 and passed.get("failures") == "0"
    assert failed.get("tests") == passed.get("tests") != "0"
