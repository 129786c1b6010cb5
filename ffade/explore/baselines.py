"""Baseline explorers: the yardsticks every claim about the DQN is measured against.

They share the DQN's interface, environment, budget and records, so a comparison differs only in
how actions are chosen.
"""

from __future__ import annotations

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


class EpsilonGreedyExplorer(Explorer):
    """An epsilon-greedy bandit with one arm per state and no notion of neighbouring states.

    With probability ``epsilon`` it tries a random state; otherwise it replays the state with the
    highest mean reward so far on an input where that state is still unevaluated.

    Args:
        epsilon: probability of a random state.
        (the rest): as :class:`~ffade.explore.base.Explorer`.
    """

    name = "epsilon_greedy"
    supported_modes = (MACROSCOPIC,)

    def __init__(self, *args: Any, epsilon: float = 0.2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        check_epsilon(epsilon)
        self.epsilon = epsilon
        self.reward_sum: dict[int, float] = {}
        self.pulls: dict[int, int] = {}

    @override
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        n = len(obs["state"])
        actions = self.space.sample(self.rng, n)
        ranked = sorted(self.pulls, key=lambda a: self.reward_sum[a] / self.pulls[a], reverse=True)
        for row in np.nonzero(self.rng.random(n) >= self.epsilon)[0]:
            for arm in ranked[:64]:
                key = self.evaluator.keys(
                    self.env.input_ids[row : row + 1], self.space.unflat([arm])
                )
                if not self.evaluator.is_evaluated(key)[0]:
                    actions[row] = self.space.unflat(arm)
                    break
        return actions

    @override
    def observe(self, obs, actions, rewards, next_obs, terminated, truncated, info) -> None:
        arms = self.space.flat(next_obs["state"])
        for arm, reward, evaluated in zip(
            arms.tolist(), rewards.tolist(), info["evaluated"], strict=True
        ):
            if evaluated:
                self.reward_sum[arm] = self.reward_sum.get(arm, 0.0) + reward
                self.pulls[arm] = self.pulls.get(arm, 0) + 1

    @override
    def action_probabilities(self) -> np.ndarray | None:
        if self.space.num_states > MAX_POLICY_STATES:
            return None
        probs = np.full(self.space.num_states, self.epsilon / self.space.num_states)
        if self.pulls:
            best = max(self.pulls, key=lambda a: self.reward_sum[a] / self.pulls[a])
            probs[best] += 1 - self.epsilon
        return probs / probs.sum()

    @override
    def explorer_state(self) -> dict[str, Any]:
        return {"reward_sum": self.reward_sum, "pulls": self.pulls}

    @override
    def load_explorer_state(self, state: dict[str, Any]) -> None:
        self.reward_sum, self.pulls = dict(state["reward_sum"]), dict(state["pulls"])
