"""The bundled digits CNN: its shipped checkpoint loads and is as accurate as its training said."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ffade_vision.datasets import DigitsDataset
from ffade_vision.targets import DigitsCNN, DigitsCNNTarget

from ffade.cli import main
from ffade.errors import PluginError
from tests.helpers import REPO


@pytest.fixture(scope="module")
def heldout() -> tuple[torch.Tensor, torch.Tensor]:
    data = DigitsDataset()
    return data.collate(data.split("heldout"))


def test_bundled_checkpoint_is_small_and_accurate_on_heldout(heldout) -> None:
    images, labels = heldout
    target = DigitsCNNTarget()
    accuracy = (target.predict(images).argmax(-1) == labels).float().mean().item()
    assert accuracy >= 0.95
    assert target.features(images[:3]).shape == (3, 64)
    checkpoint = Path(__file__).parents[4] / "plugins/vision/ffade_vision/checkpoints/digits_cnn.pt"
    assert checkpoint.stat().st_size < 300_000


def test_rgb_and_larger_inputs_are_converted(heldout) -> None:
    images, _ = heldout
    target = DigitsCNNTarget()
    gray = target.predict(images[:8])
    rgb = target.predict(images[:8].expand(-1, 3, -1, -1))
    assert torch.equal(rgb, gray)
    big = torch.nn.functional.interpolate(images[:8], size=56, mode="bilinear")
    assert (target.predict(big).argmax(-1) == gray.argmax(-1)).float().mean() >= 0.75


def test_gray_given_as_rgb_is_the_gray_itself_and_color_its_luma(heldout) -> None:
    """The digits with ``channels: 3`` scored as with ``channels: 1``: torchvision's luma
    weights sum to 0.9999, and three equal channels came out 1e-4 darker (logits 1e-3 apart)."""
    images, _ = heldout
    target = DigitsCNNTarget()
    rgb = images[:4].expand(-1, 3, -1, -1).clone()
    assert torch.equal(target.preprocess(rgb), target.preprocess(images[:4]))
    rgb[0, 0] = 1.0  # a red-tinted image: its luma, as torchvision computes it
    luma = 0.2989 * rgb[0, 0] + 0.587 * rgb[0, 1] + 0.114 * rgb[0, 2]
    expected = target.preprocess(luma[None, None])
    torch.testing.assert_close(target.preprocess(rgb[:1]), expected)


def test_random_and_local_weights(tmp_path: Path, heldout) -> None:
    torch.manual_seed(0)
    model = DigitsCNN()
    torch.save(model.state_dict(), tmp_path / "digits.pt")
    local = DigitsCNNTarget(weights=str(tmp_path / "digits.pt"))
    random = DigitsCNNTarget(weights=None)
    assert local.predict(heldout[0][:2]).shape == random.predict(heldout[0][:2]).shape == (2, 10)
    assert torch.equal(local.model.classifier[0].weight, model.classifier[0].weight)
    with pytest.raises(PluginError, match="does not exist"):
        DigitsCNNTarget(weights=str(tmp_path / "missing.pt"))
    # a misspelled keyword is not a missing file: the error says what weights may be
    with pytest.raises(PluginError, match=r"weights 'bundle' is not allowed; expected 'bundled',"):
        DigitsCNNTarget(weights="bundle")


def test_weights_that_are_a_discovery_checkpoint_are_named_as_such(
    finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A run's last.ckpt beside the fine-tune's model.pt: torch's error listed all 26 keys of
    both networks on one line; now one short line says what the file is and what to give."""
    ckpt = finished / "checkpoints" / "last.ckpt"
    monkeypatch.chdir(tmp_path)  # the quickstart's run would go to ./runs
    weights = "--model.init_args.task.target.args.weights"
    assert main(["fit", "--config", str(REPO / "configs/quickstart.yaml"), weights, str(ckpt)]) == 2
    assert capsys.readouterr().err.strip() == (
        "ffade: error: target 'digits_cnn': model.init_args.task.target.args.weights file "
        f"'{ckpt}' is an ffade discovery "
        "checkpoint (what `ffade fit --ckpt_path` resumes), not this model's weights; give a "
        "state-dict file such as the model.pt a fine-tune saves (its mitigation.json's "
        "fixed_weights)"
    )
    assert not (tmp_path / "runs").exists()


def test_an_image_that_is_not_square_keeps_its_whole_digit_on_black(heldout) -> None:
    """A digit is the whole digit on a black border (the digits dataset's layout, MNIST's): an
    image twice as tall as wide is shrunk whole into the middle 14 columns, black either side.
    It was stretched to 28 x 28, the digit twice as wide as any the model learned."""
    target = DigitsCNNTarget()
    tall = torch.ones(1, 1, 56, 28)
    pixels = target.preprocess(tall)[0, 0]  # normalized: white 1, black -1
    assert pixels.shape == (28, 28)
    assert torch.equal(pixels[:, 7:21], torch.ones(28, 14))
    assert torch.equal(pixels[:, :7], -torch.ones(28, 7))
    assert torch.equal(pixels[:, 21:], -torch.ones(28, 7))
    images, _ = heldout
    assert torch.equal(target.preprocess(images[:4]), (images[:4] - 0.5) / 0.5)  # squares as ever
