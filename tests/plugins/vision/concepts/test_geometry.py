"""What rotation, scale and translation do to known images."""

from __future__ import annotations

import pytest
import torch
from ffade_vision.concepts import Rotation, Scale, Translation

from ffade.errors import ConceptValueError


def test_rotation_by_90_degrees_is_a_counter_clockwise_quarter_turn() -> None:
    image = torch.rand(2, 3, 7, 7, generator=torch.Generator().manual_seed(0))
    turned = Rotation(values=[90]).apply(image, 90)
    torch.testing.assert_close(turned, torch.rot90(image, 1, dims=(-2, -1)), atol=1e-5, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("size", [(9, 9), (8, 13)])
def test_rotation_with_an_angle_per_row_gives_each_row_its_angle_alone_exactly(dtype, size):
    """Negative angles (torchvision turns by a % 360) and quarter turns (its exact rot90) too."""
    angles = [-180.0, -135.0, -90.0, -40.0, -9.0, 0.0, 10.0, 90.0, 170.0, 180.0]
    images = torch.rand(len(angles), 3, *size, generator=torch.Generator().manual_seed(3))
    images = images.to(dtype)
    rotation = Rotation(values=angles)
    for chosen in (angles, [a for a in angles if a % 90]):
        each = rotation.apply_each(images[: len(chosen)], chosen)
        for row, angle in enumerate(chosen):
            assert torch.equal(each[row], rotation.apply(images[row : row + 1], angle)[0]), angle


def test_rotation_fills_the_uncovered_corners() -> None:
    white = torch.ones(1, 1, 9, 9)
    assert Rotation(fill=0.0).apply(white, 45)[0, 0, 0, 0] == 0.0
    assert Rotation(fill=1.0).apply(white, 45)[0, 0, 0, 0] == 1.0


def test_translation_shifts_by_whole_pixels_along_its_axis() -> None:
    image = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    right = Translation().apply(image, 0.25)  # 2 of 8 pixels
    assert torch.equal(right[..., 2:], image[..., :-2])  # copied, not resampled
    assert (right[..., :2] == 0).all()
    down = Translation(axis="y", fill=0.5).apply(image, -0.25)  # 2 pixels up
    assert torch.equal(down[..., :-2, :], image[..., 2:, :])
    assert (down[..., -2:, :] == 0.5).all()
    wide = torch.rand(2, 3, 10, 20, generator=torch.Generator().manual_seed(2))
    assert torch.equal(Translation().apply(wide, 0.02), wide)  # 0.4 px rounds to none
    assert torch.equal(Translation().apply(wide, -0.1)[..., :-2], wide[..., 2:])
    assert (Translation(fill=0.25).apply(wide, 1.0) == 0.25).all()


def test_scale_below_one_shrinks_toward_the_center() -> None:
    white = torch.ones(1, 1, 16, 16)
    shrunk = Scale().apply(white, 0.5)
    assert shrunk[0, 0, 8, 8] == 1.0
    assert (shrunk[0, 0, :3] == 0).all() and (shrunk[0, 0, :, -3:] == 0).all()
    torch.testing.assert_close(Scale().apply(white, 2.0), white)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Rotation(fill=2.0), "fill 2.0"),
        (
            lambda: Rotation(fill=True),
            r"fill true is not allowed; expected a gray level in \[0, 1\]",
        ),
        (lambda: Scale(fill="black"), "fill 'black' is not allowed"),
        (lambda: Translation(fill=float("nan")), "fill nan"),
        (lambda: Translation(axis="z"), "axis 'z'"),
        (lambda: Translation(axis=None), r"axis null is not allowed; expected 'x' or 'y'"),
        (
            lambda: Scale(values=[0.0]),
            r"values\[0\] 0.0 is not allowed; expected a zoom factor in \[0.1",
        ),
        (lambda: Rotation(values=[400]), r"values\[0\] 400 .*degrees in \[-180, 180\]"),
        # a grid's YAML null and true, said as written, not as Python's None and True
        (lambda: Rotation(values=[None]), r"values\[0\] null is not allowed; expected degrees"),
        (lambda: Scale(values=[1.0, True]), r"values\[1\] true is not allowed; expected a zoom"),
    ],
)
def test_bad_arguments_say_what_is_allowed(make, match: str) -> None:
    with pytest.raises(ConceptValueError, match=match):
        make()
