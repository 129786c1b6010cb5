"""The plan: a run and its feedback become targeted states with weights, or one clear error."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from ffade import registry
from ffade.errors import FfadeError
from ffade.feedback import read_feedback
from ffade.mitigate.plan import check_trainable, make_plan
from ffade.plugin_api import Target
from ffade.records import read_summary
from tests.helpers import REPO, ffade_in_process


@pytest.fixture
def run(digits_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(digits_run, copy, ignore=shutil.ignore_patterns("checkpoints", "events*"))
    return copy


def rewrite_feedback(run: Path, change) -> Path:
    path = run / "feedback.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))  # concepts keep grid order
    return path


def test_targets_the_prioritized_regions_states(run: Path) -> None:
    plan = make_plan(run)
    feedback = read_feedback(run / "feedback.yaml")
    high = [r for r in feedback.regions if r.priority == "high"]
    assert [r.id for r in plan.regions] == [r.id for r in high]
    assert plan.states.tolist() == high[0].states
    assert np.isclose(plan.weights.sum(), 1.0)
    assert plan.task_spec.get("split", "discovery") == "discovery"


def test_regions_are_drawn_by_priority_whatever_their_size(run: Path) -> None:
    def two_regions(data: dict) -> None:
        data["regions"][0]["priority"] = "high"
        data["regions"][1]["priority"] = "low"

    rewrite_feedback(run, two_regions)
    plan = make_plan(run)
    assert len(plan.regions) == 2
    assert np.allclose(plan.weights, drawn_by_region(plan.state_regions, [0.75, 0.25]))
    half = make_plan(run, priority_weights={"low": 3.0})
    assert np.allclose(half.weights, drawn_by_region(half.state_regions, [0.5, 0.5]))


def drawn_by_region(members: np.ndarray, region_odds: list[float]) -> np.ndarray:
    """Each state's chance when a region is drawn with ``region_odds``, then one of its member
    states uniformly (a state two regions share, through either)."""
    return (members / members.sum(0) * np.asarray(region_odds)).sum(1)


@pytest.mark.parametrize(("slices", "noun"), [("rules", "rule"), ("regions", "region")])
def test_nothing_to_fix_is_an_error_naming_the_slices_ranked(
    run: Path, slices: str, noun: str
) -> None:
    """Feedback ranking rules said "no region has priority ..." all the same."""

    def skip_all(data: dict) -> None:
        data["slices"] = slices
        for entry in data["regions"]:
            entry["priority"] = "skip"

    rewrite_feedback(run, skip_all)
    with pytest.raises(FfadeError, match=f"feedback.yaml: no {noun} has priority high, medium"):
        make_plan(run)


def test_a_relative_run_not_there_says_where_it_was_read(tmp_path: Path) -> None:
    """configs/mitigate_digits.yaml typed from another folder than the quickstart's: "run:
    'runs/quickstart/version_0' does not exist" left the user to guess which folder was looked
    in (the working directory, not the config's, as the README says); it says so now."""
    config = REPO / "configs" / "mitigate_digits.yaml"
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        "ffade: error: model.init_args.run: runs/quickstart/version_0 does not exist (read as "
        f"{tmp_path / 'runs' / 'quickstart' / 'version_0'}); run the discovery first, or give "
        "the discovery run whose failures to fix"
    )


def test_a_run_not_made_yet_is_named_as_missing(tmp_path: Path) -> None:
    # `ffade fit --config configs/mitigate_digits.yaml` before the quickstart it fixes ran
    with pytest.raises(FfadeError, match=r"run: .*version_0 does not exist; run the discovery"):
        make_plan(tmp_path / "runs" / "quickstart" / "version_0")
    (tmp_path / "file").write_text("")
    with pytest.raises(FfadeError, match=r"run: .*file is not a run directory"):
        make_plan(tmp_path / "file")


def test_a_run_behind_a_broken_link_names_the_link(tmp_path: Path) -> None:
    """It said "does not exist; run the discovery first" of a run that is there, on a disk not
    mounted: the cause is the link."""
    (tmp_path / "runs").symlink_to(tmp_path / "unmounted")
    run = tmp_path / "runs" / "version_0"
    with pytest.raises(FfadeError) as error:
        make_plan(run)
    assert str(error.value) == (
        f"model.init_args.run: {run}: {tmp_path / 'runs'} is a symbolic link to "
        f"{tmp_path / 'unmounted'}, which does not exist"
    )


def test_a_run_typed_with_backslashes_names_the_one_meant(tmp_path: Path) -> None:
    """``--model.init_args.run 'runs\\x\\version_0'`` (Windows' separators, quoted) said only
    "does not exist; run the discovery first" of a run that is there once written with /."""
    (tmp_path / "runs" / "version_0").mkdir(parents=True)
    typed = Path(f"{tmp_path}\\runs\\version_0")
    with pytest.raises(FfadeError) as error:
        make_plan(typed)
    assert str(error.value) == (
        f"model.init_args.run: {shlex.quote(str(typed))} does not exist (paths here are written "
        "with /, not \\: "
        f"{shlex.quote(str(tmp_path / 'runs' / 'version_0'))} exists); run the discovery first, "
        "or give the discovery run whose failures to fix"
    )


def test_missing_feedback_says_how_to_make_it(run: Path) -> None:
    (run / "feedback.yaml").unlink()
    with pytest.raises(FfadeError, match=r"feedback file .* not found; make one with"):
        make_plan(run)


def test_feedback_of_another_grid_is_refused(run: Path) -> None:
    doubled = lambda d: d["concepts"].update(rotation=[2 * v for v in d["concepts"]["rotation"]])  # noqa: E731
    rewrite_feedback(run, doubled)
    with pytest.raises(FfadeError, match="are not the grid of run") as error:
        make_plan(run)
    rotation = read_summary(run)["concepts"][0]
    assert rotation["label"] == "rotation"  # only the concept that differs is shown
    assert f"(rotation: {[2 * v for v in rotation['values']]} in the feedback, " in str(error.value)
    assert "brightness" not in str(error.value)


def test_feedback_ranking_another_run_is_refused(run: Path, digits_run: Path, tmp_path) -> None:
    """The copy's grid is the same, so only the file's own run says it ranks other failures; a
    run's own file (this copy's, though it records the original) and a file saved elsewhere for
    this run are accepted."""
    with pytest.raises(FfadeError, match=r"ranks the failures of run .*, not of model.init_args"):
        make_plan(run, digits_run / "feedback.yaml")
    assert make_plan(run).feedback.run == str(digits_run)  # copied with the run: its own
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text((run / "feedback.yaml").read_text().replace(str(digits_run), str(run)))
    assert make_plan(run, elsewhere).feedback_path == elsewhere


def test_only_runs_that_searched_discovery_can_be_fixed(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["split"] = "heldout"
    (run / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(FfadeError, match="searched split 'heldout'"):
        make_plan(run)


def test_a_fine_tunes_run_directory_is_named_as_one(run: Path) -> None:
    """A fine-tune's summary.json (its task on the finetune split) is no run to fix."""
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["split"] = "finetune"
    summary.update(finetuner="classifier", run="runs/quickstart/version_0")
    (run / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(FfadeError) as error:
        make_plan(run)
    assert str(error.value) == (
        f"model.init_args.run: {run} is a fine-tune's run directory, not a discovery run: give "
        "the run it fixed (runs/quickstart/version_0), or a discovery run of the fixed model to "
        "fix it again"
    )


def test_a_fine_tune_of_a_run_that_did_not_finish_says_so_as_report_does(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ffade report``, ``feedback`` and ``export`` say a run still running (or killed) did not
    finish; a fine-tune of it trained on the failures found so far and said nothing."""
    from ffade.cli import main

    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
    note = (
        f"ffade: note: {run} did not finish: its summary.json status is 'running' (still "
        "running, or killed); its figures cover the evaluations made so far"
    )
    assert main(["report", str(run), "--out", str(tmp_path / "report")]) == 0
    assert note in capsys.readouterr().err.splitlines()  # the words report says it in
    args = ["fit", "--config", str(REPO / "configs" / "mitigate_digits.yaml")]
    args += ["--model.init_args.run", str(run), "--trainer.max_epochs", "1"]
    args += ["--model.init_args.max_finetune_inputs", "64", "--model.init_args.guard_pairs", "256"]
    args += ["--trainer.enable_progress_bar", "false"]
    code = main([*args, "--trainer.logger.init_args.save_dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 0, err[-2000:]
    assert err.splitlines().count(note) == 1, err[-2000:]
    assert make_plan(run).notes == [note.removeprefix("ffade: note: ")]
    (run / "summary.json").write_text(json.dumps(summary))  # finished: nothing to say
    assert summary["status"] == "finished" and make_plan(run).notes == []


def test_unknown_priority_weight_is_refused(run: Path) -> None:
    with pytest.raises(FfadeError, match="unknown priority 'urgent'"):
        make_plan(run, priority_weights={"urgent": 5.0})


@pytest.mark.parametrize("weight", [float("inf"), float("nan"), -1.0, "3"])
def test_a_priority_weight_must_be_a_finite_number_from_0(run: Path, weight: object) -> None:
    """An infinite weight passed, and the fine-tune crashed on its first batch drawing states
    with NaN odds (numpy: 'Probabilities contain NaN'), a traceback and a failed run."""
    with pytest.raises(FfadeError) as error:
        make_plan(run, priority_weights={"high": weight})
    assert str(error.value) == (
        f"model.init_args.priority_weights.high must be a finite number >= 0, got {weight!r}"
    )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "{high:0}",  # YAML reads it as the string '{high:0}'
            "expected dict, got {high:0} (YAML reads a colon with no space after it as part of "
            "a word: give {high: 0})",
        ),
        ("[3, 2, 1]", "expected dict, got [3, 2, 1]; give {priority: weight}, such as "),
    ],
)
def test_priority_weights_not_typed_as_a_mapping_name_the_form_to_give(
    typed: str, said: str
) -> None:
    """``{high:0}`` on the command line was told only "expected dict, got {high:0}", which looks
    like the dict it asked for: the missing space after the colon is what to fix."""
    config = REPO / "configs" / "mitigate_digits.yaml"
    result = ffade_in_process(
        "fit", "--config", str(config), "--model.init_args.priority_weights", typed
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ffade: error: model.init_args.priority_weights: {said}")


def test_weights_that_drop_every_prioritized_region_name_priority_weights(run: Path) -> None:
    """The feedback prioritizes regions; a zero weight for each of their priorities is the
    config's mistake, so the error names priority_weights, not the feedback file."""
    used = {r.priority for r in read_feedback(run / "feedback.yaml").prioritized}
    with pytest.raises(FfadeError) as error:
        make_plan(run, priority_weights=dict.fromkeys(used, 0.0))
    said = str(error.value)
    assert said.startswith("model.init_args.priority_weights gives weight 0 to every priority")
    assert "so no rule would be trained on" in said  # the feedback ranks rules
    assert all(priority in said for priority in used) and "\n" not in said


def test_targets_without_a_trainable_model_are_refused() -> None:
    target = registry.create("target", "synthetic")
    said = "target 'synthetic' cannot be fine-tuned: it has no 'model' and no 'preprocess"
    with pytest.raises(FfadeError, match=said):
        check_trainable(target, "synthetic")


class _Linear(Target):
    """A trainable target with a ``weights`` argument (one never given here)."""

    output_kind = "class_scores"

    def __init__(self, weights: str | None = None, device: str = "cpu") -> None:
        super().__init__(device)
        self.model = torch.nn.Linear(2, 2).eval()

    def preprocess(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.float()

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(self.preprocess(inputs))


class _HandsOn(_Linear):
    """Takes ``weights`` through ``**kwargs``, handing them to its parent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class _NoWeights(_Linear):
    """Takes no ``weights``: a fixed model could not be loaded into it."""

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device=device)


@pytest.mark.parametrize(
    ("cls", "refused"), [(_Linear, False), (_HandsOn, False), (_NoWeights, True)]
)
def test_a_target_taking_weights_through_kwargs_is_trainable(cls: type, refused: bool) -> None:
    """A constructor with ``**kwargs`` can be given ``weights`` (registry.create passes it on);
    it was refused as taking no 'weights' argument, as one that truly takes none still is."""
    registry.register("target", "own_linear", cls)
    try:
        target = registry.create("target", "own_linear", {"weights": None} if not refused else {})
        if not refused:
            check_trainable(target, "own_linear")
            return
        said = "target 'own_linear' cannot load fine-tuned weights: its constructor takes no "
        with pytest.raises(FfadeError, match=said):
            check_trainable(target, "own_linear")
    finally:
        registry.unregister("target", "own_linear")


def test_a_rule_claims_every_state_it_allows_not_only_those_evaluated(run: Path) -> None:
    """feedback.yaml keeps each rule's allowed indices; the plan trains on the evaluated states
    but claims the rule's whole range, which the guard's untargeted pairs then stay out of."""
    plan = make_plan(run)
    rule = plan.regions[0]
    assert rule.allowed is not None and len(rule.allowed) == len(plan.feedback.concepts)
    in_range = np.array(np.meshgrid(*rule.allowed, indexing="ij")).reshape(len(rule.allowed), -1).T
    assert len(in_range) > len(rule.states)  # the search left some of its states unevaluated
    assert plan.claimed.contains(in_range).all()
    assert plan.claimed.count() == len(in_range)


def test_a_rules_allowed_indices_are_checked(run: Path) -> None:
    rewrite_feedback(run, lambda d: d["regions"][0].update(allowed=[[0]]))
    with pytest.raises(FfadeError, match=r"regions\[0\]: 'allowed' must be one non-empty list"):
        make_plan(run)
    # a file written before 'allowed' existed claims the evaluated states, as it trained on
    rewrite_feedback(run, lambda d: [r.pop("allowed", None) for r in d["regions"]])
    plan = make_plan(run)
    assert plan.claimed.count() == len(plan.states)


def test_a_state_two_regions_share_is_drawn_through_either(run: Path) -> None:
    """A high-priority rule inside an earlier low-priority one (`gaussian_blur >= 1.5` high
    after `gaussian_blur >= 2` low) gave their shared states the low weight, so the file's order
    decided what the person's priorities trained on, and the rule's guard rate left them out."""
    feedback = read_feedback(run / "feedback.yaml")
    inner, outer = (feedback.regions[0].states, feedback.regions[1].states)
    shared = [s for s in inner if s not in outer][:2]  # 2 states of region 0, given to both

    def nested(data: dict) -> None:
        data["regions"][0]["priority"] = "low"
        data["regions"][0]["states"] = shared
        data["regions"][1]["priority"] = "high"
        data["regions"][1]["states"] = shared + outer

    rewrite_feedback(run, nested)
    plan = make_plan(run)
    weight = {tuple(s): w for s, w in zip(plan.states.tolist(), plan.weights, strict=True)}
    high, low = 3 / 4 / (2 + len(outer)), 1 / 4 / 2  # each region's share of its own states
    assert len(plan.states) == 2 + len(outer)  # each state once
    assert np.allclose([weight[tuple(s)] for s in shared], high + low)
    assert np.allclose([weight[tuple(s)] for s in outer], high)
    assert plan.state_regions.sum(0).tolist() == [2, 2 + len(outer)]


def test_a_resume_of_other_priorities_counts_one_state_as_one(run: Path) -> None:
    """Seen as "now R-3323de55: 1 targeted states" when a text run's feedback was redone."""
    plan = make_plan(run)
    saved = plan.trained_on()
    one = {"regions": ["R-00000000"], "states": saved["states"][:1], "weights": [1.0]}
    with pytest.raises(FfadeError) as refused:
        plan.check_resumes(one)
    assert "R-00000000: 1 targeted state;" in str(refused.value)
    assert f"{len(saved['states'])} targeted states)" in str(refused.value)
