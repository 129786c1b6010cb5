"""A grid far past what arrays over the whole grid could hold is summarized from the states the
run visited: ``ffade report``, ``feedback`` and ``export`` used to refuse any grid past
20,000,000 states, however few of them the run evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from ffade.summarize import barycenter, load_landscape
from tests.helpers import ffade_in_process, synthetic_spec, write_config


@pytest.mark.slow  # about 20 s: a fit, a report, examples drawn, pairs evaluated
def test_a_hundred_million_state_grid_is_reported_ranked_and_exported(tmp_path: Path) -> None:
    """Eight synthetic axes of ten values (10^8 states) searched with 300 evaluations: the fit
    names its top rule, and report, feedback and export run as typed, on the visited states; the
    barycenter of its landscape (Python) is held on the grid states it covers."""
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=300)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"] = synthetic_spec(num_concepts=8)
    config.write_text(yaml.safe_dump(data))
    fit = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr[-2000:]
    assert "concept grid" not in fit.stderr  # no note that the run cannot be reported
    run = tmp_path / "runs" / "test" / "version_0"
    *_, top, last = fit.stdout.strip().splitlines()
    assert top.startswith("top failure rule: axis"), top
    assert last == f"next: ffade report {run}"

    report = ffade_in_process("report", str(run), cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-2000:]
    written = json.loads((run / "report.json").read_text())
    figures = written["run_figures"]
    assert figures["grid_states"] == 10**8
    assert 0 < figures["states_evaluated"] <= 300
    assert written["rules"]["rules"] and written["regions"]
    assert top.removeprefix("top failure rule: ") == written["rules"]["rules"][0]["description"]
    assert (run / "figures" / "failure_rate.png").is_file()
    # the run's average with itself, from Python: its own failures, on the visited states
    landscape = load_landscape(run)
    average = barycenter([landscape, landscape])
    failed = landscape.visited[landscape.visited_failures > 0]
    np.testing.assert_array_equal(average.grid_states, failed)
    assert average.grid_state_mass.sum() == pytest.approx(1.0)

    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions: [{rank: 1, priority: high}]\ndefault: skip\n")
    feedback = ffade_in_process("feedback", str(run), "--from", str(priorities), cwd=tmp_path)
    assert feedback.returncode == 0, feedback.stderr[-2000:]
    saved = yaml.safe_load((run / "feedback.yaml").read_text())
    assert saved["regions"][0]["id"] == written["rules"]["rules"][0]["id"]

    suite = tmp_path / "suite.yaml"
    export = ffade_in_process(
        "export",
        str(run),
        "--to",
        str(suite),
        "--feedback",
        str(run / "feedback.yaml"),
        cwd=tmp_path,
    )
    assert export.returncode == 0, export.stderr[-2000:]
    cases = yaml.safe_load(suite.read_text())["cases"]
    assert cases[0]["name"] == written["rules"]["rules"][0]["id"]
