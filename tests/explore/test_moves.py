"""Microscopic moves: a known failure is closed (a stop at a failing start too), and each move
says whether it leads to a known pair (ffade.explore.moves); every evaluation is one grid step
from where its episode stood."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ffade.concepts import STOP
from ffade.evaluator import Evaluator
from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.moves import microscopic_moves
from ffade.explore.run import discover
from ffade.task import build_task
from tests.helpers import synthetic_spec


def _evaluator() -> Evaluator:
    return Evaluator(build_task(synthetic_spec(num_concepts=2, num_inputs=4)), budget=None)


def _know(evaluator: Evaluator, pairs: dict[tuple[int, int, int], bool]) -> None:
    """Make the memo hold these (input, state) pairs, failed or not, as a resumed run's would."""
    memo = {}
    for (input_id, *state), failed in pairs.items():
        key = int(evaluator.keys(np.array([input_id]), np.array([state]))[0])
        memo[key] = (5.0, 1.0, True) if failed else (-5.0, -1.0, False)
    failures = sum(pairs.values())
    evaluator.load_state_dict(
        {"memo": memo, "evaluations": len(memo), "failures": failures, "invalid": 0}
    )


def test_a_move_into_a_known_failure_is_closed_and_known_passes_are_flagged() -> None:
    evaluator = _evaluator()
    # plant a known failure at (1, 0) and a known pass at (0, 1), for input 0 only
    _know(evaluator, {(0, 1, 0): True, (0, 0, 1): False})
    moves = microscopic_moves(evaluator, np.array([0, 1]), np.array([[0, 0], [0, 0]]))
    # moves: stop, axis0 down, axis0 up, axis1 down, axis1 up
    assert moves.next_states[0].tolist() == [[0, 0], [0, 0], [1, 0], [0, 0], [0, 1]]
    assert moves.open[0].tolist() == [True, False, False, False, True]  # off-grid, known failure
    assert moves.evaluated[0].tolist() == [False, False, True, False, True]
    # another input knows nothing yet: its move up axis0 is open and unevaluated
    assert moves.open[1].tolist() == [True, False, True, False, True]
    assert not moves.evaluated[1].any()
    assert moves.stop[:, STOP].all() and not moves.stop[:, 1:].any()


def test_a_stop_at_a_start_state_known_to_fail_is_closed_while_another_move_is_open() -> None:
    """A stop there evaluates nothing and ends the episode, as a move into a known failure
    would: left open, a DQN from a failing start learned to take it for most of its moves."""
    evaluator = _evaluator()
    _know(evaluator, {(0, 0, 0): True, (0, 1, 0): True})
    moves = microscopic_moves(evaluator, np.array([0, 1]), np.array([[0, 0], [0, 0]]))
    assert moves.evaluated[0, STOP] and not moves.open[0, STOP]
    assert moves.open[0].tolist() == [False, False, False, False, True]  # only axis1 up is left
    assert moves.open[1, STOP]  # input 1 has not failed there: its stop evaluates it


def test_a_stop_stays_open_when_every_other_move_is_a_known_failure() -> None:
    """An episode must act: with the start and both its neighbours known failures, the stop
    is its only move (and the search's reachability stop ends such a run)."""
    evaluator = _evaluator()
    _know(evaluator, {(0, 0, 0): True, (0, 1, 0): True, (0, 0, 1): True})
    moves = microscopic_moves(evaluator, np.array([0]), np.array([[0, 0]]))
    assert moves.open[0].tolist() == [True, False, False, False, False]


def test_a_microscopic_run_re_walks_pairs_it_knows_without_evaluating_them_again(
    tmp_path: Path,
) -> None:
    """docs/discovery.md: episodes start at the start state and walk over states evaluated
    already, but each (input, state) pair goes through the target once: a repeat is the memo's
    answer, costs no budget and is not logged again."""
    spec = synthetic_spec(mode="microscopic", num_concepts=2, num_inputs=4)
    explorer = RandomExplorer(task=spec, budget=60, num_envs=4)
    discover(explorer, tmp_path, seed=0)
    lines = (explorer.recorder.run_dir / "evaluations.jsonl").read_text().splitlines()
    pairs = [(r["input_id"], tuple(r["state"])) for r in map(json.loads, lines)]
    assert len(pairs) == len(set(pairs)) == explorer.evaluator.evaluations
    # many more moves were made than pairs evaluated: the rest were re-walks, paid by the memo
    assert explorer.iterations * explorer.num_envs > 2 * len(pairs)


@pytest.mark.parametrize("cls", [RandomExplorer, DQNExplorer], ids=["random", "dqn"])
@pytest.mark.parametrize("start", [None, {"axis0": 0.444}], ids=["neutral", "failing-start"])
def test_every_microscopic_evaluation_is_one_grid_step_from_where_its_episode_was(
    tmp_path: Path, cls, start: dict[str, float] | None
) -> None:
    """docs/discovery.md: a move changes one concept by one grid step, and a failure ends the
    episode. So in the log, each input's first record is its start state, and every later one is
    one grid step from its start state or from a pair of the same input logged earlier as a pass:
    nothing is evaluated past a failure or more than a step from a state an episode stood on
    (from a start state that fails, episodes still walk on from it)."""
    explorer = cls(
        task=synthetic_spec(mode="microscopic"), budget=80, num_envs=8, start_state=start
    )
    discover(explorer, tmp_path, name=cls.name)
    run_dir = explorer.recorder.run_dir
    begin = tuple(json.loads((run_dir / "summary.json").read_text())["start_state"])
    passed: set[tuple[int, tuple[int, ...]]] = set()
    seen: set[int] = set()
    for line in (run_dir / "evaluations.jsonl").read_text().splitlines():
        record = json.loads(line)
        input_id, state = record["input_id"], tuple(record["state"])
        if input_id not in seen:
            assert state == begin, record  # its first record: the start state
            seen.add(input_id)
        else:
            came_from = [begin] + [s for i, s in passed if i == input_id]
            steps = [sum(abs(a - b) for a, b in zip(state, s, strict=True)) for s in came_from]
            assert min(steps) == 1, record
        if not record["failed"]:
            passed.add((input_id, state))
    assert len(seen) == 8 and explorer.evaluator.evaluations == 80
