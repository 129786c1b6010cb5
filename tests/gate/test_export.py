"""``ffade export`` and ``ffade check`` say the task's notes, as ``ffade fit`` does: they were
dropped, though a note (a split smaller than ``max_inputs``, text cut to the model's positions)
holds for the pairs they measure too."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.registry import register, unregister
from tests.gate.test_gate import NanSynthetic
from tests.helpers import ffade_in_process, synthetic_spec, write_config

NOTE = "task.max_inputs is 1000, but split 'discovery' of dataset 'synthetic' has 8 inputs"


def notes(stderr: str) -> list[str]:
    return [
        line for line in stderr.splitlines() if line.startswith("ffade: note: ") and NOTE in line
    ]


def test_export_and_check_say_the_tasks_notes_once(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["max_inputs"] = 1000  # the split holds fewer: a note
    config.write_text(yaml.safe_dump(data))
    fit = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr[-2000:]
    assert len(notes(fit.stderr)) == 1, fit.stderr[-2000:]  # what the others now say as fit did
    run = tmp_path / "runs" / "test" / "version_0"
    suite = tmp_path / "s.yaml"
    export = ffade_in_process("export", str(run), "--slices", "regions", "--to", str(suite))
    assert export.returncode == 0, export.stderr[-2000:]
    assert len(notes(export.stderr)) == 1, export.stderr[-2000:]
    check = ffade_in_process("check", "--suite", str(suite))
    assert check.returncode == 1, check.stderr[-2000:]  # the target is unfixed: cases fail
    assert len(notes(check.stderr)) == 1, check.stderr[-2000:]


def test_export_of_a_run_with_nothing_to_review_says_why(tmp_path: Path) -> None:
    """feedback.yaml with no priorities because the run had nothing to review: export said the
    file "gives none of the run's rules a priority", as if there were rules to answer."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "test" / "version_0"
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions: []\n")
    for options, why in (
        (
            ["--threshold", "1"],
            "no failure rule has enough evidence to name (at a threshold of 1 none can",
        ),
        (
            ["--threshold", "1", "--slices", "regions", "--min-evaluations", "1000"],
            "no concept state fails by the feedback's threshold 1 and min evaluations 1000",
        ),
    ):
        saved = ffade_in_process(
            "feedback", str(run), "--from", str(priorities), "--redo", *options
        )
        assert saved.returncode == 0 and "nothing to review: " in saved.stdout, saved.stderr
        slices = options[options.index("--slices") + 1] if "--slices" in options else "rules"
        result = ffade_in_process(
            "export", str(run), "--slices", slices, "--to", str(tmp_path / "s.yaml")
        )
        line = result.stderr.strip().splitlines()[-1]
        assert result.returncode == 2, result.stderr[-2000:]
        assert line.startswith(
            f"ffade: error: {run / 'feedback.yaml'} holds no priorities, as the run had nothing "
            f"to review: {why}"
        ), line
        assert line.endswith("; nothing to guard"), line
        assert not (tmp_path / "s.yaml").exists()


def test_export_of_a_run_with_no_failure_says_no_threshold_finds_one(tmp_path: Path) -> None:
    """A run that made no evaluation (a stop_when that held at once) was told "a lower
    --threshold or --min-evaluations finds slices of rarer or less evaluated failures": there
    are none to find at any threshold."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["stop_when"] = "estimated_remaining < 100000"
    config.write_text(yaml.safe_dump(data))
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "test" / "version_0"
    for slices in ("rules", "regions"):
        result = ffade_in_process(
            "export", str(run), "--slices", slices, "--to", str(tmp_path / "s.yaml")
        )
        assert result.returncode == 2, result.stderr[-2000:]
        line = result.stderr.strip().splitlines()[-1]
        assert line == (
            f"ffade: error: {run} has no failure to guard: it made no evaluation; search longer "
            "(a larger budget, another seed) or export a run that found failures"
        ), line
        assert not (tmp_path / "s.yaml").exists()


def test_export_of_a_run_whose_evaluations_were_all_invalid_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every answer NaN (a diverged model): no landscape holds an invalid evaluation, so the
    run read as one that "made no evaluation"; it made 32, none of them a pass or a failure."""
    register("target", "nan_synthetic", NanSynthetic)
    try:
        spec = dict(synthetic_spec(), target={"name": "nan_synthetic", "args": {"regions": []}})
        # the search stops once its first evaluations all come back NaN; its run is kept
        with warnings.catch_warnings(), pytest.raises(FfadeError, match="no valid score"):
            warnings.simplefilter("ignore")  # the search's warning about the NaN answers
            discover(RandomExplorer(task=spec, budget=40, num_envs=8), tmp_path, seed=0)
        (run_dir,) = tmp_path.glob("*/version_0")
        code = main(["export", str(run_dir), "--to", str(tmp_path / "s.yaml")])
    finally:
        unregister("target", "nan_synthetic")
    assert code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(
        f"ffade: error: {run_dir} has no failure to guard: all 32 of its evaluations were "
        "invalid (a NaN score: neither a pass nor a failure); search longer"
    ), line
