"""What a microscopic search can still reach: failures wall off what lies behind them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ffade import registry
from ffade.concepts import ConceptSpace
from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.reachable import ReachedInputs
from ffade.explore.run import discover
from tests.helpers import synthetic_spec

CORNER = {"axis0": 1.0, "axis1": 1.0, "axis2": 1.0}  # inside the default preset's corner box


def _evaluator(space: ConceptSpace, outcomes: dict[tuple[int, ...], bool]) -> SimpleNamespace:
    """One input whose memo holds ``outcomes`` ({state: failed}), as an Evaluator's does."""
    memo = {int(space.flat(np.array(s))): (0.0, 0.0, failed) for s, failed in outcomes.items()}
    return SimpleNamespace(space=space, memo=memo, evaluations=len(memo), num_inputs=1)


def _space(*sizes: int) -> ConceptSpace:
    return ConceptSpace(
        [
            registry.create(
                "concept", "axis", {"index": i, "values": np.linspace(0, 1, n).tolist()}
            )
            for i, n in enumerate(sizes)
        ]
    )


def test_a_failure_walls_off_the_states_behind_it() -> None:
    """A 1x5 line from state 0 with a failure at 2: 3 and 4 are within max_steps, unreachable."""
    space = _space(5, 1)
    start = np.array([0, 0])
    walled = _evaluator(space, {(0, 0): False, (1, 0): False, (2, 0): True})
    assert ReachedInputs().all_reached(walled, start, max_steps=4)
    # the start itself (reached by a stop) must be evaluated too, even where it fails
    no_start = _evaluator(space, {(1, 0): False, (2, 0): True})
    assert not ReachedInputs().all_reached(no_start, start, max_steps=4)
    # a pass where the failure was opens the rest of the line
    open_line = _evaluator(space, {(0, 0): False, (1, 0): False, (2, 0): False})
    assert not ReachedInputs().all_reached(open_line, start, max_steps=4)
    # ... unless max_steps ends the episodes first
    assert ReachedInputs().all_reached(open_line, start, max_steps=2)


def test_a_failing_start_state_is_left_by_every_move() -> None:
    """Episodes start without an evaluation: a failing start's neighbours are reachable."""
    space = _space(3, 3)
    start = np.array([1, 1])
    only_start = _evaluator(space, {(1, 1): True})
    assert not ReachedInputs().all_reached(only_start, start, max_steps=3)
    ring = {(1, 1): True, (0, 1): True, (2, 1): True, (1, 0): True, (1, 2): True}
    assert ReachedInputs().all_reached(_evaluator(space, ring), start, max_steps=3)


def test_a_search_from_a_failing_corner_stops_once_it_reached_all_it_can(tmp_path: Path) -> None:
    """From a start state that fails with every neighbour, episodes reach 4 states per input; the
    search evaluated them all, then idled 200 steps (max_idle_steps) before it stopped."""
    for i, cls in enumerate((RandomExplorer, DQNExplorer)):
        explorer = cls(
            task=synthetic_spec(mode="microscopic"), budget=500, start_state=CORNER, num_envs=16
        )
        discover(explorer, tmp_path / str(i))
        assert explorer.evaluator.evaluations == explorer.evaluator.num_inputs * 4
        assert explorer.evaluator.failures == explorer.evaluator.evaluations
        assert explorer.stop_reason == (
            "every (input, state) pair its episodes can reach evaluated (failures end them "
            "short of the rest within max_steps (10) of the start state)"
        )
        assert explorer.iterations < 50, explorer.iterations
