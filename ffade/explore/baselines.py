"""Baseline explorers: the yardsticks every claim about the DQN is measured against.

They share the DQN's interface, environment, budget and records, so a comparison differs only in
how actions are chosen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from typing_extensions import override

from ffade.explore.arguments import check_epsilon
from ffade.explore.base import MACROSCOPIC, MAX_POLICY_STATES, Explorer
from ffade.task import Task


class RandomExplorer(Explorer):
    """Uniform random search: any state (macroscopic) or any valid move (microscopic)."""

    name = "random"

    @override
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        n = len(obs["state"])
        if self.mode == MACROSCOPIC:
            return self.space.sample(self.rng, n)
        valid = self.space.valid_moves(obs["state"])
        scores = np.where(valid, self.rng.random(valid.shape), -1.0)
        return scores.argmax(1)


GRID_SCAN_CHUNK = 4096
"""Pairs the grid explorer checks at a time for the next unevaluated ones."""


class GridExplorer(Explorer):
    """Exhaustive search: every (input, state) pair in order; gives the ground truth."""

    name = "grid"
    supported_modes = (MACROSCOPIC,)

    @override
    def build(self, task: Task) -> None:
        self.cursor = 0
        self.tell(
            grid_coverage_notes(self.payable, self.evaluator.num_inputs, task.space.num_states)
        )

    def _next_pairs(self, count: int) -> np.ndarray:
        """The next ``count`` pairs in order that are not evaluated yet.

        In a fresh run those are simply the next ``count``; a run resumed from its log alone
        (killed before its first checkpoint) starts its cursor at 0 with the log's pairs in the
        memo, and walking over them one step at a time counted as idle steps, so
        ``max_idle_steps`` could end the sweep before it reached a pair it had not evaluated.
        Fewer left than ``count``: the last is repeated (a repeat costs nothing).
        """
        total = self.evaluator.num_inputs * self.space.num_states
        found: list[np.ndarray] = []
        wanted, scanned = count, 0
        chunk = max(count, GRID_SCAN_CHUNK)
        while wanted > 0 and scanned < total:
            size = min(chunk, total - scanned)
            pairs = (self.cursor + np.arange(size)) % total
            fresh = pairs[~self.evaluator.is_evaluated(pairs)][:wanted]
            found.append(fresh)
            wanted -= len(fresh)
            # the cursor goes on past the last pair taken (or the whole chunk, if it took none)
            advance = size if wanted > 0 else int((pairs == fresh[-1]).argmax()) + 1
            self.cursor = (self.cursor + advance) % total
            scanned += size
        pairs = np.concatenate([*found, np.zeros(0, np.int64)])
        if len(pairs) < count:  # every pair evaluated: the search stops at the next step
            pairs = np.resize(pairs if len(pairs) else np.zeros(1, np.int64), count)
        return pairs

    @override
    def choose_inputs(self, count: int) -> np.ndarray:
        self._pending = self._next_pairs(count)
        return self._pending // self.space.num_states

    @override
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        return self.space.unflat(self._pending % self.space.num_states)

    @override
    def explorer_state(self) -> dict[str, Any]:
        return {"cursor": self.cursor}

    @override
    def load_explorer_state(self, state: dict[str, Any]) -> None:
        self.cursor = state["cursor"]


def grid_coverage_notes(payable: int, num_inputs: int, num_states: int) -> list[str]:
    """A note when the budget stops a grid sweep short: it walks the pairs input by input, so
    a budget of 200 on the quickstart's 64 inputs x 1,080 states evaluated input 0 alone, and
    its rates (0 failures there) read as the model's when they are one input's."""
    pairs = num_inputs * num_states
    if payable >= pairs:
        return []
    reached = -(-payable // num_states)  # the last one partly
    which = "the first input only" if reached == 1 else f"the first {reached:,} inputs only"
    return [
        f"budget {payable:,} covers {payable:,} of the grid's {pairs:,} (input, state) pairs "
        f"({num_inputs:,} inputs x {num_states:,} states); the grid explorer walks every state "
        f"of one input before the next, so this run evaluates {which}: a budget of {pairs:,} "
        "sweeps them all, and ffade.explore.RandomExplorer samples every input"
    ]


RANDOM_TRIES = 32
"""Random draws an epsilon row makes for a new pair before it lists its input's new pairs."""
RANKED_CHUNK = 64
"""Ranked arms checked at a time for the best ones an input has not evaluated."""


class EpsilonGreedyExplorer(Explorer):
    """An epsilon-greedy bandit with one arm per state and no notion of neighbouring states.

    Each row of a step is random with probability ``epsilon`` and greedy otherwise. An arm's
    estimate is its mean reward so far, 0 for an arm never pulled. The k-th greedy row of an
    input takes the k-th best arm still unevaluated on that input, so rows sharing an input do
    not all replay the same best arm (a repeat costs nothing and teaches nothing: the memo
    answers it); past the arms above 0 it takes an untried state (ties broken at random) before
    an arm below 0. A random row takes a uniformly random state the input has not evaluated and
    no other row of the step took. Only new evaluations count as pulls.

    Args:
        reward_clip: as the Explorer's, but 1.0 by default, as the DQN's: an arm's mean then
            follows how often its state fails rather than how deep one failure went, so one
            miss paid 1e31 no longer holds the top arm for good (docs/discovery.md has the
            figures).
        epsilon: probability of a random state.
        (the rest): as :class:`~ffade.explore.base.Explorer`.
    """

    name = "epsilon_greedy"
    supported_modes = (MACROSCOPIC,)

    def __init__(
        self, *args: Any, reward_clip: float | None = 1.0, epsilon: float = 0.2, **kwargs: Any
    ) -> None:
        super().__init__(*args, reward_clip=reward_clip, **kwargs)
        check_epsilon(epsilon)
        self.epsilon = epsilon
        self.reward_sum: dict[int, float] = {}
        self.pulls: dict[int, int] = {}
        self._fresh = np.zeros(0, bool)  # rows of the last step whose pair was new

    @override
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        input_ids = np.asarray(self.env.input_ids, np.int64)
        n, num_states = len(input_ids), self.space.num_states
        greedy = self.rng.random(n) >= self.epsilon
        flat = np.full(n, -1, np.int64)
        above, below = self._ranked_arms()
        if len(above) and greedy.any():
            for input_id in np.unique(input_ids[greedy]).tolist():
                rows = np.nonzero(greedy & (input_ids == input_id))[0]
                best = self._best_unevaluated(input_id, above, len(rows))
                flat[rows[: len(best)]] = best
        taken = set((input_ids * num_states + flat)[flat >= 0].tolist())
        worse = set(below.tolist())
        for row in np.nonzero(flat < 0)[0].tolist():
            input_id = int(input_ids[row])
            # a greedy row past the input's good arms takes an untried one (estimate 0), at
            # random among ties, before an arm known to do worse
            state = self._random_unevaluated(input_id, taken, worse if greedy[row] else set())
            if state < 0:
                keys = input_id * num_states + below
                fresh = below[~np.isin(keys, np.fromiter(taken, np.int64, len(taken)))]
                fresh = self._best_unevaluated(input_id, fresh, 1)
                state = (
                    int(fresh[0])
                    if len(fresh)
                    else self._random_unevaluated(input_id, taken, set())
                )
            flat[row] = max(state, 0)
            taken.add(input_id * num_states + int(flat[row]))
        keys = input_ids * num_states + flat
        first = np.zeros(n, bool)
        first[np.unique(keys, return_index=True)[1]] = True
        self._fresh = first & ~self.evaluator.is_evaluated(keys)
        return self.space.unflat(flat)

    def _ranked_arms(self) -> tuple[np.ndarray, np.ndarray]:
        """The arms whose mean reward is above 0 (an untried arm's estimate), best first, and
        those below 0, best first; ties: the arm pulled first."""
        arms = np.fromiter(self.pulls, np.int64, len(self.pulls))
        means = np.array([self.reward_sum[a] / self.pulls[a] for a in arms.tolist()])
        ranked = arms[np.argsort(-means, kind="stable")]
        above = ranked[: int((means > 0).sum())]
        below = ranked[len(ranked) - int((means < 0).sum()) :]
        return above, below

    def _best_unevaluated(self, input_id: int, ranked: np.ndarray, count: int) -> np.ndarray:
        """Up to ``count`` arms, best first, that ``input_id`` has not evaluated."""
        found: list[np.ndarray] = []
        wanted = count
        for start in range(0, len(ranked), RANKED_CHUNK):
            chunk = ranked[start : start + RANKED_CHUNK]
            fresh = chunk[~self.evaluator.is_evaluated(input_id * self.space.num_states + chunk)]
            found.append(fresh[:wanted])
            wanted -= len(found[-1])
            if wanted == 0:
                break
        return np.concatenate([*found, np.zeros(0, np.int64)])

    def _random_unevaluated(self, input_id: int, taken: set[int], avoid: set[int]) -> int:
        """A uniformly random state ``input_id`` has not evaluated and no row took this step,
        not one of ``avoid``; -1 if there is none.

        A few draws find one on all but an almost exhausted input; then its states are listed.
        """
        num_states = self.space.num_states
        base = input_id * num_states
        draws = self.rng.integers(0, num_states, RANDOM_TRIES)
        new = ~self.evaluator.is_evaluated(base + draws)
        for state, is_new in zip(draws.tolist(), new.tolist(), strict=True):
            if is_new and base + state not in taken and state not in avoid:
                return state
        states = np.arange(num_states, dtype=np.int64)
        states = states[~self.evaluator.is_evaluated(base + states)]
        skip = np.fromiter(avoid | {k - base for k in taken}, np.int64)
        states = states[~np.isin(states, skip)]
        return int(self.rng.choice(states)) if len(states) else -1

    @override
    def observe(self, obs, actions, rewards, next_obs, terminated, truncated, info) -> None:
        arms = self.space.flat(next_obs["state"])
        pulled = self._fresh & info["evaluated"]  # a memo repeat is not a pull
        for arm, reward in zip(arms[pulled].tolist(), rewards[pulled].tolist(), strict=True):
            self.reward_sum[arm] = self.reward_sum.get(arm, 0.0) + reward
            self.pulls[arm] = self.pulls.get(arm, 0) + 1

    @override
    def action_probabilities(self, max_inputs: int = 16) -> np.ndarray | None:
        """The share of a step's rows expected to take each state, as :meth:`act` picks them.

        It gave 1 - epsilon to the single best arm, while the greedy rows of a step spread over
        each input's best arms it has not evaluated. Here, for each input of the step (up to
        ``max_inputs``, weighted by its rows): with G of its m rows greedy (binomial, 1 -
        epsilon), its k-th best unevaluated arm above 0 is taken when G >= k, greedy rows past
        those take an untried state (uniformly) before an arm below 0, best first, and the
        random rows a state it has not evaluated, uniformly. An input with nothing left to
        evaluate adds nothing. No random number is drawn: the search goes on as it would.
        """
        num_states = self.space.num_states
        if num_states > MAX_POLICY_STATES:
            return None
        if self.env is None or self.evaluator is None:
            return super().action_probabilities()
        ids, counts = np.unique(np.asarray(self.env.input_ids, np.int64), return_counts=True)
        above, below = self._ranked_arms()
        probs = np.zeros(num_states)
        for input_id, rows in zip(
            ids[:max_inputs].tolist(), counts[:max_inputs].tolist(), strict=True
        ):
            keys = input_id * num_states + np.arange(num_states, dtype=np.int64)
            new = ~self.evaluator.is_evaluated(keys)
            if new.any():
                probs += self._row_shares(new, rows, above, below)
        if not probs.sum():  # every input of the step is exhausted
            return super().action_probabilities()
        return probs / probs.sum()

    def _row_shares(
        self, new: np.ndarray, rows: int, above: np.ndarray, below: np.ndarray
    ) -> np.ndarray:
        """The expected number of ``rows`` (of one input, whose unevaluated states are ``new``)
        that take each state; see :meth:`action_probabilities`."""
        shares = np.zeros(len(new))
        shares[new] += self.epsilon * rows / new.sum()
        at_least = _at_least(rows, 1 - self.epsilon)  # at_least[k]: P(k or more greedy rows)
        good = above[new[above]][:rows]
        shares[good] += at_least[1 : len(good) + 1]
        past = at_least[len(good) + 1 :]  # greedy rows past the good arms
        untried = new.copy()
        untried[good] = untried[below] = False
        if untried.any():
            shares[untried] += past.sum() / untried.sum()
        else:
            worse = below[new[below]][: len(past)]
            shares[worse] += past[: len(worse)]
        return shares

    @override
    def explorer_state(self) -> dict[str, Any]:
        return {"reward_sum": self.reward_sum, "pulls": self.pulls}

    @override
    def load_explorer_state(self, state: dict[str, Any]) -> None:
        self.reward_sum, self.pulls = dict(state["reward_sum"]), dict(state["pulls"])


def _at_least(rows: int, p: float) -> np.ndarray:
    """P(G >= k) for k = 0..rows, G binomial(rows, p): the chance that an input's k-th greedy
    row exists. In logs, so that many rows neither overflow nor underflow."""
    if p <= 0 or p >= 1:
        pmf = np.zeros(rows + 1)
        pmf[rows if p >= 1 else 0] = 1.0
    else:
        k = np.arange(rows + 1)
        log_comb = np.array(
            [
                math.lgamma(rows + 1) - math.lgamma(i + 1) - math.lgamma(rows - i + 1)
                for i in range(rows + 1)
            ]
        )
        pmf = np.exp(log_comb + k * math.log(p) + (rows - k) * math.log1p(-p))
    return np.cumsum(pmf[::-1])[::-1]
