"""What every image classifier checks up front: references it cannot be judged against."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

from ffade import registry
from ffade.errors import FfadeWarning, PluginError
from ffade.plugin_api import Concept
from tests.helpers import REPO, ffade_in_process

QUICKSTART = str(REPO / "configs" / "quickstart.yaml")


@pytest.mark.parametrize(
    ("change", "named"),
    [  # 5 outputs, digits 0-9; the digits CNN's 10 outputs, sample_photos' ImageNet classes
        (
            "--model.init_args.task.target={name: torchvision_classifier, args: {model: "
            "resnet18, num_classes: 5}}",
            "target 'torchvision_classifier': the dataset has a class index ",
        ),
        (
            "--model.init_args.task.dataset={name: sample_photos}",
            "target 'digits_cnn': the dataset has a class index 281, but the target scores 10",
        ),
    ],
)
def test_a_class_past_the_model_outputs_is_refused_before_the_search(
    tmp_path: Path, change: str, named: str
) -> None:
    """The reward refused it only at the first evaluation, after Lightning's Training bar."""
    runs = tmp_path / "runs"
    result = ffade_in_process(
        "fit", "--config", QUICKSTART, change, "--model.init_args.task.max_inputs=8",
        "--trainer.logger.init_args.save_dir", str(runs), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ffade: error: {named}"), lines
    assert "Training" not in result.stderr and not runs.exists()


def test_references_that_are_no_class_indices_or_masks_of_another_width_are_refused() -> None:
    target = registry.create("target", "digits_cnn", {"weights": None})  # errors name it so
    target.check_references([0, 9, torch.tensor(3), (1, 2), torch.zeros(10, dtype=torch.bool)])
    with pytest.raises(PluginError, match=r"^target 'digits_cnn' needs class indices .* 'a cat'"):
        target.check_references([1, "a cat"])
    with pytest.raises(PluginError, match=r"scores 10 classes, but .* masks of shape \(1000,\)"):
        target.check_references([torch.zeros(1000, dtype=torch.bool)])
    with pytest.raises(PluginError, match=r"class index -1, but the target scores 10 classes"):
        target.check_references([(3, -1)])
    wide = registry.create("target", "torchvision_classifier", {"num_classes": 12})
    assert wide.num_classes == 12
    wide.check_references([11])
    with pytest.raises(PluginError, match=r"class index 12, .* 12 classes .* set num_classes"):
        wide.check_references([12])


class Brighter(Concept):
    """A third party's brightness that forgets to clamp: a factor 3 leaves [0, 1]."""

    neutral = 1.0

    def apply(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return inputs * value


def test_a_concept_that_takes_images_outside_0_1_is_warned_of_once_naming_it() -> None:
    """plugins/vision/README.md: images are float tensors in [0, 1]. A concept that leaves that
    range was accepted in silence; one warning names it and the first value that does."""
    target = registry.create("target", "digits_cnn", {"weights": None})
    images = [torch.full((1, 8, 8), 0.5), torch.zeros(1, 8, 8)]
    clamped = registry.create("concept", "brightness", {"values": [1.0, 3.0, 4.0]})
    unclamped = Brighter(values=[1.0, 1.5, 3.0, 4.0], label="brighter")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        target.check_task(images, [clamped])  # ffade_vision's own concepts clamp
        target.check_task(images, [clamped, unclamped])
    assert [str(w.message) for w in caught] == [
        "concept 'brighter' at 3.0 takes the first image's pixels to [1.5, 1.5], outside the "
        "[0, 1] target 'digits_cnn' reads (plugins/vision/README.md); the model then sees "
        "colors no image has: clamp what apply returns to [0, 1], as ffade_vision's concepts do"
    ]
    assert caught[0].category is FfadeWarning


def test_a_model_put_back_in_train_mode_runs_in_eval_mode_each_batch() -> None:
    """The model was put in eval mode only when the target was made: a caller who trained it in
    between (``target.model.train()``) searched with dropout on, other outputs each batch, as
    :class:`ffade.CallableTarget` no longer does."""
    from ffade_vision.targets._base import ImageClassifier
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.Dropout(0.5), nn.Linear(32, 3))
    target = ImageClassifier(model, mean=(0.5,), std=(0.5,), input_size=None, in_channels=1)
    images = torch.rand(5, 1, 4, 4)
    logits, embedding = target.predict(images), target.features(images)
    for run in (target.predict, target.features):
        target.model.train()
        again = run(images)
        assert not target.model.training
        assert torch.equal(again, logits if run == target.predict else embedding)


def test_a_caption_says_no_certainty_the_model_does_not_have() -> None:
    """A softmax of 0.9996 read "p=1.00" in every worst-failure caption, as if the model could
    not be wrong; only an exact 1 reads so."""
    target = registry.create("target", "digits_cnn", {"weights": None})
    logits = torch.zeros(3, 10)
    logits[0, 4], logits[1, 2], logits[2, 7] = 10.0, 200.0, 1.0
    assert target.describe_outputs(logits) == [
        "predicted 4 (p=0.99)",
        "predicted 2 (p=1.00)",
        "predicted 7 (p=0.23)",
    ]


@pytest.mark.parametrize("model", ["alexnet", "vit_b_16"])
def test_a_model_that_cannot_take_the_images_unresized_is_one_line(
    tmp_path: Path, model: str
) -> None:
    """With random weights nothing resizes the 28 x 28 digits: AlexNet's pools shrank them to
    nothing and a ViT asserted its 224, in a traceback after the run directory was made."""
    runs = tmp_path / "runs"
    target = f"--model.init_args.task.target={{name: torchvision_classifier, args: {{model: {model}, num_classes: 10}}}}"  # noqa: E501
    result = ffade_in_process(
        "fit", "--config", QUICKSTART, target, "--model.init_args.task.max_inputs=4",
        "--trainer.logger.init_args.save_dir", str(runs), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert (
        lines[0].startswith(
            "ffade: error: target 'torchvision_classifier': the model cannot take the dataset's "
            "28 x 28 images as they are"
        )
        and "set image_size" in lines[0]
    ), lines
    assert not runs.exists()
