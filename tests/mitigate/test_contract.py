"""The fine-tune's check of the fine-tuner's output_kinds against the run's target's output_kind
(ffade.mitigate.contract): ``ffade fit`` with a fine-tuner config, as ``ffade loop`` did already."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.mitigate import ClassifierFineTuner
from ffade.mitigate.contract import check_fixes_kind, checked_loss
from ffade.plugin_api import Reward, Scores, Target, load_weights
from tests.mitigate.conftest import SMALL, run_naming

HERE = "tests.mitigate.test_contract"


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


class LossAlone(ClassifierFineTuner):
    """A fine-tuner of one's own whose training_loss forgot the metrics."""

    def training_loss(self, batch):
        return super().training_loss(batch)[0]


def test_a_training_loss_without_its_metrics_is_one_line_naming_the_fine_tuner(
    digits_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Returning the loss alone crashed in the unpacking, with torch's "TypeError: iteration
    over a 0-d tensor" under Lightning's traceback; now one line says what to return."""
    init_args = {"run": str(digits_run), **SMALL}
    config = {
        "seed_everything": 0,
        "model": {"class_path": f"{HERE}.LossAlone", "init_args": init_args},
        "trainer": {"max_epochs": 1, "default_root_dir": str(tmp_path / "fix")},
    }
    (tmp_path / "fix.yaml").write_text(yaml.safe_dump(config))
    assert main(["fit", "--config", str(tmp_path / "fix.yaml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"ffade: error: fine-tuner {HERE}.LossAlone: training_loss(batch) returned a tensor of "
        "shape (); return (loss, metrics): a one-number tensor with gradients and a dict of "
        "numbers to log ({} for none) (docs/plugins.md, Your own fine-tuner)"
    )


@pytest.mark.parametrize(
    ("returned", "says"),
    [
        ((torch.ones(3, requires_grad=True), {}), "a loss that is a tensor of shape (3,), not one"),
        ((1.5, {}), "a loss that is a float, not one number"),
        ((torch.tensor(1.0), {}), "a loss with no gradient (made under torch.no_grad()"),
        ((torch.tensor(1.0, requires_grad=True), None), "metrics that are None, not a dict"),
        (None, "returned None; return (loss, metrics)"),
    ],
)
def test_what_training_loss_returns_is_checked(returned: object, says: str) -> None:
    with pytest.raises(FfadeError) as error:
        checked_loss(object(), returned)
    assert str(error.value).startswith("fine-tuner builtins.object: training_loss(batch) returned")
    assert says in str(error.value)
    loss = torch.tensor(2.0, requires_grad=True)
    assert checked_loss(object(), (loss, {"x": 1})) == (loss, {"x": 1})
