"""What the color concepts do to known images, through torchvision's kernels."""

from __future__ import annotations

import torch
from ffade_vision.concepts import Brightness, Contrast, Gamma, Hue, Saturation

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
