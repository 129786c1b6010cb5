"""A plugin's own path arguments (a target's ``weights``, ...) are recorded absolute, as ffade's
own paths are: config.yaml kept ``weights: w/digits_cnn.pt`` as typed, so the interrupted line's
resume command, run from any other directory, stopped at "weights file 'w/digits_cnn.pt' does
not exist"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from ffade.same_run import check_same_run
from ffade.task import absolute_plugin_paths
from tests.helpers import REPO, ffade_in_process, synthetic_spec

WEIGHTS = REPO / "plugins" / "vision" / "ffade_vision" / "checkpoints" / "digits_cnn.pt"


def _digits_spec(weights: str) -> dict:
    return {
        "target": {"name": "digits_cnn", "args": {"weights": weights}},
        "dataset": {"name": "digits", "args": {"seed": 0}},
        "reward": {"name": "misclassification"},
        "concepts": [{"name": "rotation", "args": {"values": [-10, 0, 10]}}],
    }


def test_a_declared_path_that_exists_is_made_absolute_and_names_stay(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "w").mkdir()
    shutil.copy(WEIGHTS, tmp_path / "w" / "digits_cnn.pt")
    monkeypatch.chdir(tmp_path)
    spec = _digits_spec("w/digits_cnn.pt")
    changed = absolute_plugin_paths(spec)
    absolute = str((tmp_path / "w" / "digits_cnn.pt").resolve())
    assert spec["target"]["args"]["weights"] == absolute
    assert changed == {("target", "args", "weights"): absolute}
    for name in ("bundled", "w/missing.pt"):  # a weights name, a file not there: as given
        spec = _digits_spec(name)
        assert absolute_plugin_paths(spec) == {} and spec["target"]["args"]["weights"] == name
    spec = synthetic_spec()  # declares no paths; an unknown plugin is build_task's to refuse
    spec["reward"] = {"name": "no_such_reward", "args": {"weights": "w"}}
    assert absolute_plugin_paths(spec) == {} and spec["reward"]["args"]["weights"] == "w"


def test_a_run_saved_with_a_relative_weights_path_resumes_from_where_it_ran(
    tmp_path: Path, monkeypatch
) -> None:
    """A checkpoint written before paths were recorded absolute holds ``w/digits_cnn.pt``; its
    config, read now, says the absolute path: the same file, so the resume is not refused."""
    (tmp_path / "w").mkdir()
    shutil.copy(WEIGHTS, tmp_path / "w" / "digits_cnn.pt")
    monkeypatch.chdir(tmp_path)

    class Model:
        def __init__(self) -> None:
            self.hparams = {"task": _digits_spec(str((tmp_path / "w" / "digits_cnn.pt").resolve()))}

    check_same_run({"task": _digits_spec("w/digits_cnn.pt")}, Model(), "--ckpt_path x")


def test_a_runs_target_weights_are_found_when_it_resumes_from_another_directory(
    tmp_path: Path,
) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    (work / "w").mkdir(parents=True)
    elsewhere.mkdir()
    shutil.copy(WEIGHTS, work / "w" / "digits_cnn.pt")
    absolute = str((work / "w" / "digits_cnn.pt").resolve())
    args = ("--config", str(REPO / "configs" / "quickstart.yaml"), "--model.init_args.budget")
    stopped = ffade_in_process(
        "fit",
        *args,
        "400",
        "--model.init_args.task.target.args.weights",
        "w/digits_cnn.pt",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "runs"),
        "--trainer.max_steps",
        "3",
        cwd=work,
    )
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    run = tmp_path / "runs" / "quickstart" / "version_0"
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["model"]["init_args"]["task"]["target"]["args"]["weights"] == absolute
    hparams = yaml.safe_load((run / "hparams.yaml").read_text())  # Lightning's logger's copy
    assert hparams["task"]["target"]["args"]["weights"] == absolute
    summary = json.loads((run / "summary.json").read_text())
    assert summary["task"]["target"]["args"]["weights"] == absolute
    assert summary["evaluations"] < 400
    command = stopped.stdout.split("continue it: ffade ")[1].splitlines()[0].split()
    assert command[:5] == ["fit", "--config", str(run / "config.yaml"), "--ckpt_path", str(run)]
    resumed = ffade_in_process(*command, cwd=elsewhere)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    again = json.loads((run.parent / "version_1" / "summary.json").read_text())
    assert again["status"] == "finished" and again["evaluations"] == 400


@pytest.mark.slow
def test_every_missing_data_file_says_where_a_relative_path_was_read(tmp_path: Path) -> None:
    """A plugin's missing data file (a dataset's, a ratings file) said only the path as typed
    ("path 'data/news.jsonl' does not exist"), where a missing weights file said where it was
    read: a path in a config is read from where the command was typed, not beside the config,
    and the user was left to guess which folder was looked in. Each now says it alike."""
    vision = REPO / "plugins" / "vision" / "ffade_vision"
    key = "model.init_args.task"
    cases = [  # (config, what is set, to what, the line's start)
        ("text_quickstart", "dataset", "{name: summaries, args: {path: data/news.jsonl}}",
         f"dataset 'summaries': {key}.dataset.args.path 'data/news.jsonl'"),
        ("text_classification", "dataset",
         "{name: text_classification, args: {path: sent.csv}}",
         f"dataset 'text_classification': {key}.dataset.args.path 'sent.csv'"),
        ("t2i_quickstart", "dataset", "{name: prompts, args: {path: p.jsonl}}",
         f"dataset 'prompts': {key}.dataset.args.path 'p.jsonl'"),
        ("t2i_quickstart", "reward", "{name: human, args: {ratings_file: r.jsonl}}",
         f"reward 'human': {key}.reward.args.ratings_file 'r.jsonl'"),
        ("quickstart", "dataset", "{name: image_folder, args: {root: photos}}",
         f"dataset 'image_folder': {key}.dataset.args.root 'photos'"),
        ("quickstart", "dataset",
         f"{{name: image_folder, args: {{root: {vision}, classes: names.txt}}}}",
         f"dataset 'image_folder': {key}.dataset.args.classes file 'names.txt'"),
    ]  # fmt: skip
    for config, part, value, start in cases:
        result = ffade_in_process(
            "fit",
            "--config",
            str(REPO / "configs" / f"{config}.yaml"),
            f"--{key}.{part}",
            value,
            cwd=tmp_path,
        )
        typed = start.rpartition(" ")[2].strip("'")
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr.startswith(
            f"ffade: error: {start} does not exist (read as {tmp_path / typed})"
        ), result.stderr
        assert len(result.stderr.splitlines()) == 1
