"""Fine-tuners leave out the inputs a dataset's splits share, compared by content."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from ffade_vision.datasets.digits import DigitsDataset

from ffade import registry
from ffade.errors import FfadeError
from tests.helpers import REPO, ffade_in_process
from tests.mitigate.conftest import fine_tune, run_naming


class LeakyDigits(DigitsDataset):
    """A dataset plugin's mistakes: fine-tuning repeats discovery images, held-out repeats both."""

    def split(self, name: str) -> list:
        pairs = super().split(name)
        if name == "finetune":
            return super().split("discovery")[:3] + pairs[3:]
        if name == "heldout":
            return super().split("discovery")[3:5] + super().split("finetune")[3:8] + pairs[7:]
        return pairs


def test_a_fine_tune_leaves_out_what_the_splits_share_and_says_so(
    digits_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry.register("dataset", "leaky_digits", LeakyDigits)
    try:
        tuner = fine_tune(
            run_naming(digits_run, tmp_path, "dataset", "leaky_digits"), tmp_path / "out"
        )
    finally:
        registry.unregister("dataset", "leaky_digits")
    dataset = DigitsDataset()
    finetune, heldout = dataset.split("finetune")[3:64], dataset.split("heldout")[7:]
    for kept, expected in ((tuner.task.inputs, finetune), (tuner.heldout.inputs, heldout)):
        assert len(kept) == len(expected)
        assert all(torch.equal(a[0], b[0]) for a, b in zip(kept, expected, strict=True))
    notes = [line for line in capsys.readouterr().err.splitlines() if "left out" in line]
    assert notes == [
        "ffade: note: dataset 'leaky_digits': 3 of 64 fine-tuning inputs are identical to "
        "discovery inputs and are left out; a dataset's splits must not share an input "
        "(docs/plugins.md, Dataset)",
        "ffade: note: dataset 'leaky_digits': 7 of 359 held-out inputs are identical to "
        "discovery or fine-tuning inputs and are left out; a dataset's splits must not share an "
        "input (docs/plugins.md, Dataset)",
    ]
    # mitigation.json keeps what the notes said: the counts trained and judged on, and left out
    record = json.loads((tuner.run_dir / "mitigation.json").read_text())
    assert (record["training"]["inputs"], record["training"]["left_out"]) == (61, 3)
    assert (record["guard"]["inputs"], record["guard"]["left_out"]) == (352, 7)


class OneSplitDigits(DigitsDataset):
    """The worst mistake: ``split`` ignores its name."""

    def split(self, name: str) -> list:
        return super().split("discovery")


def test_a_dataset_with_one_split_for_all_three_is_one_error_line(
    digits_run: Path, tmp_path: Path
) -> None:
    run = run_naming(digits_run, tmp_path, "dataset", "leaky_digits")
    registry.register("dataset", "leaky_digits", OneSplitDigits)
    try:
        with pytest.raises(FfadeError) as error:  # the run searched these 32 discovery inputs
            fine_tune(run, tmp_path / "out", max_finetune_inputs=32)
    finally:
        registry.unregister("dataset", "leaky_digits")
    assert str(error.value) == (
        "dataset 'leaky_digits': every fine-tuning input is also a discovery input; a "
        "dataset's splits must not share an input (docs/plugins.md, Dataset)"
    )


def test_only_the_inputs_the_search_saw_are_kept_apart(digits_run: Path, tmp_path: Path) -> None:
    """Discovery inputs past the run's ``max_inputs`` were never searched: training on copies of
    them leaks nothing, and the fine-tuner need not read (decode) the whole split to know it."""
    run = run_naming(digits_run, tmp_path, "dataset", "leaky_digits")
    registry.register("dataset", "leaky_digits", OneSplitDigits)
    try:
        tuner = fine_tune(run, tmp_path / "out", max_finetune_inputs=40)
    finally:
        registry.unregister("dataset", "leaky_digits")
    expected = DigitsDataset().split("discovery")[32:40]
    assert len(tuner.task.inputs) == len(expected)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(tuner.task.inputs, expected, strict=True))


class HeldOutCopies(DigitsDataset):
    """Held-out inputs that are all copies of inputs the search saw."""

    def split(self, name: str) -> list:
        return super().split("discovery")[:8] if name == "heldout" else super().split(name)


def test_held_out_inputs_that_are_all_copies_are_one_error_line(
    digits_run: Path, tmp_path: Path
) -> None:
    """Every held-out input left out as a copy read "has no heldout inputs to guard", as if the
    split were empty: the line says they were all copies."""
    run = run_naming(digits_run, tmp_path, "dataset", "copied_digits")
    registry.register("dataset", "copied_digits", HeldOutCopies)
    try:
        with pytest.raises(FfadeError) as error:
            fine_tune(run, tmp_path / "out")
    finally:
        registry.unregister("dataset", "copied_digits")
    assert str(error.value) == (
        "dataset 'copied_digits': every held-out input is also a discovery or fine-tuning input, "
        "so none is left to judge the fix on; a dataset's splits must not share an input "
        "(docs/plugins.md, Dataset)"
    )


def test_a_run_whose_dataset_has_no_heldout_split_is_one_line_and_leaves_no_run(
    digits_run: Path, tmp_path: Path
) -> None:
    """A digits run searched with ``fractions: [0.4, 0.6, 0.0]``: nothing to judge a fix on."""
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["dataset"]["args"]["fractions"] = [0.4, 0.6, 0.0]
    (run / "summary.json").write_text(json.dumps(summary))
    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run",
        str(run),
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "fixes"),
    )
    assert result.returncode == 2
    assert result.stderr == (
        "ffade: error: dataset 'digits' has no inputs in split 'heldout', on which a fine-tune "
        "judges its fix; give the dataset held-out inputs (docs/plugins.md, Dataset)\n"
    )
    assert not list((tmp_path / "fixes").rglob("*.json"))


class ReshuffledDigits(DigitsDataset):
    """The run's data as it is after the run: the same arguments now give other splits (as a
    photo added to an ``image_folder`` reshuffles every split of it)."""

    def __init__(self, seed: int = 0, **args) -> None:
        super().__init__(seed + 1, **args)


def test_a_dataset_that_no_longer_gives_the_searched_inputs_is_one_error_line(
    digits_run: Path, tmp_path: Path
) -> None:
    """Compared with the inputs the dataset gives now, searched inputs that moved to the
    fine-tuning or held-out split went unseen: the fix was trained and judged on them."""
    summary = json.loads((digits_run / "summary.json").read_text())
    assert len(summary["inputs_digest"]) == 32  # the run recorded the inputs it searched
    searched = DigitsDataset().split("discovery")[:32]
    now = ReshuffledDigits()
    moved = [a for a, _ in searched for b, _ in now.split("finetune") if torch.equal(a, b)]
    assert moved  # without the check, these searched digits would be trained on
    run = run_naming(digits_run, tmp_path, "dataset", "reshuffled_digits")
    registry.register("dataset", "reshuffled_digits", ReshuffledDigits)
    try:
        with pytest.raises(FfadeError) as error:
            fine_tune(run, tmp_path / "out")
    finally:
        registry.unregister("dataset", "reshuffled_digits")
    assert str(error.value) == (
        "dataset 'reshuffled_digits' no longer gives the discovery inputs the run searched (its "
        "files were added, removed or changed since, or its splits draw on more than its "
        "arguments), so the fine-tuning and held-out inputs cannot be kept apart from them; run "
        "the discovery again on the data as it is now"
    )


def test_export_of_a_run_whose_dataset_changed_since_is_one_error_line(
    digits_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A suite's discovery pairs are the run's searched inputs; sampled from other inputs, its
    failure rates measured inputs the search never saw, and its held-out pairs could be some."""
    from ffade.cli import main

    run = run_naming(digits_run, tmp_path, "dataset", "reshuffled_digits")
    registry.register("dataset", "reshuffled_digits", ReshuffledDigits)
    try:
        code = main(["export", str(run), "--to", str(tmp_path / "suite.yaml"), "--pairs", "4"])
    finally:
        registry.unregister("dataset", "reshuffled_digits")
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(
        "ffade: error: dataset 'reshuffled_digits' no longer gives the discovery inputs the run "
        "searched"
    )
    assert not (tmp_path / "suite.yaml").exists()


def test_check_of_a_suite_whose_dataset_changed_since_is_one_error_line(
    digits_run: Path, tmp_path: Path
) -> None:
    """A suite's pairs index the run's searched inputs by position: on data changed since its
    export, ``ffade check`` judged other pairs than export measured (its thresholds were theirs),
    and its held-out pairs could be inputs the search saw, with a verdict all the same."""
    suite = tmp_path / "suite.yaml"
    exported = ffade_in_process("export", str(digits_run), "--to", str(suite), "--pairs", "4")
    assert exported.returncode == 0, exported.stderr
    summary = json.loads((digits_run / "summary.json").read_text())
    assert yaml.safe_load(suite.read_text())["source"]["inputs_digest"] == summary["inputs_digest"]
    same = ffade_in_process("check", "--suite", str(suite))
    assert same.returncode in (0, 1), same.stderr  # the data as exported: a verdict
    changed = tmp_path / "changed.yaml"
    changed.write_text(suite.read_text().replace("name: digits\n", "name: reshuffled_digits\n", 1))
    registry.register("dataset", "reshuffled_digits", ReshuffledDigits)
    try:
        result = ffade_in_process("check", "--suite", str(changed))
    finally:
        registry.unregister("dataset", "reshuffled_digits")
    assert result.returncode == 2
    assert result.stderr == (
        f"ffade: error: {changed}: dataset 'reshuffled_digits' no longer gives the discovery "
        "inputs the run searched (its files were added, removed or changed since, or its splits "
        "draw on more than its arguments), so the suite's pairs would be other inputs than those "
        "it was exported with; export the suite again from a run on the data as it is now\n"
    )
