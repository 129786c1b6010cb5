"""Properties every image concept must have, checked with hypothesis on random images.

Shape, dtype and the [0, 1] range for any allowed value; the neutral value changes nothing;
the input is never modified; the same (input, value) always gives the same image, whatever
batch it is in; values outside the range raise ConceptValueError naming the value.
"""

from __future__ import annotations

import math

import pytest
import torch
from ffade_vision.concepts import (
    Brightness,
    Contrast,
    Gamma,
    GaussianBlur,
    GaussianNoise,
    Hue,
    Occlusion,
    Rotation,
    Saturation,
    Scale,
    Translation,
)
from ffade_vision.concepts._base import RangeConcept
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ffade.errors import ConceptValueError, as_written

CONCEPTS = [
    Rotation,
    Scale,
    Translation,
    Brightness,
    Saturation,
    Contrast,
    Hue,
    Gamma,
    GaussianBlur,
    GaussianNoise,
    Occlusion,
]
PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.differing_executors]
)


@st.composite
def images(draw: st.DrawFn) -> torch.Tensor:
    """Batches (B, C, H, W) of random, black or white images in [0, 1], some tiny."""
    shape = (
        draw(st.integers(1, 3)),
        draw(st.sampled_from([1, 3])),
        draw(st.integers(2, 12)),
        draw(st.integers(2, 12)),
    )
    kind = draw(st.sampled_from(["random", "black", "white"]))
    if kind == "black":
        return torch.zeros(shape)
    if kind == "white":
        return torch.ones(shape)
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    return torch.rand(shape, generator=generator)


def allowed(cls: type[RangeConcept]) -> st.SearchStrategy[float]:
    return st.floats(cls.low, cls.high, exclude_min=not cls.low_inclusive, allow_nan=False)


def not_allowed(cls: type[RangeConcept]) -> st.SearchStrategy[object]:
    return st.one_of(
        st.floats(max_value=cls.low, exclude_max=cls.low_inclusive),
        st.floats(min_value=cls.high, exclude_min=True),
        st.sampled_from([math.nan, math.inf, -math.inf, True, None, "10", [1.0]]),
    )


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
def test_default_grid_is_valid_and_holds_neutral(cls: type[RangeConcept]) -> None:
    concept = cls()
    assert concept.values == list(cls.default_values)
    assert cls.neutral in concept.values
    assert len(concept.values) >= 5, "a grid needs tails and a passing middle"


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
@PROPERTY
@given(batch=images(), data=st.data())
def test_any_allowed_value_keeps_shape_dtype_and_range(
    cls: type[RangeConcept], batch: torch.Tensor, data: st.DataObject
) -> None:
    value = data.draw(allowed(cls), label="value")
    original = batch.clone()
    out = cls().apply(batch, value)
    assert out.shape == batch.shape
    assert out.dtype == batch.dtype
    assert out.device == batch.device
    assert torch.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert torch.equal(batch, original), "apply must not change its input in place"


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
@PROPERTY
@given(batch=images())
def test_neutral_value_changes_nothing(cls: type[RangeConcept], batch: torch.Tensor) -> None:
    out = cls().apply(batch, cls.neutral)
    assert torch.equal(out, batch)
    assert out is not batch


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
@PROPERTY
@given(batch=images(), data=st.data())
def test_same_input_and_value_give_same_image_in_any_batch(
    cls: type[RangeConcept], batch: torch.Tensor, data: st.DataObject
) -> None:
    value = data.draw(allowed(cls), label="value")
    whole = cls().apply(batch, value)
    one_by_one = torch.cat([cls().apply(batch[i : i + 1], value) for i in range(len(batch))])
    # the same up to float32's last bits: BLAS takes another kernel for a batch of one than for
    # more on some sizes (the blur's matrix products at 9 and 11 px here), as ffade's own probe
    # allows (batch.same_rows); a draw seeded per call or per batch differs by far more
    torch.testing.assert_close(whole, one_by_one, atol=1e-6, rtol=0)
    torch.testing.assert_close(cls().apply(batch, value), whole, atol=0, rtol=0)


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
@PROPERTY
@given(value=st.data())
def test_values_outside_the_range_raise_naming_the_value(
    cls: type[RangeConcept], value: st.DataObject
) -> None:
    bad = value.draw(not_allowed(cls), label="bad value")
    with pytest.raises(ConceptValueError, match=f"concept '{cls().label}'") as grid_error:
        cls(values=[cls.neutral, bad])
    assert as_written(bad) in str(grid_error.value)  # as the config wrote it: true, null
    assert "expected" in str(grid_error.value)
    with pytest.raises(ConceptValueError) as apply_error:
        cls().apply(torch.rand(1, 3, 4, 4), bad)
    assert as_written(bad) in str(apply_error.value)


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
def test_label_and_values_pass_through(cls: type[RangeConcept]) -> None:
    concept = cls(values=[cls.neutral], label="mine")
    assert concept.label == "mine"
    assert concept.values == [cls.neutral]
    with pytest.raises(ConceptValueError, match="'mine'"):
        cls(values=[cls.high + 1], label="mine")


@pytest.mark.gpu
@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
def test_applies_on_the_batch_device_like_on_cpu(cls: type[RangeConcept]) -> None:
    batch = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    value = (
        cls.default_values[0] if cls.default_values[0] != cls.neutral else cls.default_values[-1]
    )
    on_gpu = cls().apply(batch.cuda(), value)
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), cls().apply(batch, value), atol=1e-4, rtol=0)
    values = [*_changing_values(cls), cls.neutral]  # a value per row: one kernel call
    each_on_gpu = cls().apply_each(batch[[0, 1, 0]].cuda(), values)
    torch.testing.assert_close(
        each_on_gpu.cpu(), cls().apply_each(batch[[0, 1, 0]], values), atol=1e-4, rtol=0
    )


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
def test_a_value_per_row_stays_on_the_batch_device(cls: type[RangeConcept]) -> None:
    # the meta device stands in for a GPU: any tensor made on the CPU beside the batch fails,
    # as rotation's and scale's inverse maps did on CUDA
    values = [*_changing_values(cls), cls.neutral]
    changed = cls().apply_each(torch.rand(3, 3, 16, 16, device="meta"), values)
    assert changed.device.type == "meta" and changed.shape == (3, 3, 16, 16)


def _changing_values(cls: type[RangeConcept]) -> list[float]:
    return [value for value in cls.default_values if value != cls.neutral][:2]


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
@PROPERTY
@given(batch=images(), data=st.data())
def test_a_value_per_row_equals_each_value_alone(
    cls: type[RangeConcept], batch: torch.Tensor, data: st.DataObject
) -> None:
    """``apply_each`` (one kernel call for rows of many values, where a concept has one) gives
    each row what ``apply`` gives it alone, and neutral rows exactly as they were."""
    concept = cls()
    grid = concept.values
    values = data.draw(st.lists(st.sampled_from(grid), min_size=len(batch), max_size=len(batch)))
    changed = concept.apply_each(batch, values)
    for row, value in enumerate(values):
        alone = (
            batch[row : row + 1]
            if value == concept.neutral
            else concept.apply(batch[row : row + 1], value)
        )
        torch.testing.assert_close(changed[row : row + 1], alone, atol=1e-6, rtol=0)
        if value == concept.neutral:
            assert torch.equal(changed[row], batch[row])


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
def test_inputs_that_are_not_images_are_a_one_line_error(cls: type[RangeConcept]) -> None:
    """rotation in a text task's config raised AttributeError ('list' has no 'device')."""
    concept = cls()
    value = next(v for v in concept.values if v != concept.neutral)
    for call in (
        lambda: concept.apply(["a text"], value),
        lambda: concept.apply_each(["a text", "another"], [value, concept.neutral]),
    ):
        with pytest.raises(ConceptValueError, match=r"inputs must be images.*got list"):
            call()


@pytest.mark.parametrize("cls", CONCEPTS, ids=lambda c: c.__name__)
def test_whole_number_pixels_are_a_one_line_error(cls: type[RangeConcept]) -> None:
    """uint8 images (torchvision.io.read_image's) came back as float32 ones and zeros: every
    concept's clamp to [0, 1] turned each lit pixel white, with no word said."""
    concept = cls()
    value = next(v for v in concept.values if v != concept.neutral)
    pixels = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    for call in (
        lambda: concept.apply(pixels, value),
        lambda: concept.apply_each(pixels, [value, concept.neutral]),
    ):
        with pytest.raises(ConceptValueError, match=r"float tensor .* got uint8 pixels"):
            call()
