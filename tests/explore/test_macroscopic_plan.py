"""How the DQN plans a macroscopic step (ffade/explore/macroscopic_plan.py): which (input,
state) pairs a step takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ffade.explore import DQNExplorer, GridExplorer
from ffade.explore.run import discover
from tests.helpers import synthetic_spec


@pytest.mark.parametrize("epsilon", [0.0, 1.0])
def test_a_planned_step_is_distinct_pairs_not_yet_evaluated(tmp_path: Path, epsilon: float) -> None:
    """Greedy (epsilon 0) or random (epsilon 1), a step's pairs are as many as asked, all
    different, and none evaluated before (half the grid's 200 pairs are): the memo would answer
    them for nothing."""
    spec = synthetic_spec(num_concepts=2, num_inputs=16)  # 8 discovery inputs
    for concept in spec["concepts"]:
        concept["args"]["values"] = [0.0, 0.25, 0.5, 0.75, 1.0]
    explorer = DQNExplorer(task=spec, budget=96, num_envs=16, learning_starts=32)
    discover(explorer, tmp_path, seed=0)
    assert explorer.evaluator.evaluations == 96
    assert explorer.gradient_updates > 0  # the Q-network scores the pairs
    explorer.epsilon = epsilon
    input_ids, states = explorer._plan_macroscopic_step(16)
    keys = input_ids * explorer.space.num_states + explorer.space.flat(states)
    assert len(keys) == len(set(keys.tolist())) == 16
    assert not explorer.evaluator.is_evaluated(keys).any()


def test_budget_goes_to_inputs_that_can_fail(tmp_path: Path) -> None:
    """Half the inputs never fail (negative growth shrinks their boxes away); they get less."""
    spec = synthetic_spec(num_inputs=32)
    spec["target"]["args"] = {"fragility_growth": -0.3}
    grid = discover(GridExplorer(task=spec, budget=10**6, num_envs=1000), tmp_path, name="grid")
    num_states = grid.space.num_states
    failures = np.bincount(
        [k // num_states for k, (_, _, failed) in grid.evaluator.memo.items() if failed],
        minlength=grid.evaluator.num_inputs,
    )
    never = failures == 0
    assert 0 < never.sum() < len(never)
    explorer = discover(DQNExplorer(task=spec, budget=1600), tmp_path, seed=0, name="dqn")
    spent = np.bincount([k // num_states for k in explorer.evaluator.memo], minlength=len(never))
    # uniform spending would give every input 100 evaluations
    assert spent[never].mean() < 0.6 * spent[~never].mean(), (spent[never], spent[~never])


def test_a_grid_smaller_than_a_step_is_covered_once(tmp_path: Path) -> None:
    spec = synthetic_spec(num_concepts=1, num_inputs=8)
    spec["concepts"][0]["args"]["values"] = [0.0, 0.5, 1.0]
    explorer = DQNExplorer(task=spec, budget=100, num_envs=64, learning_starts=8)
    discover(explorer, tmp_path, seed=0)
    pairs = explorer.evaluator.num_inputs * 3
    assert explorer.evaluator.evaluations == len(explorer.evaluator.memo) == pairs


def test_the_exploration_bonus_brings_the_dqn_back_to_a_small_region(tmp_path: Path) -> None:
    """A 2-state island beside a 20-state one: without optimism the DQN never returns to it."""
    spec = synthetic_spec(num_concepts=3, num_inputs=8)
    for concept in spec["concepts"]:
        concept["args"]["values"] = [0.0, 0.25, 0.5, 0.75, 1.0]
    big, small = {0: [0.7, 1.0], 1: [0.7, 1.0]}, {0: [0.0, 0.05], 1: [0.0, 0.05], 2: [0.45, 0.8]}
    spec["target"]["args"] = {"regions": [big, small]}
    taken = {}
    for bonus in (0.0, 8.0):
        explorer = DQNExplorer(
            task=spec, budget=240, num_envs=16, exploration_bonus=bonus, gradient_steps=4
        )
        discover(explorer, tmp_path, seed=2, name=f"bonus_{bonus}")
        num_states = explorer.space.num_states
        failing = [k for k, (_, _, failed) in explorer.evaluator.memo.items() if failed]
        states = explorer.space.unflat(np.asarray(failing) % num_states)
        taken[bonus] = int(((states[:, 0] == 0) & (states[:, 1] == 0)).sum())
    # 4 discovery inputs x 2 island states = 8 failing pairs on the small island
    assert taken[0.0] <= 2 and taken[8.0] >= 6, taken
