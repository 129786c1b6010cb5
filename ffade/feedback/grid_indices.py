"""Checks that a feedback.yaml's ``states`` and ``allowed`` index its ``concepts`` grid.

Split from :mod:`ffade.feedback.priorities`, which reads the file: a hand-edited index off the
grid, or one that is no whole number (YAML's ``true`` is no 1), would make a fine-tuner train
on a concept value the run never searched.
"""

from __future__ import annotations

from typing import Any

from ffade.errors import FfadeError


def check_states(states: Any, where: str, concepts: dict[Any, list[Any]]) -> None:
    """Raise unless ``states`` is a non-empty list of grid indices, one within each concept's
    values: a state off the grid would make the fine-tuner train on a concept value that the
    run never searched."""
    sizes = [len(v) for v in concepts.values()]
    if (
        not isinstance(states, list)
        or not states
        or not all(
            isinstance(s, list)
            and len(s) == len(sizes)
            and all(
                isinstance(j, int) and not isinstance(j, bool) and 0 <= j < n  # true is no 1
                for j, n in zip(s, sizes, strict=True)
            )
            for s in states
        )
    ):
        raise FfadeError(
            f"{where}: 'states' must be a non-empty list of grid indices, one per concept "
            f"within sizes {sizes} ({', '.join(map(str, concepts))})"
        )


def check_allowed(allowed: Any, where: str, concepts: dict[Any, list[Any]]) -> None:
    """Raise unless a rule's ``allowed`` is one non-empty list of grid indices per concept."""
    sizes = [len(v) for v in concepts.values()]
    if not (
        isinstance(allowed, list)
        and len(allowed) == len(sizes)
        and all(
            isinstance(a, list)
            and a
            and all(isinstance(j, int) and not isinstance(j, bool) and 0 <= j < n for j in a)
            for a, n in zip(allowed, sizes, strict=True)
        )
    ):
        raise FfadeError(
            f"{where}: 'allowed' must be one non-empty list of grid indices per concept "
            f"within sizes {sizes} ({', '.join(map(str, concepts))}), or left out"
        )
