"""What a microscopic search can still reach: when none of it is left, it stops at once.

Episodes start at the start state and move one concept one grid step at a time, for at most
``max_steps`` moves, and a failure ends them. So an input's episodes reach the states within
``max_steps`` moves of the start (an L1 ball cut by the grid's edges) only through states that
pass: a failure walls off what lies behind it. Once every state they can reach is evaluated, the
search can find nothing new for that input; without this it idled ``max_idle_steps`` (200) steps
first (a start state that fails everywhere around it, say), each a step of work for nothing.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np


def reachable_states(sizes: Any, start: Any, max_steps: int) -> int:
    """How many grid states lie within ``max_steps`` one-step moves of ``start`` (an L1 ball
    cut by the grid's edges): all a microscopic episode can reach, its start included.

    A microscopic search that has evaluated every input there can find nothing new: it stops
    at once, saying why, rather than idling until ``max_idle_steps``. It asks every step, so the
    count is kept per grid, start and ``max_steps``.
    """
    return _reachable(tuple(int(n) for n in sizes), tuple(int(i) for i in start), int(max_steps))


@functools.lru_cache(maxsize=16)
def _reachable(sizes: tuple[int, ...], start: tuple[int, ...], max_steps: int) -> int:
    cap = min(max_steps, sum(n - 1 for n in sizes))
    ways = [1] + [0] * cap  # ways[d]: states at distance d over the concepts so far
    for size, at in zip(sizes, start, strict=True):
        per = [0] * (cap + 1)  # this concept's values at each distance from its start
        for value in range(size):
            if abs(value - at) <= cap:
                per[abs(value - at)] += 1
        some = [(e, n) for e, n in enumerate(per) if n]
        ways = [sum(ways[d - e] * n for e, n in some if e <= d) for d in range(cap + 1)]
    return sum(ways)


class ReachedInputs:
    """Tells whether every input's episodes have nothing unevaluated left to reach.

    An input found so stays so (its episodes can evaluate nothing new), so it is not walked
    again; and while no evaluation is made, the answer cannot change, so it is not asked again.
    """

    def __init__(self) -> None:
        self.done: set[int] = set()
        self._unchanged_at: int | None = None  # evaluations when the answer was last "no"

    def all_reached(self, evaluator: Any, start: np.ndarray, max_steps: int) -> bool:
        """True when, for every input, each state its episodes can reach is evaluated.

        ``evaluator``: the run's :class:`~ffade.evaluator.Evaluator` (its memo says which pairs
        were evaluated and which failed); ``start``: the start state's grid indices.
        """
        if evaluator.evaluations == self._unchanged_at:
            return False
        space = evaluator.space
        for input_id in range(evaluator.num_inputs):
            if input_id in self.done:
                continue
            base = input_id * space.num_states
            unevaluated = _unevaluated(evaluator.memo, base, space, start, max_steps)
            if next(unevaluated, None) is not None:
                self._unchanged_at = evaluator.evaluations
                return False
            self.done.add(input_id)
        return True


def unreached_pairs(evaluator: Any, start: np.ndarray, max_steps: int) -> tuple[int, int, int]:
    """The (input, state) pairs a microscopic search's episodes could still reach but never
    evaluated: ``(count, fewest moves, most moves)`` from the start, (0, 0, 0) for none.

    Told when ``max_idle_steps`` ends such a search: episodes of ``max_steps`` moves seldom walk
    out to the far edge of their range, so a small task often ends so with those states left,
    and the stop reason alone did not say that anything was."""
    space = evaluator.space
    moves: list[int] = []
    for input_id in range(evaluator.num_inputs):
        moves.extend(
            _unevaluated(evaluator.memo, input_id * space.num_states, space, start, max_steps)
        )
    return (len(moves), min(moves), max(moves)) if moves else (0, 0, 0)


def _unevaluated(
    memo: dict[int, tuple[float, float, bool]],
    base: int,
    space: Any,
    start: np.ndarray,
    max_steps: int,
) -> Iterator[int]:
    """Each unevaluated state an input's episodes may reach, as its moves from the start, nearest
    first: breadth first through states that passed or were never evaluated (either may let an
    episode on; the start moves on even when it fails: an episode is evaluated only where it
    moves or stops). Lazy, so that "is any left?" stops at the first."""
    sizes = [int(n) for n in space.sizes]
    strides = [int(s) for s in space.flat(np.eye(len(sizes), dtype=np.int64))]
    first = tuple(int(i) for i in start)
    seen = {first}
    queue = deque([(first, 0)])
    while queue:
        state, depth = queue.popleft()
        outcome = memo.get(base + sum(i * s for i, s in zip(state, strides, strict=True)))
        if outcome is None:
            yield depth
        if (depth and outcome is not None and outcome[2]) or depth == max_steps:
            continue
        for axis, size in enumerate(sizes):
            for step in (-1, 1):
                value = state[axis] + step
                if 0 <= value < size:
                    near = (*state[:axis], value, *state[axis + 1 :])
                    if near not in seen:
                        seen.add(near)
                        queue.append((near, depth + 1))
