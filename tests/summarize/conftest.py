"""Planted run directories: evaluations.jsonl and summary.json written with the core's recorder.

Tests plant a known landscape (how many evaluations and failures each concept state gets) and
check that summaries recover it, so every expected number in a test is known by construction.
The grid in summary.json, geometry included, is the core's own
(:meth:`ffade.concepts.ConceptSpace.describe`), as an explorer writes it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from ffade.concepts import ConceptSpace
from ffade.plugin_api import Concept
from ffade.records import POLICY_FILE, EvaluationRecord, RunRecorder

Counts = Callable[[tuple[int, ...]], tuple[int, int]]
"""state -> (evaluations, failures) planted there."""


class PlantedConcept(Concept):
    """A concept with any grid (numbers or operators) and a chosen no-op; it changes nothing."""

    plugin_name: ClassVar[str] = "planted"

    def __init__(self, values: list[Any], label: str, neutral: Any = 0) -> None:
        super().__init__(values, label)
        self.neutral = neutral

    def check_value(self, value: Any) -> None:
        pass

    def apply(self, inputs: Any, value: Any) -> Any:
        return inputs


def planted_space(
    grid_values: dict[str, list[Any]], neutral: dict[str, Any] | None = None
) -> ConceptSpace:
    """The concept space of ``grid_values``, each concept's no-op 0 unless ``neutral`` names it."""
    neutral = neutral or {}
    return ConceptSpace(
        [PlantedConcept(v, label, neutral.get(label, 0)) for label, v in grid_values.items()]
    )


def write_run(
    run_dir: Path,
    grid_values: dict[str, list[Any]],
    counts: Counts | dict[tuple[int, ...], tuple[int, int]],
    policy: np.ndarray | None = None,
    neutral: dict[str, Any] | None = None,
    **summary: Any,
) -> Path:
    """Write a run whose state ``s`` has ``counts(s)`` evaluations and failures (inputs 0..n-1).

    ``neutral`` sets concepts' no-op values (default 0); ``summary`` adds or replaces keys.
    """
    lookup = counts if callable(counts) else (lambda s: counts.get(s, (0, 0)))
    space = planted_space(grid_values, neutral)
    recorder = RunRecorder(run_dir)
    grid = list(grid_values.values())
    step = failures = 0
    failing_states = 0
    for state in itertools.product(*(range(len(v)) for v in grid)):
        n, k = lookup(state)
        values = {
            label: grid[i][j] for i, (label, j) in enumerate(zip(grid_values, state, strict=True))
        }
        recorder.append(
            EvaluationRecord(
                step=step + i,
                input_id=i,
                state=list(state),
                concepts=values,
                metric=float(i < k),
                reward=1.0 if i < k else -1.0,
                failed=i < k,
            )
            for i in range(n)
        )
        step += n
        failures += k
        failing_states += k > 0
    recorder.close()
    if policy is not None:
        np.save(run_dir / POLICY_FILE, policy)
    recorder.write_summary(
        {
            "explorer": "grid",
            "mode": "macroscopic",
            "concepts": space.describe(),
            "neutral_state": space.neutral.tolist(),
            "evaluations": step,
            "failures": failures,
            "distinct_failure_states": failing_states,
            "gradient_updates": 0,
            "wall_seconds": 1.5,
            "seed": 0,
            "status": "finished",
            "budget": step,
            "task": {"name": "planted"},
            **summary,
        }
    )
    return run_dir


@pytest.fixture
def space_of() -> Callable[..., ConceptSpace]:
    """``space_of(concepts, neutral=None)`` -> the core's concept space of a planted grid."""
    return planted_space


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """``make_run(name, concepts, counts, policy=None, neutral=None, **summary)`` -> a run dir."""

    def make(name: str, *args: Any, **kwargs: Any) -> Path:
        return write_run(tmp_path / name, *args, **kwargs)

    return make


IMAGE_CONCEPTS: dict[str, list[Any]] = {
    "rotation": [0, 10, 20, 30, 40],
    "brightness": [0.2, 0.4, 0.6, 0.8, 1.0],
    "blur": [0, 1, 2],
}
"""A 5 x 5 x 3 grid like the paper's image concepts."""


def planted_image_counts(state: tuple[int, ...]) -> tuple[int, int]:
    """Rotation >= 30 and brightness <= 0.4 fail 9 of 10 (any blur); one lone state fails 2 of 2;
    everything else fails 1 of 10."""
    rotation, brightness, _ = state
    if rotation >= 3 and brightness <= 1:
        return 10, 9
    if state == (0, 4, 2):
        return 2, 2
    return 10, 1


@pytest.fixture
def image_concepts() -> dict[str, list[Any]]:
    return {label: list(values) for label, values in IMAGE_CONCEPTS.items()}


@pytest.fixture
def image_run(make_run: Callable[..., Path]) -> Path:
    """The planted image run: one 12-state region (108/120 failures) and one lone 2/2 state."""
    return make_run("image", IMAGE_CONCEPTS, planted_image_counts)
