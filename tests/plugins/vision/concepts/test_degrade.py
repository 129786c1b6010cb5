"""Blur, noise and occlusion: seeded, nested across values, and as large as asked."""

from __future__ import annotations

import itertools

import pytest
import torch
from ffade_vision.concepts import GaussianBlur, GaussianNoise, Occlusion
from torchvision.transforms.v2 import functional as F

from ffade.errors import ConceptValueError
from ffade.written import as_written

GRAY = torch.full((2, 3, 16, 16), 0.5)


def test_blur_keeps_flat_images_flat_and_fits_tiny_images() -> None:
    torch.testing.assert_close(GaussianBlur().apply(GRAY, 3.0), GRAY)
    tiny = torch.rand(1, 1, 2, 3)
    assert GaussianBlur().apply(tiny, 20.0).shape == tiny.shape


def test_blur_spreads_a_point() -> None:
    point = torch.zeros(1, 1, 9, 9)
    point[..., 4, 4] = 1.0
    blurred = GaussianBlur().apply(point, 1.0)
    assert 0 < blurred[0, 0, 4, 4] < 1 and blurred[0, 0, 4, 5] > 0


@pytest.mark.parametrize(("sigma", "size"), [(0.5, 5), (2.5, 17), (20.0, 19)])
def test_separable_blur_is_torchvisions_square_kernel_blur(sigma: float, size: int) -> None:
    """Two 1-D passes must give the image one k x k kernel gives, borders included."""
    images = torch.rand(3, 3, 10, 14, generator=torch.Generator().manual_seed(0))
    square = F.gaussian_blur(images, kernel_size=[size, size], sigma=[sigma, sigma])
    torch.testing.assert_close(GaussianBlur().apply(images, sigma), square.clamp(0, 1))


def test_noise_is_one_seeded_pattern_scaled_by_the_value() -> None:
    small = GaussianNoise(seed=3).apply(GRAY, 0.02) - GRAY
    large = GaussianNoise(seed=3).apply(GRAY, 0.04) - GRAY
    torch.testing.assert_close(large, 2 * small)
    torch.testing.assert_close(small[0], small[1])  # every image gets the same pattern
    other = GaussianNoise(seed=4).apply(GRAY, 0.02) - GRAY
    assert not torch.allclose(other, small)


def test_occlusion_covers_the_asked_area_with_gray() -> None:
    black = torch.zeros(2, 3, 16, 16)
    covered = Occlusion(seed=1, fill=0.5).apply(black, 0.25)
    assert ((covered == 0.5).sum(dim=(-2, -1)) == 64).all()  # 25% of 256 pixels per channel
    torch.testing.assert_close(covered[0], covered[1])
    assert (Occlusion().apply(black, 1.0) == 0.5).all()


def test_occlusion_grows_around_one_spot_and_moves_with_the_seed() -> None:
    black = torch.zeros(1, 1, 32, 24)
    squares = [Occlusion(seed=7).apply(black, v) > 0 for v in (0.05, 0.1, 0.2, 0.4)]
    for smaller, larger in itertools.pairwise(squares):
        assert (larger | ~smaller).all(), "a larger square must contain the smaller one"
    assert not torch.equal(Occlusion(seed=8).apply(black, 0.05) > 0, squares[0])


@pytest.mark.parametrize("make", [lambda: Occlusion(fill=-0.1), lambda: GaussianNoise([1.5])])
def test_bad_arguments_raise(make) -> None:
    with pytest.raises(ConceptValueError, match="is not allowed"):
        make()


@pytest.mark.parametrize("seed", [1.5, True, -1, 2**64, "abc"])
@pytest.mark.parametrize("cls", [GaussianNoise, Occlusion])
def test_a_seed_that_is_no_whole_number_torch_takes_is_refused_when_built(cls, seed) -> None:
    """Not rounded (1.5 was seed 1), not read as 1 (true), not a traceback at the first image."""
    with pytest.raises(
        ConceptValueError,
        match=rf"seed {as_written(seed)} is not allowed; expected a whole",
    ):
        cls(seed=seed)
    assert cls(seed=2**64 - 1).apply(GRAY, 0.1).shape == GRAY.shape


@pytest.mark.parametrize("fill", [True, "gray", -0.1])
def test_occlusion_fill_must_be_a_gray_level(fill) -> None:
    with pytest.raises(ConceptValueError, match=r"fill .* is not allowed; expected a gray level"):
        Occlusion(fill=fill)
