from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from ffade_diffusion.rewards.judge import Judge
from ffade_diffusion.tiny.digits import digit_images

from ffade.errors import FfadeError, PluginError
from tests.helpers import REPO, ffade_in_process


@pytest.fixture(scope="module")
def judge() -> Judge:
    return Judge({"name": "digits_cnn"})  # found through ffade's registry, not imported


def test_the_shipped_classifier_reads_real_digits_at_16_px(judge: Judge) -> None:
    images, labels = digit_images(16)
    images, labels = images[:200], labels[:200].tolist()
    scores = judge.score({"images": images, "prompts": [""] * 200}, labels)
    assert scores.failed.float().mean() < 0.1  # the judge can read what the model must draw
    wrong = judge.score(
        {"images": images[:20], "prompts": [""] * 20}, [(y + 1) % 10 for y in labels[:20]]
    )
    assert wrong.failed.float().mean() > 0.9
    assert (wrong.reward[wrong.failed] >= 0).all() and (scores.reward[~scores.failed] == -1).all()
    assert torch.all((scores.metric >= 0) & (scores.metric <= 1))


def test_labels_and_classifier_are_checked(judge: Judge) -> None:
    outputs = {"images": torch.zeros(2, 3, 16, 16), "prompts": ["a", "b"]}
    with pytest.raises(FfadeError, match=r"prompt 'b' has no class label.*label_field names"):
        judge.score(outputs, [1, None])
    with pytest.raises(FfadeError, match=r"class indices in \[0, 9\]"):
        judge.score(outputs, [1, 12])
    with pytest.raises(PluginError, match=r"^reward 'judge': classifier: unknown target 'no_such_"):
        Judge({"name": "no_such_classifier"})
    with pytest.raises(
        FfadeError, match=r"^reward 'judge': classifier: target 'digits_cnn' has no"
    ):
        Judge({"name": "digits_cnn", "args": {"weight": None}})
    # a string was a TypeError traceback from the range check
    with pytest.raises(FfadeError, match=r"min_probability must be in \[0, 1\], got 'high'"):
        Judge({"name": "digits_cnn"}, min_probability="high")
    with pytest.raises(FfadeError, match="classifier must name a target"):
        Judge("digits_cnn")


def test_the_judge_says_what_it_read_in_each_image(judge: Judge) -> None:
    """A caption says what the image was judged to be, not only the prompt it was drawn for."""
    images, labels = digit_images(16)
    outputs = {"images": images[:2], "prompts": ["a handwritten zero", "a thin handwritten one"]}
    probabilities = judge.probabilities(images[:2])
    top, seen = probabilities.max(1)
    assert seen.tolist() == [0, 1] and all(0.999 < p < 1 for p in top.tolist())
    # a judge 99.98% sure is not certain: "p=1.00" said it was
    assert judge.describe_outputs(outputs, labels[:2].tolist()) == [
        'drew 0 (digits_cnn: p=0.99) for "a handwritten zero"',
        'drew 1 (digits_cnn: p=0.99) for "a thin handwritten one"',
    ]


@pytest.mark.parametrize(
    ("classifier", "said"),
    [
        ({"name": "tiny_news_bart"}, "'tiny_news_bart' is a text target that returns texts"),
        # a generator: "reads text-to-image" said nothing a user could act on
        (
            {"name": "tiny_digits_t2i"},
            "'tiny_digits_t2i' is a text-to-image target that returns images",
        ),
        (  # a classifier, but of texts
            {
                "name": "hf_pipeline",
                "args": {"task": "text-classification", "model": "tiny_sentiment"},
            },
            "'hf_pipeline' is a text target that returns class_scores",
        ),
    ],
)
def test_a_judge_that_classifies_no_images_is_one_line_before_the_run(
    tmp_path: Path, classifier: dict, said: str
) -> None:
    """The README's judge "names any registered image-classifier target"; a summarizer named
    there was a TypeError traceback at the first images, with a failed run left behind."""
    result = _fit_with_classifier(tmp_path, classifier)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "ffade: error: reward 'judge': model.init_args.task.reward.args.classifier "
        f"{said}, but the judge needs an image "
        "classifier (a target that reads images and returns class scores), e.g. digits_cnn or "
        "torchvision_classifier"
    ]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("classifier", "said"),
    [
        (
            {"name": "digits_cnn", "args": {"cpu_threads": 0}},
            "target 'digits_cnn': model.init_args.task.reward.args.classifier.args.cpu_threads "
            "must be a whole number from 1",
        ),
        (
            {"name": "digits_cnn", "args": {"weights": "no_such.pt"}},
            "target 'digits_cnn': model.init_args.task.reward.args.classifier.args.weights file ",
        ),
        (
            {"name": "digits_cnn", "nme": "x"},
            "reward 'judge': model.init_args.task.reward.args.classifier.nme is not allowed; a "
            "classifier takes name and args",
        ),
    ],
)
def test_the_classifiers_own_checks_name_its_full_key(
    tmp_path: Path, classifier: dict, said: str
) -> None:
    """The classifier's own value checks named its argument bare (``...args.classifier: target
    'digits_cnn': cpu_threads must be ...``), a word a user cannot search the config for; from a
    config they name the classifier's argument by its key, as a top-level target's are."""
    result = _fit_with_classifier(tmp_path, classifier)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ffade: error: {said}"), lines
    assert not (tmp_path / "runs").exists()


def test_the_classifiers_checks_from_python_keep_the_judges_words() -> None:
    """Built from Python there is no config key: the judge says whose argument it is."""
    with pytest.raises(FfadeError) as error:
        Judge({"name": "digits_cnn", "args": {"cpu_threads": 0}})
    assert str(error.value).startswith(
        "reward 'judge': classifier: target 'digits_cnn': cpu_threads must be a whole number"
    )


def test_the_classifiers_weights_are_recorded_absolute(tmp_path: Path, monkeypatch) -> None:
    """docs/plugins.md, Paths: a run records each declared path absolute, the judge's classifier's
    ``weights`` too (its reward declares ``plugin_arguments``); it kept ``w/digits_cnn.pt`` as
    typed, so a resume from another directory did not find it."""
    import shutil

    from ffade.task import absolute_plugin_paths

    (tmp_path / "w").mkdir()
    weights = REPO / "plugins" / "vision" / "ffade_vision" / "checkpoints" / "digits_cnn.pt"
    shutil.copy(weights, tmp_path / "w" / "digits_cnn.pt")
    monkeypatch.chdir(tmp_path)
    classifier = {"name": "digits_cnn", "args": {"weights": "w/digits_cnn.pt"}}
    task = {"reward": {"name": "judge", "args": {"classifier": classifier}}, "concepts": []}
    absolute = str((tmp_path / "w" / "digits_cnn.pt").resolve())
    changed = absolute_plugin_paths(task)
    assert changed == {("reward", "args", "classifier", "args", "weights"): absolute}
    assert classifier["args"]["weights"] == absolute
    assert absolute_plugin_paths({"reward": {"name": "judge", "args": {}}}) == {}  # as given


class _ReadsItsScoresOffThePicture:
    """A judge whose logits are the first row of each image's first channel, so a test can
    hand it exact ties."""

    def to_device(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return images[:, 0, 0, :]


def _judged(logits: list[list[float]], labels: list[int], **args: float):
    tied = Judge.__new__(Judge)
    tied.classifier, tied.min_probability = _ReadsItsScoresOffThePicture(), 0.0
    tied.__dict__.update(args)
    images = torch.tensor(logits)[:, None, None, :].expand(-1, 3, 2, -1)
    return tied.score({"images": images, "prompts": ["a digit"] * len(labels)}, labels)


def test_a_tie_for_the_top_fails_whatever_the_label_and_earns_more_than_nothing() -> None:
    # the label ties with another class: max read the first listed as the answer, so label 0
    # passed and label 1 failed, at a reward of 0 (log-odds of one half)
    scores = _judged([[1.0, 1.0], [1.0, 1.0]], [0, 1])
    assert scores.failed.tolist() == [True, True]
    assert (scores.reward > 0).all()
    # min_probability fails from below it, not at it: 0.5 passes at 0.5, fails at 0.6
    right = [[math.log(0.5), math.log(0.25), math.log(0.25)]]
    assert _judged(right, [0], min_probability=0.5).failed.tolist() == [False]
    unsure = _judged(right, [0], min_probability=0.6)
    assert unsure.failed.tolist() == [True] and unsure.reward.item() > 0


def test_an_unsure_right_reading_earns_more_the_less_sure_the_judge() -> None:
    # the top's log-odds paid a right reading at 0.9 more (22) than one at 0.55 (2), and more
    # than a miss at 0.6
    sure, unsure = [[math.log(0.9), math.log(0.1)]], [[math.log(0.55), math.log(0.45)]]
    at_90 = _judged(sure, [0], min_probability=0.95)
    at_55 = _judged(unsure, [0], min_probability=0.95)
    assert at_90.failed.item() and at_55.failed.item()
    assert 0 < at_90.reward.item() < at_55.reward.item()
    short = math.log(0.95 / 0.05) - math.log(0.55 / 0.45)
    assert at_55.reward.item() == pytest.approx(10 * short, rel=1e-5)


def _fit_with_classifier(tmp_path: Path, classifier: dict) -> Any:
    """``ffade fit`` on the t2i quickstart with the judge's classifier replaced."""
    config = yaml.safe_load((REPO / "configs" / "t2i_quickstart.yaml").read_text())
    config["model"]["init_args"]["task"]["reward"]["args"]["classifier"] = classifier
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "t2i.yaml"
    path.write_text(yaml.safe_dump(config))
    return ffade_in_process("fit", "--config", str(path))


def test_an_infinite_logit_is_the_judge_certain_not_a_nan_probability() -> None:
    # softmax of [inf, 0] is NaN: a certain right reading was an invalid evaluation
    inf = float("inf")
    scores = _judged([[inf, 0.0], [inf, 0.0], [inf, inf]], [0, 1, 0])
    assert scores.failed.tolist() == [False, True, True]
    assert scores.metric.tolist() == [1.0, 0.0, 0.5]
    assert scores.reward[0].item() == -1.0 and (scores.reward[1:] > 0).all()
