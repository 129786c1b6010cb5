"""Barycenters on a grid far past what an array over the whole grid holds (10^8 states): their
mass is held on the grid states it moves to, so they are those of the small grid made of the
same states. Every barycenter used to be refused past 20,000,000 states, however few the atoms."""

from __future__ import annotations

import numpy as np
import pytest

from ffade.errors import FfadeError
from ffade.summarize import transport
from ffade.summarize.landscape import Landscape
from ffade.summarize.transport import barycenter

SHAPE = (10,) * 8  # 10^8 states
AXIS = np.linspace(0.0, 1.0, 10)
BOX_LOW = np.array([2, 2, 2, 5, 5, 5, 5, 5])  # every failure below lies in values 2..4, 2..4, 2..4
BOX_SHAPE = (3, 3, 3, 1, 1, 1, 1, 1)
FAILURES = [  # (state, failures of 4 evaluations) per landscape
    [((2, 2, 2, 5, 5, 5, 5, 5), 4), ((4, 3, 2, 5, 5, 5, 5, 5), 2)],
    [((4, 4, 4, 5, 5, 5, 5, 5), 3), ((2, 3, 3, 5, 5, 5, 5, 5), 4)],
    [((3, 4, 2, 5, 5, 5, 5, 5), 4), ((2, 2, 4, 5, 5, 5, 5, 5), 1)],
]


def large(failed: list[tuple[tuple[int, ...], int]]) -> Landscape:
    """A landscape on the 10^8-state grid that evaluated only the states ``failed`` lists."""
    flat = np.ravel_multi_index(np.array([s for s, _ in failed]).T, SHAPE)
    order = np.argsort(flat)
    counts = np.array([n for _, n in failed])[order]
    return Landscape(
        [f"axis{i}" for i in range(8)],
        [list(range(10))] * 8,
        [AXIS] * 8,
        flat[order],
        np.full(len(flat), 4),
        counts,
        (0,) * 8,
    )


def small(failed: list[tuple[tuple[int, ...], int]]) -> Landscape:
    """The same landscape on the 27-state grid of the box its failures lie in (same coordinates,
    so the same ground cost between any two of its states)."""
    evaluations = np.zeros(BOX_SHAPE, dtype=np.int64)
    failures = np.zeros(BOX_SHAPE, dtype=np.int64)
    for state, count in failed:
        local = tuple(np.array(state) - BOX_LOW)
        evaluations[local], failures[local] = 4, count
    return Landscape.from_counts(
        [f"axis{i}" for i in range(8)],
        [list(range(lo, lo + n)) for lo, n in zip(BOX_LOW, BOX_SHAPE, strict=True)],
        [AXIS[lo : lo + n] for lo, n in zip(BOX_LOW, BOX_SHAPE, strict=True)],
        evaluations,
        failures,
        (0,) * 8,
    )


@pytest.mark.parametrize(
    ("count", "support"), [(2, "auto"), (3, "free"), (3, "grid"), (3, "auto"), (2, "grid")]
)
def test_a_barycenter_on_a_large_grid_is_the_one_on_the_small_grid_of_its_states(
    count: int, support: str
) -> None:
    """Exact (two), free support and grid support: the same atoms, masses and bound, and the
    same grid states carrying the same mass, as on the small grid."""
    got = barycenter([large(f) for f in FAILURES[:count]], support=support)
    want = barycenter([small(f) for f in FAILURES[:count]], support=support)
    np.testing.assert_allclose(got.coordinates, want.coordinates, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.mass, want.mass, rtol=1e-12)
    assert (got.bound is None) == (want.bound is None)
    if got.bound is not None:
        assert got.bound == pytest.approx(want.bound, rel=1e-9)
    assert got.shape == SHAPE and got.grid_states.dtype.kind == "i"
    states = np.stack(np.unravel_index(got.grid_states, SHAPE), axis=-1) - BOX_LOW
    want_states = np.stack(np.unravel_index(want.grid_states, BOX_SHAPE), axis=-1)
    np.testing.assert_array_equal(states, want_states)
    np.testing.assert_allclose(got.grid_state_mass, want.grid_state_mass, rtol=1e-9, atol=1e-15)
    assert got.grid_state_mass.sum() == pytest.approx(1.0)
    # the small grid's array, read as before
    assert want.grid_mass[tuple(want_states.T)] == pytest.approx(want.grid_state_mass)


def test_a_large_grid_s_grid_mass_is_one_line_naming_the_sparse_states() -> None:
    result = barycenter([large(f) for f in FAILURES[:2]])
    with pytest.raises(
        FfadeError, match=r"1e\+08 states.*read its grid_states and grid_state_mass"
    ):
        _ = result.grid_mass


def test_a_grid_support_past_what_it_can_hold_is_one_line_and_auto_turns_to_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failures at opposite corners span the whole 10^8-state grid: the grid support cannot
    hold that box, and says so; "auto" (three landscapes, past the free-support size it
    prefers) takes the free support instead of refusing."""
    spread = [
        [((0,) * 8, 4), ((9,) * 8, 4)],
        [((9, 0, 9, 0, 9, 0, 9, 0), 4)],
        [((0, 9, 0, 9, 0, 9, 0, 9), 4)],
    ]
    landscapes = [large(f) for f in spread]
    with pytest.raises(FfadeError, match=r"box of concept values.*1e\+08 states.*support='free'"):
        barycenter(landscapes, support="grid")
    # every free step "large", so auto would take the grid support it cannot hold
    monkeypatch.setattr(transport, "FREE_SUPPORT_ENTRIES", 1)
    result = barycenter(landscapes)
    assert result.bound is None  # the free-support fixed point
    assert result.grid_state_mass.sum() == pytest.approx(1.0)
