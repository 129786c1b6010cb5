"""Values in messages said as the YAML a user typed (``ffade/written.py``)."""

import numpy as np
import pytest
import torch

from ffade.errors import ConceptValueError, PluginError
from ffade.plugin_api import Concept
from ffade.plugin_checks import checked_features
from ffade.written import a_type, as_written


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, "null"),
        (True, "true"),
        ([1, None, False], "[1, null, false]"),
        ((0.5, "x"), "[0.5, x]"),
        ({"fill": None, "axis": [True]}, "{fill: null, axis: [true]}"),
        ("None", "'None'"),
        (["axis"], "[axis]"),  # was ['axis'], Python's quotes
        (["5", "null", "a, b", "-x"], "['5', 'null', 'a, b', -x]"),  # quoted where YAML must
        (["two\nlines"], '["two\\nlines"]'),  # one line, as a message is
    ],
)
def test_a_value_is_said_as_yaml_writes_it(value: object, said: str) -> None:
    """A list or mapping said its items as Python does (``values repeat: [None, None]``), and its
    strings with Python's quotes (``got ['axis']``, ``{'name': 'rotation'}``)."""
    assert as_written(value) == said


class _Switch(Concept):
    """A concept whose grid may hold any YAML value (a plugin's on/off switch)."""

    neutral = 0

    def check_value(self, value: object) -> None:
        """Any value: the test is about the repeat message."""

    def apply(self, inputs: object, value: object) -> object:
        return inputs


def test_repeated_values_are_said_as_yaml() -> None:
    """``values: [1, true]`` repeats (YAML's true is Python's 1): the message printed Python's
    ``[1, True]``; it says the list as the config wrote it."""
    with pytest.raises(ConceptValueError, match=r"^concept 'switch': values repeat: \[1, true\]$"):
        _Switch(values=[1, True], label="switch")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (np.zeros(2), "an ndarray"),  # said "en-dee-array": "a ndarray" read as a slip
        (3, "an int"),
        (object(), "an object"),
        ([1], "a list"),
        (torch.zeros(1), "a Tensor"),
    ],
)
def test_a_type_takes_the_article_it_reads_with(value: object, said: str) -> None:
    assert a_type(value) == said


class _NumpyFeatures:
    """A target whose features() returns a NumPy array, not a tensor."""

    def features(self, inputs: object) -> np.ndarray:
        return np.zeros((2, 3))


def test_an_array_returned_for_features_is_an_ndarray_in_the_error() -> None:
    """The features check said "returned a ndarray": the line a plugin's author reads."""
    with pytest.raises(PluginError) as error:
        checked_features(_NumpyFeatures(), {}, 2)
    assert str(error.value) == (
        "target '_NumpyFeatures': features() returned an ndarray for a batch of 2 inputs; "
        "return a (2, d) tensor"
    )
