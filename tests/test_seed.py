"""``seed_everything: true`` draws a seed, which the run records, so its config.yaml repeats it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from tests.helpers import write_config


def _run(path: Path) -> tuple[int, int, list[str]]:
    """The seed config.yaml and summary.json record, and the evaluations logged (timings aside)."""
    recorded = yaml.safe_load((path / "config.yaml").read_text())["seed_everything"]
    seed = json.loads((path / "summary.json").read_text())["seed"]
    return recorded, seed, (path / "evaluations.jsonl").read_text().splitlines()


def test_seed_true_draws_a_seed_the_run_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lightning's help says ``true`` uses a random seed, but it seeded every such run with 0
    (warning "No seed found, seed set to 0"), so two runs asked to differ were the same run."""
    monkeypatch.delenv("PL_GLOBAL_SEED", raising=False)
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=32)
    assert main(["fit", "--config", str(config), "--seed_everything", "true"]) == 0
    drawn = _run(tmp_path / "runs" / "test" / "version_0")
    assert "No seed found" not in capsys.readouterr().err
    assert type(drawn[0]) is int and drawn[0] == drawn[1] != 0, drawn[:2]  # 0: 1 in 2^32
    assert main(["fit", "--config", str(tmp_path / "runs/test/version_0/config.yaml")]) == 0
    assert _run(tmp_path / "runs" / "test" / "version_1") == drawn  # the rerun repeats it
