"""configs/text_classification.yaml: the tiny sentiment model's failures under text edits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from ffade_text.datasets.classification import TinySentimentDataset

from ffade.cli import main
from ffade.feedback.pictures import PICTURES_DIR, RegionPictures
from ffade.feedback.priorities import load_regions
from tests.helpers import REPO, ffade_in_process


def run(tmp_path: Path, **init_args) -> dict:
    config = yaml.safe_load((REPO / "configs" / "text_classification.yaml").read_text())
    config["model"]["init_args"].update(init_args)
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["fit", "--config", str(path)]) == 0
    run_dir = tmp_path / "runs" / "text_classification" / "version_0"
    return json.loads((run_dir / "summary.json").read_text())


@pytest.mark.slow  # 10-20 s with the model load: CI runs it in its slow step
def test_small_budget_finds_label_flips(tmp_path: Path) -> None:
    summary = run(tmp_path, budget=64, learning_starts=16, num_envs=16)
    assert summary["status"] == "finished" and summary["evaluations"] == 64
    assert summary["task"]["target"]["name"] == "hf_pipeline"
    assert summary["failures"] > 0


@pytest.mark.slow  # 10-20 s with the model load: CI runs it in its slow step
def test_feedback_on_a_text_run_writes_its_examples_out(tmp_path: Path) -> None:
    """A text target draws no picture: a person ranking "misspell = 1" saw no example at all.
    The region's worst failures are written out instead, each changed review as the model got
    it, under its caption."""
    run(tmp_path, budget=64, learning_starts=16, num_envs=16)
    run_dir = tmp_path / "runs" / "text_classification" / "version_0"
    region = max(load_regions(run_dir, slices="regions")[1], key=lambda r: r.failures)
    path = RegionPictures(run_dir, count=2).save(region)
    assert path == run_dir / PICTURES_DIR / f"{region.id}.md"
    text = path.read_text()
    assert text.startswith(f"# {region.id}: {region.description}\n")
    captions = re.findall(r"^\d\. input \d+ \(label (?:negative|positive)\): .*; \w+=", text, re.M)
    assert 1 <= len(captions) <= 2, text
    reviews = dict(TinySentimentDataset().split("discovery"))
    quoted = [line[2:] for line in text.splitlines() if line.startswith("> ")]
    assert len(quoted) == len(captions)
    assert all(review not in reviews for review in quoted)  # changed, not the clean review


@pytest.mark.slow  # the committed budget: about 35 s of discovery on two idle CPU cores
def test_committed_config_finds_failures(tmp_path: Path) -> None:
    summary = run(tmp_path)
    assert summary["evaluations"] == 1000 and summary["gradient_updates"] > 0
    assert summary["failing_concept_states"] >= 20
    assert main(["report", str(tmp_path / "runs" / "text_classification" / "version_0")]) == 0


def test_a_label_the_model_lacks_is_one_stderr_line(tmp_path: Path) -> None:
    # the model loads before its labels are checked: transformers' "Loading weights" bar came
    # first, and the README's one line of error was two
    config = str(REPO / "configs" / "text_classification.yaml")
    labels = "--model.init_args.task.target.args.labels=[neg, pos]"
    result = ffade_in_process("fit", "--config", config, labels, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "ffade: error: target 'hf_pipeline': model.init_args.task.target.args.labels: 'neg' is "
        "not one of the model's labels (negative, positive)"
    ]


def test_a_model_with_fewer_labels_than_classes_is_refused_before_the_search(
    tmp_path: Path,
) -> None:
    """A 3-class dataset on the 2-label model was refused only at the first evaluation, by the
    reward, after the run directory and the search had started."""
    data = tmp_path / "three.jsonl"
    names = ["negative", "positive", "neutral"]
    reviews = TinySentimentDataset().split("discovery")[:30]  # texts the concepts can edit
    rows = [{"text": text, "label": names[i % 3]} for i, (text, _) in enumerate(reviews)]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = str(REPO / "configs" / "text_classification.yaml")
    dataset = (
        f"--model.init_args.task.dataset={{name: text_classification, args: {{path: {data}}}}}"
    )
    result = ffade_in_process(
        "fit", "--config", config, dataset, "--model.init_args.task.max_inputs=6", cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ffade: error: target 'hf_pipeline': the data")
    assert "labels ['negative', 'positive'] score 2 classes" in lines[0]
    assert not (tmp_path / "runs").exists()  # refused before any run directory or search
    news = (
        "--model.init_args.task.dataset={name: tiny_news}"  # references are summaries, not classes
    )
    result = ffade_in_process("fit", "--config", config, news, cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "needs class indices as references" in result.stderr
