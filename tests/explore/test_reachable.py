"""What a microscopic search can still reach: failures wall off what lies behind them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ffade import registry
from ffade.concepts import ConceptSpace
from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.reachable import ReachedInputs, unreached_pairs
from ffade.explore.run import discover
from tests.helpers import ffade_in_process, synthetic_spec, write_config

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


def test_unreached_pairs_counts_what_episodes_could_still_reach() -> None:
    """On a 1x5 line from state 0: a failure at 2 walls off 3 and 4; a state never evaluated
    may pass, so what lies behind it counts too; max_steps cuts the range."""
    space = _space(5, 1)
    start = np.array([0, 0])
    walled = _evaluator(space, {(0, 0): False, (1, 0): False, (2, 0): True})
    assert unreached_pairs(walled, start, max_steps=4) == (0, 0, 0)
    gap = _evaluator(space, {(0, 0): False, (2, 0): True})
    assert unreached_pairs(gap, start, max_steps=4) == (1, 1, 1)
    open_line = _evaluator(space, {(0, 0): False, (1, 0): False})
    assert unreached_pairs(open_line, start, max_steps=4) == (3, 2, 4)
    assert unreached_pairs(open_line, start, max_steps=3) == (2, 2, 3)


def test_a_microscopic_run_ended_by_max_idle_steps_says_what_it_left(tmp_path: Path) -> None:
    """``max_idle_steps`` ended a microscopic search whose episodes could still reach pairs it
    never evaluated (on small tasks, the far edge of their range), and the run said only "N
    steps without a new evaluation", as if nothing were left. It now says how many pairs were
    left and how far out. Here no state within reach fails (the one planted box lies beyond
    max_steps), so every pair within max_steps of the start can be reached: the count is
    those pairs less the log's."""
    task = synthetic_spec(num_concepts=2, num_inputs=8, mode="microscopic")
    task["target"] = {"name": "synthetic", "args": {"regions": [{0: [0.9, 1.0]}]}}
    task["target"]["args"]["fragility_growth"] = 0
    config = write_config(
        tmp_path / "c.yaml",
        explorer="ffade.explore.RandomExplorer",
        budget=500,
        task=task,
        num_envs=4,
        max_steps=3,
        max_idle_steps=2,
        coverage_probes=0,
    )
    done = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    (run,) = (tmp_path / "runs" / "test").iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stop_reason"] == "2 steps without a new evaluation (max_idle_steps)"
    logged = {
        (r["input_id"], tuple(r["state"]))
        for r in map(json.loads, (run / "evaluations.jsonl").read_text().splitlines())
    }
    near = [s for s in itertools.product(range(10), repeat=2) if sum(s) <= 3]
    left = [sum(s) for i in range(summary["num_inputs"]) for s in near if (i, s) not in logged]
    assert left, "the search reached every pair: nothing to tell"
    moves = f"{min(left)} to {max(left)} moves" if min(left) != max(left) else None
    moves = moves or f"{min(left)} move" + ("s" if min(left) != 1 else "")
    plural = "s" if len(left) != 1 else ""
    note = (
        f"ffade: note: max_idle_steps (2) ended the search with {len(left)} (input, state) "
        f"pair{plural} its episodes could still reach never evaluated, {moves} from the start "
        "state: episodes of at most max_steps (3) moves kept walking over states evaluated "
        "already and seldom went that far; a smaller max_idle_steps ends such a search sooner"
    )
    assert note in done.stderr.splitlines(), done.stderr[-2000:]
