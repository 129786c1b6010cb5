from __future__ import annotations

import numpy as np
import pytest

from ffade.summarize import grid_barycenter as module
from ffade.summarize.grid_barycenter import grid_barycenter, regularization

EVEN = np.linspace(0.0, 1.0, 5)
CLOSE = np.array([0.0, 0.01, 0.5, 0.75, 1.0])  # two values much closer than the others


def spread_masses(shape: tuple[int, ...], count: int = 3) -> np.ndarray:
    masses = np.random.default_rng(0).random((count, *shape)) ** 4
    return masses / masses.reshape(count, -1).sum(axis=1).reshape(-1, *[1] * len(shape))


def test_two_close_values_do_not_sharpen_the_regularization() -> None:
    """eps was a quarter of the smallest step of all, squared: 0 and 0.01 on one concept made it
    625 times sharper than the grid's steps of 0.25 need, and the solve did not converge in its
    20,000 iterations (on 4 x 6 values with 0 and 0.05 it ran for minutes). Each concept's
    median step is used: the even grid's eps, a solve that converges, and a bound that counts it."""
    assert regularization([CLOSE, EVEN]) == regularization([EVEN, EVEN]) == 0.25 * 0.25**2
    masses = spread_masses((5, 5))
    b, bound = grid_barycenter(masses, [CLOSE, EVEN], np.full(3, 1 / 3))
    assert b.shape == (5, 5) and b.sum() == pytest.approx(1.0)
    assert 0 < bound < 1


def test_evenly_spaced_grids_keep_their_regularization() -> None:
    """The smallest concept's step, as before: a concept of 3 values beside one of 5 (steps 0.5
    and 0.25) still tells the finer concept's neighbours apart."""
    assert regularization([np.linspace(0, 1, 3), EVEN]) == 0.25 * 0.25**2
    assert regularization([np.array([0.0])]) == 1.0  # no step at all: any eps; one state


def test_a_long_solve_counts_its_iterations_on_a_bar(monkeypatch, capsys) -> None:
    """A grid barycenter of many states ran minutes with nothing on the screen (lowered here so a
    small grid shows the bar a large one gets); a small one draws none."""
    masses = spread_masses((5, 5))
    grid_barycenter(masses, [EVEN, EVEN], np.full(3, 1 / 3))
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(module, "BAR_FROM_ENTRIES", masses.size)
    grid_barycenter(masses, [EVEN, EVEN], np.full(3, 1 / 3))
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("grid barycenter: ") and " iterations [" in line
    assert "marginal error" in line and "(stops at 1e-06)" in line
