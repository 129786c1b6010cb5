from __future__ import annotations

import pytest
import torch
from ffade_diffusion.rewards.judge import Judge
from ffade_diffusion.tiny.digits import digit_images

from ffade.errors import FfadeError, PluginError


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
    with pytest.raises(FfadeError, match="every prompt needs a class label"):
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
    assert judge.describe_outputs(outputs, labels[:2].tolist()) == [
        f'drew {int(seen[i])} (digits_cnn: p={float(top[i]):.2f}) for "{outputs["prompts"][i]}"'
        for i in range(2)
    ]
