"""The fine-tune's check of the fine-tuner's output_kinds against the run's target's output_kind
(ffade.mitigate.kinds): ``ffade fit`` with a fine-tuner config, as ``ffade loop`` did already."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.mitigate import ClassifierFineTuner
from ffade.mitigate.kinds import check_fixes_kind
from ffade.plugin_api import Reward, Scores, Target, load_weights
from tests.mitigate.conftest import run_naming

HERE = "tests.mitigate.test_kinds"


class Level(Target):
    """A trainable target of a kind of its own: one number per digit image (a regression)."""

    output_kind = "level"
    path_arguments = ("weights",)

    def __init__(self, weights: str | None = None, device: str = "cpu") -> None:
        super().__init__(device)
        self.model = torch.nn.Linear(64, 1)
        if weights:
            load_weights(self.model, weights, "level")
        self.model.eval()

    def preprocess(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.reshape(len(inputs), -1).float()

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(self.preprocess(inputs)).squeeze(1)


class Far(Reward):
    """Failed when the number is more than 1 from the digit: scores any output kind."""

    def score(self, outputs, references, clean_outputs=None) -> Scores:
        error = (outputs.reshape(-1) - references.to(outputs.device).float()).abs()
        return Scores(metric=error, failed=error > 1, reward=torch.where(error > 1, error, -1.0))


def test_a_fine_tuner_for_another_kind_is_refused_naming_the_kind_and_where_to_write_one(
    digits_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A third party's trainable regression target given to the classifier fine-tuner: the
    classifier's look at its outputs said "needs a target whose outputs are class logits ... (a
    summarizer takes ..., a text-to-image model ...)", none of which fixes it. The set-up now
    compares the declared kinds, as ffade loop does, and says a fine-tuner of one's own is
    needed, and where the docs show how."""
    run = run_naming(digits_run, tmp_path, "target", f"{HERE}:Level")
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["reward"] = {"name": f"{HERE}:Far", "args": {}}
    (run / "summary.json").write_text(json.dumps(summary))
    config = {
        "seed_everything": 0,
        "model": {
            "class_path": "ffade.mitigate.ClassifierFineTuner",
            "init_args": {"run": str(run)},
        },
        "trainer": {"max_epochs": 1, "default_root_dir": str(tmp_path / "fix")},
    }
    (tmp_path / "fix.yaml").write_text(yaml.safe_dump(config))
    assert main(["fit", "--config", str(tmp_path / "fix.yaml")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "ffade: error: model.init_args.run: ClassifierFineTuner fixes targets that return a "
        f"classifier's class scores, but the run '{run}' searched target '{HERE}:Level', which "
        "returns output_kind 'level': give model.class_path a fine-tuner of your own for "
        "output_kind 'level', which no fine-tuner shipped with ffade fixes; to write a "
        "fine-tuner, see docs/plugins.md, Your own fine-tuner"
    ]


class _Images(Level):
    output_kind = "images"


class _Undeclared(Level):
    output_kind = None


def test_a_kind_a_shipped_fine_tuner_fixes_is_named_and_an_undeclared_one_passes() -> None:
    with pytest.raises(FfadeError) as error:
        check_fixes_kind(ClassifierFineTuner, _Images(), "t2i", Path("runs/x"))
    assert "which returns generated images: give model.class_path: " in str(error.value)
    assert "ffade_diffusion.mitigate.DiffusionLoRAFineTuner; to write" in str(error.value)
    check_fixes_kind(ClassifierFineTuner, _Undeclared(), "mine", Path("runs/x"))  # no error

    class Mine(ClassifierFineTuner):
        output_kinds = ("level",)

    check_fixes_kind(Mine, Level(), "level", Path("runs/x"))  # no error
