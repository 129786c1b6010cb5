"""The axis concept: moves every input of a batch to one position on one axis, nothing else."""

from __future__ import annotations

import pytest
import torch
from ffade_synthetic.concept import Axis

from ffade.errors import ConceptValueError, as_written


def test_defaults_are_ten_even_positions_with_the_neutral_first() -> None:
    axis = Axis(index=2)
    assert axis.label == "axis2"
    assert axis.values == [0.0, 0.111, 0.222, 0.333, 0.444, 0.556, 0.667, 0.778, 0.889, 1.0]
    assert axis.neutral_index() == 0
    assert Axis(index=1, label="axis").label == "axis1"  # the plugin name gets the index
    assert Axis(index=1, label="depth").label == "depth"


def test_apply_moves_only_its_axis_and_leaves_the_inputs_alone() -> None:
    coords = torch.zeros(3, 4)
    features = torch.randn(3, 8)
    inputs = {"features": features, "coords": coords}
    out = Axis(index=1).apply(inputs, 0.75)
    assert out["coords"].tolist() == [[0.0, 0.75, 0.0, 0.0]] * 3
    assert out["features"] is features
    assert coords.eq(0).all()  # a copy was changed, not the caller's batch


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"index": -1},
            "concept 'axis': index -1 is not allowed; expected a whole number from 0 (the axis "
            "it moves)",
        ),
        (
            {"index": 0, "values": [0.0, 1.5]},
            "concept 'axis0': values[1] 1.5 is not allowed; expected a position in [0, 1]",
        ),
        (
            {"index": 0, "values": [0.0, "far"]},
            "concept 'axis0': values[1] 'far' is not allowed; expected a finite number",
        ),
        ({"index": 0, "values": []}, "concept 'axis0': values must list at least one value"),
        ({"index": 0, "values": [0.5, 0.5]}, "concept 'axis0': values repeat: [0.5, 0.5]"),
    ],
)
def test_bad_arguments_are_one_line_errors(args: dict, message: str) -> None:
    with pytest.raises(ConceptValueError) as error:
        Axis(**args)
    assert str(error.value) == message


def test_an_axis_beyond_the_dataset_says_which_setting_to_change() -> None:
    """Refused by check_inputs when the task is built (before any evaluation), and by apply for
    a concept used without a task."""
    inputs = {"features": torch.zeros(2, 8), "coords": torch.zeros(2, 3)}
    message = (
        "concept 'axis3': index 3 is beyond the dataset's 3 axes (0 to 2); lower index or raise "
        "the dataset's num_axes"
    )
    with pytest.raises(ConceptValueError) as error:
        Axis(index=3).check_inputs([{"features": torch.zeros(8), "coords": torch.zeros(3)}])
    assert str(error.value) == message
    with pytest.raises(ConceptValueError) as error:
        Axis(index=3).apply(inputs, 0.5)
    assert str(error.value) == message
    assert (
        Axis(index=2).check_inputs([{"features": torch.zeros(8), "coords": torch.zeros(3)}]) == []
    )


def test_inputs_that_are_not_the_synthetic_datasets_are_refused_in_one_line() -> None:
    """Images (a digits task's batch) hold no coordinates: said so, not an IndexError."""
    with pytest.raises(ConceptValueError, match=r"'axis0' moves the synthetic dataset's inputs"):
        Axis(index=0).check_inputs([torch.zeros(1, 28, 28)])


@pytest.mark.parametrize("index", [True, 1.5, "one", None, [0]])
def test_an_index_that_is_no_whole_number_is_refused_when_built(index: object) -> None:
    """True passed as axis 1 and moved every axis (coords[:, True]); 1.5 was taken and failed
    at the first evaluation as a traceback; text raised "'<' not supported ..."."""
    with pytest.raises(ConceptValueError) as error:
        Axis(index=index)
    assert str(error.value).startswith(f"concept 'axis': index {as_written(index)} is not allowed")
    assert "expected a whole number from 0" in str(error.value)


def test_a_whole_float_index_is_that_axis() -> None:
    axis = Axis(index=2.0)
    assert axis.index == 2 and axis.label == "axis2"
    out = axis.apply({"features": torch.zeros(1, 8), "coords": torch.zeros(1, 3)}, 0.5)
    assert out["coords"].tolist() == [[0.0, 0.0, 0.5]]
