"""Concept spaces: index <-> values, macroscopic and microscopic actions, huge grids."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffade import registry
from ffade.concepts import STOP, ConceptSpace
from ffade.errors import ConceptValueError


def space(sizes: list[int]) -> ConceptSpace:
    concepts = [
        registry.create(
            "concept", "axis", {"index": i, "values": list(np.linspace(0, 1, n).round(4))}
        )
        for i, n in enumerate(sizes)
    ]
    return ConceptSpace(concepts)


@settings(deadline=None)  # building concepts through the registry, not the check, takes the time
@given(st.lists(st.integers(1, 7), min_size=1, max_size=5), st.data())
def test_flat_index_round_trips(sizes: list[int], data: st.DataObject) -> None:
    s = space(sizes)
    flat = data.draw(st.integers(0, s.num_states - 1))
    state = s.unflat(flat)
    assert s.flat(state) == flat
    assert np.all((state >= 0) & (state < s.sizes))


def test_values_and_index_of_are_inverse() -> None:
    s = space([3, 4])
    state = np.array([2, 1])
    assert s.values(state) == {"axis0": 1.0, "axis1": 0.3333}
    assert s.index_of(s.values(state)).tolist() == [2, 1]


def test_changes_name_what_differs_from_the_no_op_not_from_the_grids_mildest_value() -> None:
    axes = [
        registry.create("concept", "axis", {"index": 0, "values": [0.0, 0.5, 1.0]}),
        registry.create("concept", "axis", {"index": 1, "values": [0.25, 0.5]}),  # no 0: no no-op
    ]
    s = ConceptSpace(axes)
    assert s.changes(s.neutral) == {"axis1": 0.25}
    assert s.changes(np.array([2, 1])) == {"axis0": 1.0, "axis1": 0.5}


def test_index_of_names_the_value_and_grid() -> None:
    with pytest.raises(
        ConceptValueError,
        match=r"'axis0': value 0.7 is not on its grid; allowed: \[0.0, 0.5, 1.0\]",
    ):
        space([3]).index_of({"axis0": 0.7})


def test_index_of_takes_no_boolean_for_a_number() -> None:
    """YAML's true is Python's True, and True == 1: {axis0: true} started at 1.0, unsaid."""
    for value, written in ((True, "true"), (False, "false")):  # said as YAML writes it
        with pytest.raises(ConceptValueError, match=f"value {written} is not on its grid"):
            space([3]).index_of({"axis0": value})
    assert space([3]).index_of({"axis0": 1}).tolist() == [2]  # a whole number is a number


def test_value_outside_allowed_range_is_refused() -> None:
    with pytest.raises(
        ConceptValueError,
        match=r"'axis0': values\[1\] 2.0 is not allowed; expected a position in \[0, 1\]",
    ):
        registry.create("concept", "axis", {"index": 0, "values": [0.0, 2.0]})


def test_microscopic_moves_step_one_concept_and_stay_on_grid() -> None:
    s = space([3, 3])
    states = np.array([[0, 0], [0, 0], [2, 1]])
    moved = s.move(states, np.array([2, 4, 2]))  # axis0 up, axis1 up, axis0 up (at the top)
    assert moved.tolist() == [[1, 0], [0, 1], [2, 1]]
    assert s.move(states, np.array([STOP] * 3)).tolist() == states.tolist()
    valid = s.valid_moves(np.array([[0, 2]]))
    assert valid.tolist() == [[True, False, True, True, False]]


def sample_and_measure(axes: list) -> tuple[ConceptSpace, np.ndarray, np.ndarray, np.ndarray]:
    """Build a space, sample 256 states and map them: (space, states, coordinates, round trip)."""
    s = ConceptSpace(axes)
    states = s.sample(np.random.default_rng(0), 256)
    return s, states, s.coordinates(states), s.unflat(s.flat(states))


def test_a_million_states_cost_only_what_is_sampled() -> None:
    axes = [registry.create("concept", "axis", {"index": i}) for i in range(6)]  # 10 values each
    sample_and_measure(axes[:2])  # first calls import lazily; keep that out of the measurement
    tracemalloc.start()  # numpy reports its buffers to tracemalloc
    try:
        s, states, coords, back = sample_and_measure(axes)
        corner, inner = s.neighbours(np.zeros(6, np.int64)), s.neighbours(np.full(6, 4))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert s.num_states == 10**6
    assert peak < 500_000, f"{peak} bytes; one byte per state alone would take 1,000,000"
    assert np.array_equal(back, states)
    # row-major on a 10^6 grid: a state's indices are the digits of its flat index
    assert s.flat(states).tolist() == [int("".join(map(str, x))) for x in states.tolist()]
    assert coords == pytest.approx(states / 9, abs=1e-3)  # default grid: 0, 0.111, ..., 1
    assert (len(corner), len(inner)) == (6, 12)
    assert {tuple(n - 4) for n in inner} == {
        tuple(step * np.eye(6, dtype=np.int64)[i]) for i in range(6) for step in (-1, 1)
    }


def test_duplicate_labels_are_refused() -> None:
    a = registry.create("concept", "axis", {"index": 0})
    with pytest.raises(ConceptValueError, match="labels repeat: axis0"):
        ConceptSpace([a, a])


@pytest.mark.parametrize("label", [5, "  ", True])
def test_a_concept_made_in_python_needs_a_text_label(label: object) -> None:
    """A concept built in Python skips the config's check; its label still names an axis."""
    concept = registry.create("concept", "axis", {"index": 1})
    concept.label = label
    with pytest.raises(ConceptValueError) as caught:
        ConceptSpace([registry.create("concept", "axis", {"index": 0}), concept])
    assert str(caught.value) == f"concept 1 (Axis): label must be a non-empty name, got {label!r}"


@pytest.mark.parametrize("label", ["a\nb", "rot\t", " rot", "\x1b[1mrot"])
def test_a_label_is_one_line_with_no_space_at_its_ends(label: str) -> None:
    """A newline split report.md's rows; ' rot' is typed 'rot' in --axes and refused there."""
    concept = registry.create("concept", "axis", {"index": 1})
    concept.label = label
    with pytest.raises(ConceptValueError) as caught:
        ConceptSpace([registry.create("concept", "axis", {"index": 0}), concept])
    assert str(caught.value).endswith(f"got {label!r}; one line, no space at its ends")


def test_uneven_numeric_grids_keep_their_geometry() -> None:
    concept = registry.create("concept", "axis", {"index": 0, "values": [0.0, 0.1, 1.0]})
    assert concept.coordinates().tolist() == pytest.approx([0.0, 0.1, 1.0])


def test_describe_records_each_concepts_grid_and_geometry() -> None:
    """What summary.json holds, so readers never re-derive coordinates or the neutral state."""
    axes = [
        registry.create("concept", "axis", {"index": 0, "values": [0.2, 0.3, 1.0]}),  # no no-op
        registry.create("concept", "axis", {"index": 1, "values": [1.0, 0.0, 0.5]}),
    ]
    s = ConceptSpace(axes)
    first, second = json.loads(json.dumps(s.describe()))
    assert first == {
        "label": "axis0",
        "plugin": "axis",
        "values": [0.2, 0.3, 1.0],
        "coordinates": pytest.approx([0.0, 0.125, 1.0]),
        "neutral": 0.0,
        "neutral_index": 0,  # 0.2, the value closest to the no-op 0.0
        "keeps_meaning": True,
    }
    assert second["coordinates"] == [1.0, 0.0, 0.5] and second["neutral_index"] == 1
    recorded = np.array([first["coordinates"], second["coordinates"]]).T
    assert [first["neutral_index"], second["neutral_index"]] == s.neutral.tolist()
    np.testing.assert_allclose(s.coordinates(np.array([[0, 0], [1, 1], [2, 2]])), recorded)


def test_a_grid_past_what_int64_numbers_is_one_line_not_numpys_overflow() -> None:
    """Twenty concepts of ten values (10^20 states) stopped ``ffade fit`` with numpy's
    'OverflowError: Python int too large to convert to C long' from the grid's strides."""
    concepts = [
        registry.create("concept", "axis", {"index": 0, "label": f"a{i}"}) for i in range(20)
    ]
    shape = " x ".join(["10"] * 20)
    with pytest.raises(ConceptValueError) as refused:
        ConceptSpace(concepts)
    assert str(refused.value) == (
        f"the concept grid has 1e+20 states ({shape}), more than the 9.22e+18 ffade can "
        "number; search fewer concepts or coarser grids"
    )
