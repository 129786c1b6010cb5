"""The tests a candidate rule must pass on a landscape's evaluated states
(ffade/summarize/rule_evidence.py), asked directly rather than through the rule search."""

from __future__ import annotations

import numpy as np

from ffade.summarize.landscape import load_landscape
from ffade.summarize.rule_evidence import EvaluatedStates, reaches

GRID = {"blur": [0, 1, 2, 3], "contrast": [0.8, 0.9, 1.0]}


def counts(state: tuple[int, ...]) -> tuple[int, int]:
    """Blur >= 2 fails 19 of 20, but blur 3 at contrast 0.8 passes 40 of 40; the rest fails 1
    of 20."""
    blur, contrast = state
    if (blur, contrast) == (3, 0):
        return (40, 0)
    return (20, 19) if blur >= 2 else (20, 1)


def rule(blur: list[int], contrast: list[int]) -> list[np.ndarray]:
    """A rule as EvaluatedStates takes it: one boolean array over each concept's values."""
    return [np.isin(np.arange(4), blur), np.isin(np.arange(3), contrast)]


def test_a_rule_holds_only_once_the_value_that_passes_inside_it_is_removed(make_run) -> None:
    data = EvaluatedStates(load_landscape(make_run("gap", GRID, counts)), 0.5, 3)
    assert data.mask(rule([2, 3], [0, 1, 2])).sum() == 6
    # blur >= 2: contrast 0.8 inside it fails 19 of 60, confidently below 50%: remove it
    assert data.passing(data.mask(rule([2, 3], [0, 1, 2]))) == (1, 0)
    assert not data.holds(rule([2, 3], [0, 1, 2]))
    trimmed = rule([2, 3], [1, 2])
    assert data.passing(data.mask(trimmed)) is None
    assert data.holds(trimmed) and data.evident(trimmed)
    # blur < 2 fails 1 of 20: no rule; the whole grid, 101 of 260, is below the threshold
    assert not data.holds(rule([0, 1], [0, 1, 2]), apart=False)
    assert not data.holds(rule([0, 1, 2, 3], [0, 1, 2]), apart=False)


def test_a_rule_as_likely_to_fail_as_the_rest_is_not_apart(make_run) -> None:
    """Everything fails 19 of 20: "blur >= 2" is true, but says nothing the rest does not."""
    data = EvaluatedStates(load_landscape(make_run("even", GRID, lambda s: (20, 19))), 0.5, 3)
    assert data.holds(rule([2, 3], [0, 1, 2]), apart=False)
    assert not data.holds(rule([2, 3], [0, 1, 2]))


def test_evidence_is_the_intervals_lower_end_reaching_the_threshold(make_run) -> None:
    thin = {(2, 1): (2, 2), **{(b, c): (20, 0) for b in (0, 1) for c in range(3)}}
    data = EvaluatedStates(load_landscape(make_run("thin", GRID, thin)), 0.5, 1)
    only = rule([2], [1])
    assert data.holds(only)  # 2 of 2 fail, well apart from the rest's 0 of 120
    assert not data.evident(only)  # but 2 evaluations put the CI's lower end at 34%
    assert reaches(0.5 - 1e-13, 0.5) and not reaches(0.49, 0.5)
