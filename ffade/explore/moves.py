"""The microscopic DQN's moves: where each leads, which are open, and which lead to known pairs.

Evaluations are memoized, so a failure already found costs nothing to reach again and, paid the
reward plugin's value again, is the best place an episode can end: with a DQN that could not
tell it from a new one, episodes walked back to known failures, evaluated nothing, and
``max_idle_steps`` ended the search (on ``configs/synthetic.yaml`` in microscopic mode, after 220
of 800 evaluations). Two things change that, both from the memo:

- a move into a failure already found for the episode's input is closed, as the macroscopic DQN
  only picks pairs not evaluated yet: it would find nothing and end the episode. That holds for
  a stop at a start state that fails for the input too: left open, a DQN learned to take it
  (paid ``max_steps`` penalties, it beats any walk over passes), and from a failing start 9 of
  10 of its moves were such stops; 300 new states took 866 steps and 1,726 gradient updates.
  Only where every other move is closed (each neighbour a known failure) does it stay open;
- whether a move's destination was evaluated already is one of the move's features, so Q tells
  a known pass (worth walking over, never failing) from an unevaluated state at the same
  coordinates, and heads for the unevaluated ones. Without it the search ended as often, but
  took about twice as many steps (each a Q scoring and its gradient updates) to spend the budget.

Every explorer's first episode on an input stops at once where the start state is not evaluated
yet for it (:func:`first_stops`): the start state is evaluated only by a stop there, and a DQN
seldom stops at once, so an input that failed unchanged was listed a step or more out (digits,
budget 1,500: input 21 at 1 step, where random search had it at 0). The unchanged input is the
smallest change of all; now each input's is evaluated once, counted against the budget and
logged like any evaluation, and the DQN learns from that stop as from its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffade.concepts import STOP
from ffade.evaluator import Evaluator


def first_stops(evaluator: Evaluator, input_ids: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Which of episodes at their first step (inputs ``input_ids``, at the start ``states``)
    must stop there: (n,) booleans, True for the first of them on each input whose start state
    is not evaluated yet for it (one stop per input is enough; the others act as chosen)."""
    input_ids = np.asarray(input_ids, np.int64)
    stops = np.zeros(len(input_ids), bool)
    if len(input_ids):
        first = np.unique(input_ids, return_index=True)[1]  # one stop per input is enough
        stops[first] = ~evaluator.is_evaluated(evaluator.keys(input_ids[first], states[first]))
    return stops


@dataclass
class Moves:
    """Every microscopic move from each of n states (m = 1 + 2k moves each)."""

    next_states: np.ndarray  # (n, m, k): where each move leads (stop: where it is)
    stop: np.ndarray  # (n, m): which move is the stop
    evaluated: np.ndarray  # (n, m): the destination is evaluated already, for this input
    open: np.ndarray  # (n, m): on the grid, and not into a failure already found


def microscopic_moves(evaluator: Evaluator, input_ids: np.ndarray, states: np.ndarray) -> Moves:
    """The moves of episodes on inputs ``input_ids`` (n,) at ``states`` (n, k), from the memo."""
    space = evaluator.space
    n, m = len(states), space.num_moves
    next_states = space.move(np.repeat(states, m, 0), np.tile(np.arange(m), n))
    keys = evaluator.keys(np.repeat(np.asarray(input_ids), m), next_states)
    evaluated = evaluator.is_evaluated(keys)
    failed = np.zeros(n * m, bool)
    failed[evaluated] = [evaluator.memo[key][2] for key in keys[evaluated].tolist()]
    stop = np.broadcast_to(np.arange(m) == STOP, (n, m))
    # a stop stays where it is: at a known failure only if the episode started on one, and then
    # it is closed too; where nothing else is open (every neighbour a known failure) it stays open
    open_ = space.valid_moves(states) & ~failed.reshape(n, m)
    open_[~open_.any(1), STOP] = True
    return Moves(
        next_states=next_states.reshape(n, m, -1),
        stop=stop,
        evaluated=evaluated.reshape(n, m),
        open=open_,
    )
