"""What the color concepts do to known images, through torchvision's kernels."""

from __future__ import annotations

import pytest
import torch
from ffade_vision.concepts import Brightness, Contrast, Gamma, Hue, Saturation

from ffade.errors import ConceptValueError
from tests.helpers import ffade_in_process

IMAGE = torch.rand(2, 3, 6, 6, generator=torch.Generator().manual_seed(0))


def test_brightness_multiplies_every_pixel() -> None:
    torch.testing.assert_close(Brightness().apply(IMAGE, 0.5), IMAGE * 0.5)
    assert Brightness().apply(IMAGE, 4.0).max() <= 1.0


def test_saturation_zero_is_gray() -> None:
    gray = Saturation().apply(IMAGE, 0.0)
    torch.testing.assert_close(gray[:, 0], gray[:, 1])
    torch.testing.assert_close(gray[:, 1], gray[:, 2])


def test_contrast_zero_is_one_flat_gray_per_image() -> None:
    flat = Contrast().apply(IMAGE, 0.0)
    assert torch.allclose(flat, flat[:, :, :1, :1].expand_as(flat))


def test_gamma_raises_pixels_to_the_power() -> None:
    torch.testing.assert_close(Gamma().apply(IMAGE, 2.0), IMAGE**2)


def test_hue_turns_red_toward_green_and_leaves_gray_images_alone() -> None:
    red = torch.zeros(1, 3, 2, 2)
    red[:, 0] = 1.0
    third = Hue(values=[1 / 3]).apply(red, 1 / 3)
    assert third[0, 1].min() > 0.99 and third[0, 0].max() < 0.01
    gray = torch.rand(1, 1, 4, 4)
    assert torch.equal(Hue().apply(gray, 0.3), gray)
    assert torch.equal(Saturation().apply(gray, 0.0), gray)


@pytest.mark.parametrize("concept", [Saturation, Hue], ids=["saturation", "hue"])
@pytest.mark.parametrize("channels", [1, 3], ids=["one_channel", "gray_rgb"])
def test_saturation_and_hue_refuse_inputs_without_color(concept, channels: int) -> None:
    """Gray images (the digits, even with channels: 3) are left unchanged by every value: the
    task refuses the concept when it is built rather than search it."""
    gray = [torch.rand(1, 5, 5).expand(channels, 5, 5).clone() for _ in range(4)]
    changed = concept().apply_each(
        torch.stack(gray), [0.3, 0.5, 0.2, -0.1] if concept is Hue else [0.0, 0.5, 2.0, 3.0]
    )
    # torchvision weighs gray 0.2989 + 0.587 + 0.114: changes under 1e-3, a quarter of a level
    torch.testing.assert_close(changed, torch.stack(gray), atol=1e-3, rtol=0)
    with pytest.raises(ConceptValueError) as error:
        concept().check_inputs(gray)
    assert str(error.value) == (
        f"concept '{concept().label}': none of the task's 4 inputs has color (one channel, or "
        "three equal ones), so every value leaves them unchanged; choose a color dataset "
        "(sample_photos, image_folder) or another concept"
    )


def test_one_color_image_among_gray_ones_is_enough() -> None:
    gray = [torch.rand(1, 5, 5).expand(3, 5, 5).clone() for _ in range(3)]
    assert Saturation().check_inputs([*gray, IMAGE[0]]) == []
    assert Hue().check_inputs([*gray, IMAGE[0]]) == []


def test_saturation_on_the_digits_is_a_one_line_error_before_the_run() -> None:
    result = ffade_in_process(
        "fit",
        "--config",
        "configs/quickstart.yaml",
        "--model.init_args.task.dataset",
        "{name: digits, args: {channels: 3}}",
        "--model.init_args.task.concepts",
        "[{name: rotation}, {name: saturation}]",
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ffade: error: concept 'saturation': none of the task's 64 inputs has color (one "
        "channel, or three equal ones), so every value leaves them unchanged; choose a color "
        "dataset (sample_photos, image_folder) or another concept"
    )


@pytest.mark.parametrize("cls", [Brightness, Saturation, Contrast])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_a_factor_per_row_gives_each_row_exactly_its_factor_alone(cls, dtype) -> None:
    """The per-row blend rounds as torchvision's does (0.35's rest, 0.65, was off by 6e-8); on
    half-precision images (a bfloat16 brightness of 0.6 was 0.002 off) rows take their value
    alone."""
    factors = [0.0, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 3.7]
    images = torch.rand(len(factors), 3, 9, 11, generator=torch.Generator().manual_seed(5))
    concept = cls(values=factors)
    each = concept.apply_each(images.to(dtype), factors)
    for row, factor in enumerate(factors):
        alone = concept.apply(images[row : row + 1].to(dtype), factor)
        assert torch.equal(each[row : row + 1], alone), factor


def test_gamma_gives_an_image_the_same_floats_alone_and_in_a_batch() -> None:
    """The last pixels of a tensor fall in the tail of torch's vector loop: in float32 pow they
    came out 6e-8 off the same pixels in the middle of a batch."""
    images = torch.rand(5, 3, 4, 5, generator=torch.Generator().manual_seed(7))
    for value in Gamma().values:
        batch = Gamma().apply(images, value)
        for row in range(len(images)):
            assert torch.equal(batch[row], Gamma().apply(images[row : row + 1], value)[0]), value
    torch.testing.assert_close(Gamma().apply(images, 2.0), images**2, atol=1e-7, rtol=0)


@pytest.mark.parametrize("concept", [Brightness, Contrast, Saturation, Hue])
def test_images_with_an_alpha_channel_are_a_one_line_error(concept) -> None:
    """RGBA tensors (4 channels) reached torchvision's color kernels: a TypeError traceback
    ("permitted channel values are 1 or 3"), and saturation and hue said the images had no color.
    Gamma, which reads each channel alone, still takes them."""
    rgba = torch.rand(2, 4, 5, 5, generator=torch.Generator().manual_seed(1))
    label = concept().label
    expected = rf"concept '{label}': images must have 1 \(gray\) or 3 \(RGB\) channels; got 4"
    value = concept(values=[0.2, 0.5]).values[0]
    with pytest.raises(ConceptValueError, match=expected):
        concept().apply(rgba, value)
    with pytest.raises(ConceptValueError, match=expected):
        concept().apply_each(rgba, [value, value])
    assert concept().check_inputs(list(rgba)) == []
    assert Gamma().apply(rgba, 2.0).shape == rgba.shape
