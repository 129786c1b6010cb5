"""The evaluated states a failure rule is fitted on, and the tests a rule must pass.

Split from :mod:`ffade.summarize.rules`, which keeps the search (grow, trim, widen a rule):
this module answers the questions that search asks of a candidate rule on the landscape's
evaluated states: which states it holds, whether it holds (its rate reaches the threshold and no
value or pair of values inside it passes confidently), and whether it has enough evidence.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ffade.summarize.landscape import Landscape, wilson_interval
from ffade.summarize.regions import failing_states


def reaches(low: float, threshold: float) -> bool:
    """Whether a failure rate's CI, by its lower end, reaches the threshold for sure: "enough
    evidence" (a rounding's width below, so a rate at the threshold exactly counts)."""
    return low >= threshold - 1e-12


class EvaluatedStates:
    """The evaluated states of a landscape as flat arrays: what rules are fitted on.

    Sparse on purpose: a grid may hold millions of states while a run evaluates thousands.
    """

    def __init__(self, landscape: Landscape, threshold: float, min_evaluations: int) -> None:
        self.landscape = landscape
        self.threshold = threshold
        self.states = landscape.states
        self.n = landscape.visited_evaluations.astype(float)
        self.f = landscape.visited_failures.astype(float)
        self.failing = failing_states(landscape, threshold, min_evaluations)

    def mask(self, allowed: list[np.ndarray]) -> np.ndarray:
        """Which evaluated states a rule (one boolean array over each concept's grid) holds."""
        inside = np.ones(len(self.states), dtype=bool)
        for axis, values in enumerate(allowed):
            inside &= values[self.states[:, axis]]
        return inside

    def holds(self, allowed: list[np.ndarray], apart: bool = True) -> bool:
        """Whether a rule says something true and worth saying.

        True: its pooled rate reaches the threshold and no value or pair of values inside it
        passes confidently. Worth saying (``apart``): its rate is known (its CI's lower end) to
        exceed the rate outside it, so "anywhere" is no rule, nor is a slice that fails no more
        than the rest of the grid; a learning explorer that evaluates mostly failing states
        leaves rates near 1 everywhere, and only such contrasts tell where failures gather.
        """
        inside = self.mask(allowed)
        n, f = self.n[inside].sum(), self.f[inside].sum()
        if n == 0 or f < self.threshold * n - 1e-9 or self.passing(inside) is not None:
            return False
        if not apart:
            return True
        rest_n, rest_f = self.n[~inside].sum(), self.f[~inside].sum()
        low, _ = wilson_interval(f, n)
        return rest_n > 0 and float(low) > rest_f / rest_n

    def evident(self, allowed: list[np.ndarray]) -> bool:
        """Whether a rule's rate is known to reach the threshold (:attr:`Rule.enough_evidence`)."""
        inside = self.mask(allowed)
        low, _ = wilson_interval(self.f[inside].sum(), self.n[inside].sum())
        return reaches(float(low), self.threshold)

    def as_high(self, wider: list[np.ndarray], narrow: list[np.ndarray]) -> bool:
        """Whether the wider rule's rate is within the narrow rule's 95% interval or above: a
        widening that reads no shorter must not trade the rate for coverage."""
        w, k = self.mask(wider), self.mask(narrow)
        low, _ = wilson_interval(self.f[k].sum(), self.n[k].sum())
        return self.f[w].sum() / self.n[w].sum() >= float(low)

    def passing(self, inside: np.ndarray) -> tuple[int, int] | None:
        """(axis, index) of one value to remove because it, or it with one value of another
        concept, passes confidently inside the rule; None if none does.

        For a pair, the value removed is the one whose removal loses fewer failures.
        """
        states, n, f = self.states[inside], self.n[inside], self.f[inside]
        shape = self.landscape.shape
        for axis, size in enumerate(shape):
            slice_n = np.bincount(states[:, axis], n, size)
            slice_f = np.bincount(states[:, axis], f, size)
            passing = self._confidently_passing(slice_f, slice_n)
            if passing.size:
                return axis, int(passing[0])
        for a, b in combinations(range(len(shape)), 2):
            cell = states[:, a] * shape[b] + states[:, b]
            cell_n = np.bincount(cell, n, shape[a] * shape[b])
            cell_f = np.bincount(cell, f, shape[a] * shape[b])
            passing = self._confidently_passing(cell_f, cell_n)
            if passing.size:
                i, j = divmod(int(passing[0]), shape[b])
                lose_a = f[states[:, a] == i].sum()
                lose_b = f[states[:, b] == j].sum()
                return (a, i) if lose_a <= lose_b else (b, j)
        return None

    def _confidently_passing(self, failures: np.ndarray, evaluations: np.ndarray) -> np.ndarray:
        _, high = wilson_interval(failures, evaluations)
        return np.flatnonzero((evaluations > 0) & (np.nan_to_num(high, nan=1.0) < self.threshold))
