"""``ffade export`` and ``ffade check`` say the task's notes, as ``ffade fit`` does: they were
dropped, though a note (a split smaller than ``max_inputs``, text cut to the model's positions)
holds for the pairs they measure too."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest
import yaml
from ffade_synthetic.data import SyntheticDataset

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.gate.check import run_check
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
    # the command it gives makes that very file again, with regions: it dropped the feedback's
    # --threshold and its --out, and so answered other slices into another file
    answers = tmp_path / "my answers.yaml"
    options = ["--threshold", "1", "--out", str(answers)]
    assert (
        ffade_in_process("feedback", str(run), "--from", str(priorities), *options).returncode == 0
    )
    result = ffade_in_process(
        "export", str(run), "--feedback", str(answers), "--to", str(tmp_path / "s.yaml")
    )
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]  # the file quoted, as the command it gives
    assert line.startswith(f"ffade: error: '{answers}' holds no priorities, as the run "), line
    assert (
        f"; run `ffade feedback {run} --slices regions --threshold 1 --out '{answers}'` to "
        "prioritize its "
    ) in result.stderr.strip().splitlines()[-1]


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


NO_HELDOUT = (
    "so the suite holds discovery pairs only and cannot ask whether a fix generalizes to inputs "
    "no search saw"
)


def test_export_of_a_dataset_with_no_held_out_inputs_says_so(tmp_path: Path) -> None:
    """A dataset whose held-out split is empty (fractions [0.5, 0.5, 0]) made a suite of
    discovery pairs alone, and export said nothing of why it held no held-out data."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["dataset"]["args"]["fractions"] = [0.5, 0.5, 0.0]
    config.write_text(yaml.safe_dump(data))
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "test" / "version_0"
    suite = tmp_path / "s.yaml"
    export = ffade_in_process("export", str(run), "--slices", "regions", "--to", str(suite))
    assert export.returncode == 0, export.stderr[-2000:]
    assert (
        f"ffade: note: dataset 'synthetic' gives no inputs in split 'heldout', {NO_HELDOUT}; give "
        "the dataset held-out inputs (docs/plugins.md, Dataset)\n" in export.stderr
    ), export.stderr[-2000:]
    cases = yaml.safe_load(suite.read_text())["cases"]
    assert cases and all(set(case["pairs"]) == {"discovery"} for case in cases)


class CopiedHeldout(SyntheticDataset):
    """A third-party dataset's slip: its held-out split repeats its discovery inputs."""

    def split(self, name: str) -> list:
        pairs = super().split(name)
        return super().split("discovery")[: len(pairs)] if name == "heldout" else pairs


def test_export_with_every_held_out_input_left_out_says_none_is_left(tmp_path: Path) -> None:
    """Every held-out input a copy of a searched one: the note said how many were left out, but
    not that the suite then holds no held-out pair at all."""
    register("dataset", "copied_heldout", CopiedHeldout)
    try:
        spec = dict(synthetic_spec(), dataset={"name": "copied_heldout", "args": {}})
        discover(RandomExplorer(task=spec, budget=80, num_envs=8), tmp_path, seed=0)
        (run,) = tmp_path.glob("*/version_0")
        suite = tmp_path / "s.yaml"
        export = ffade_in_process("export", str(run), "--slices", "regions", "--to", str(suite))
    finally:
        unregister("dataset", "copied_heldout")
    assert export.returncode == 0, export.stderr[-2000:]
    size = len(CopiedHeldout().split("heldout"))
    assert (
        f"ffade: note: dataset 'copied_heldout': no held-out input is left (all {size} of its "
        f"held-out inputs are discovery or fine-tuning inputs too), {NO_HELDOUT}\n" in export.stderr
    ), export.stderr[-2000:]
    cases = yaml.safe_load(suite.read_text())["cases"]
    assert cases and all(not case["pairs"].get("heldout") for case in cases)


def test_a_suite_or_feedback_file_that_is_no_regular_file_is_not_called_missing(
    tmp_path: Path,
) -> None:
    """``--suite /dev/null`` or ``--feedback /dev/null`` (a device, a named pipe): "not found",
    for a path that is there."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"task": synthetic_spec()}))
    for command, what in (
        (["check", "--suite", os.devnull], f"--suite: suite file {os.devnull}"),
        (
            ["export", str(run), "--to", str(tmp_path / "s.yaml"), "--feedback", os.devnull],
            f"--feedback: feedback file {os.devnull}",
        ),
    ):
        result = ffade_in_process(*command)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"ffade: error: {what} is no regular file (a device or a pipe); give a YAML file\n"
        )


def test_each_case_is_measured_on_its_own_pairs(tmp_path: Path) -> None:
    """docs/gate.md: two rows of one count are not one case measured twice. Every case's
    measured counts, exported together, are those of its pairs checked in a suite of its own."""
    explorer = RandomExplorer(task=synthetic_spec(), budget=1500, num_envs=100)
    run = Path(discover(explorer, tmp_path, seed=0).recorder.run_dir)
    suite = tmp_path / "s.yaml"
    export = ["export", str(run), "--slices", "regions", "--pairs", "16", "--to", str(suite)]
    assert main(export) == 0
    data = yaml.safe_load(suite.read_text())
    cases = data["cases"]
    assert len(cases) >= 2
    for case in cases:
        alone = tmp_path / f"{case['name']}.yaml"
        alone.write_text(yaml.safe_dump(dict(data, cases=[case]), sort_keys=False))
        [result] = run_check(alone)
        assert result.measured() == case["measured"], case["name"]


def test_a_suite_of_another_format_version_is_named_so(tmp_path: Path, capsys) -> None:
    """`format: ffade-suite/2` (a newer ffade's suite) was called "not an ffade suite"."""
    suite = tmp_path / "s.yaml"
    suite.write_text("format: ffade-suite/2\ncases: []\n")
    assert main(["check", "--suite", str(suite)]) == 2
    err = capsys.readouterr().err
    assert "format 'ffade-suite/2' is not one this ffade reads" in err, err
    assert "reads 'format: ffade-suite/1'" in err, err
