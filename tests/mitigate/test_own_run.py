"""Fixing the failures of one's own run (not the digits quickstart's) with only what ``ffade
feedback`` prints and docs/mitigation.md shows: its closing line said ``ffade fit --config
MITIGATE.yaml ...``, and the only fine-tuner config shipped is the quickstart's."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from tests.helpers import REPO

SMALL = ["--model.init_args.max_finetune_inputs", "64", "--model.init_args.guard_pairs", "256"]
"""Fewer fine-tuning inputs and guard pairs than a real fine-tune: the same path, in seconds."""


def own_run(digits_run: Path, root: Path) -> Path:
    """A copy of a digits discovery run of one's own config, without its feedback.yaml."""
    run = root / "runs" / "mine" / "version_0"
    shutil.copytree(digits_run, run, ignore=shutil.ignore_patterns("feedback*", "checkpoints"))
    return run


def test_summary_json_says_what_the_target_returns(digits_run: Path) -> None:
    """README, summary.json: `output_kind`, which names the fine-tuner that fixes the run."""
    assert json.loads((digits_run / "summary.json").read_text())["output_kind"] == "class_scores"


@pytest.mark.slow  # a small fine-tune, about 10 s of CPU
def test_the_feedbacks_closing_command_fixes_ones_own_run_as_typed(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The line names the shipped fine-tuner for the run's target; run as printed (smaller), it
    judges a fix of this run and lands under ffade's default logger, as docs/mitigation.md says.

    It trains a classifier's ten epochs, as ``ffade.mitigate`` and configs/mitigate_digits.yaml
    do: typed bare, it trained the trainer's one (12 steps on the digits split), which took three
    digits CNNs' targeted failure rates only from 38.9% to 35.4% (ten epochs: 23.0%), ..."""
    monkeypatch.chdir(tmp_path)
    own_run(digits_run, tmp_path)
    priorities = str(REPO / "configs" / "feedback_digits.yaml")
    assert main(["feedback", "runs/mine/version_0", "--from", priorities, "--no-examples"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    said = "; fix them with its target's fine-tuner: "
    assert said in line, line
    command = line.split(said)[1]
    assert command == (
        "ffade fit --model ffade.mitigate.ClassifierFineTuner --model.init_args.run "
        "runs/mine/version_0 --trainer.max_epochs 10"
    )
    words = shlex.split(command)
    assert main([*words[1:], *SMALL]) == 0
    mitigation = json.loads((tmp_path / "runs/ffade/version_0/mitigation.json").read_text())
    assert mitigation["run"] == str(tmp_path / "runs/mine/version_0")
    assert mitigation["status"] in ("accepted", "rejected")
    assert mitigation["training"]["epochs"] == 10  # one batch of 64 inputs each


@pytest.mark.slow  # a small fine-tune, about 10 s of CPU
def test_the_docs_minimal_config_for_ones_own_run_fixes_it(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/mitigation.md, Fixing your own run: its config, as shown, names nothing but the run,
    where its fine-tunes go and how long they train (here one epoch of it)."""
    monkeypatch.chdir(tmp_path)
    run = own_run(digits_run, tmp_path)
    shutil.copy(digits_run / "feedback.yaml", run / "feedback.yaml")  # the answers, as saved
    doc = (REPO / "docs" / "mitigation.md").read_text()
    (block,) = re.findall(r"```yaml\n(# mitigate_mine\.yaml:.*?)```", doc, re.S)
    (tmp_path / "mitigate_mine.yaml").write_text(block)
    assert yaml.safe_load(block)["model"]["init_args"] == {"run": "runs/mine/version_0"}
    args = ["fit", "--config", "mitigate_mine.yaml", "--trainer.max_epochs", "1", *SMALL]
    assert main(args) == 0
    assert (tmp_path / "runs/mitigate_mine/version_0/mitigation.json").is_file()


@pytest.mark.slow  # two small fine-tunes, about 20 s of CPU
@pytest.mark.parametrize(("given", "epochs"), [([], 10), (["--trainer.max_epochs", "2"], 2)])
def test_a_bare_fine_tuner_command_trains_the_fine_tuners_own_epochs(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: list, epochs: int
) -> None:
    """Typed without ``--trainer.max_epochs`` (as docs or memory suggest), the command trained
    the trainer's default one epoch, an explorer's length, which fixes little; now it trains the
    fine-tuner's ten, as ``ffade.mitigate`` does, and records them. Epochs given still win."""
    monkeypatch.chdir(tmp_path)
    run = own_run(digits_run, tmp_path)
    shutil.copy(digits_run / "feedback.yaml", run / "feedback.yaml")  # the answers, as saved
    model = ["--model", "ffade.mitigate.ClassifierFineTuner", "--model.init_args.run", str(run)]
    assert main(["fit", *model, *SMALL, *given]) == 0
    fixed = tmp_path / "runs/ffade/version_0"
    mitigation = json.loads((fixed / "mitigation.json").read_text())
    assert mitigation["training"]["epochs"] == epochs  # one batch of 64 inputs each
    assert mitigation["stop_reason"] == f"trainer.max_epochs {epochs} trained ({epochs} steps)"
    assert json.loads((fixed / "summary.json").read_text())["epochs"] == epochs
    assert yaml.safe_load((fixed / "config.yaml").read_text())["trainer"]["max_epochs"] == epochs


def test_a_fine_tune_without_feedback_names_the_command_that_writes_it(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """With no feedback.yaml a fine-tuner fixes nothing unasked (no first rule at priority high):
    it stops in one line, which named `ffade feedback RUN_DIR`, a placeholder, for the run the
    command was given; and, for a `feedback` file elsewhere, a command that writes another file."""
    monkeypatch.chdir(tmp_path)
    own_run(digits_run, tmp_path)
    fit = ["fit", "--model", "ffade.mitigate.ClassifierFineTuner"]
    run = "runs/mine/version_0"
    for given, out in (([], ""), (["--model.init_args.feedback", "mine.yaml"], " --out mine.yaml")):
        assert main([*fit, "--model.init_args.run", run, *given]) == 2
        file = f"{run}/feedback.yaml" if not given else "mine.yaml"
        assert capsys.readouterr().err.strip().splitlines()[-1] == (
            f"ffade: error: feedback file {file} not found; make one with `ffade feedback "
            f"{run}{out}` (interactive) or `ffade feedback {run}{out} --from priorities.yaml`"
        )
    assert not (tmp_path / "runs" / "ffade").exists()


@pytest.mark.slow  # a small fine-tune, about 10 s of CPU
def test_a_fine_tune_of_the_inputs_unchanged_says_so_before_it_trains(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A feedback.yaml whose one prioritized slice is the neutral state alone (a person answered
    high after the review said what it is) is fine-tuned as asked, but it trains on the inputs
    unchanged, which no concept change explains: `ffade fit` says so on stderr (it said nothing)."""
    monkeypatch.chdir(tmp_path)
    run = own_run(digits_run, tmp_path)
    feedback = yaml.safe_load((digits_run / "feedback.yaml").read_text())
    concepts = json.loads((run / "summary.json").read_text())["concepts"]
    entry = next(e for e in feedback["regions"] if e["priority"] == "high")
    entry.pop("allowed", None)
    entry |= {"states": [[c["neutral_index"] for c in concepts]], "num_states": 1}
    feedback |= {"slices": "regions", "regions": [entry]}
    (run / "feedback.yaml").write_text(yaml.safe_dump(feedback, sort_keys=False))
    argv = ["fit", "--model", "ffade.mitigate.ClassifierFineTuner"]
    argv += ["--model.init_args.run", "runs/mine/version_0", "--trainer.max_epochs", "1", *SMALL]
    assert main(argv) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "neutral state" in line]
    assert notes == [
        f"ffade: note: runs/mine/version_0/feedback.yaml gives region {entry['id']} priority "
        "high, but it is the neutral state alone: its inputs fail unchanged, so a fine-tune on it "
        "would train on unchanged inputs, which no concept change explains"
    ]
