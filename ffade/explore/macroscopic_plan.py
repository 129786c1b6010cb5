"""How a DQN plans a macroscopic step: the step's (input, state) pairs, chosen together.

Split from :mod:`ffade.explore.dqn` so that module keeps acting and learning, read top to bottom;
this is the one long decision of a macroscopic step (docs/discovery.md, "A step is planned as a
whole"). :class:`MacroscopicPlan` is a base of :class:`~ffade.explore.dqn.DQNExplorer` and reads
what the explorer keeps: its Q-network, its inputs' features, its failure counts, its epsilon and
its random generators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ffade.concepts import ConceptSpace
from ffade.env import Evaluator, FailureVectorEnv
from ffade.explore.optimism import FailureCounts
from ffade.explore.q_network import QNetwork

INPUT_POOL = 256
"""Inputs scored per macroscopic decision when the split has more (a fresh sample each step)."""


class MacroscopicPlan:
    """The macroscopic step's plan of :class:`~ffade.explore.dqn.DQNExplorer`, which sets
    every attribute named here."""

    hparams: Any  # Lightning's AttributeDict of the explorer's arguments
    evaluator: Evaluator
    env: FailureVectorEnv
    space: ConceptSpace
    rng: np.random.Generator
    generator: torch.Generator | None
    epsilon: float
    q_network: QNetwork | None
    failure_counts: FailureCounts | None
    input_features: torch.Tensor
    _coords: Callable[[np.ndarray], torch.Tensor]
    _action_features: Callable[..., torch.Tensor]

    def _plan_macroscopic_step(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The step's (input, state) pairs, chosen together: the most promising unevaluated ones.

        Candidate states are sampled once and shared by a pool of inputs; every (input,
        candidate) pair not yet evaluated is scored by one matrix product of the two towers'
        embeddings, plus ``exploration_bonus`` times the state's optimistic failure rate; the
        neighbours of recent failures are among the candidates. The best ``count`` pairs win,
        wherever they are: an input with many states left to fail takes many slots, one that
        never fails takes none (unless explored). With probability epsilon a slot goes to a
        uniformly random unevaluated pair instead.
        """
        h, n = self.hparams, self.evaluator.num_inputs
        pool = np.arange(n) if n <= INPUT_POOL else self.rng.choice(n, INPUT_POOL, replace=False)
        flat = self.rng.choice(
            self.space.num_states, min(h.num_candidates, self.space.num_states), replace=False
        )
        sampled = len(flat)  # epsilon draws among these, uniform over the grid
        if h.exploration_bonus > 0:  # follow up recent failures: their neighbours join
            near = self.failure_counts.frontier_states(n, h.num_candidates // 2)
            # both are unique (near sorted too), so setdiff1d need not sort them again (0.1 ms)
            flat = np.concatenate([flat, np.setdiff1d(near, flat, assume_unique=True)])
        candidates = self.space.unflat(flat)  # distinct: a repeated candidate wastes a slot
        keys = pool[:, None] * self.space.num_states + flat[None, :]
        unseen = torch.as_tensor(~self.evaluator.is_evaluated(keys))
        with torch.no_grad():
            start = self._coords(self.env.start_state[None]).expand(len(pool), -1)
            observations = self.q_network.embed_observations(
                self.input_features[torch.as_tensor(pool)], start
            )
            actions = self.q_network.embed_actions(
                self._action_features(candidates, np.zeros(len(candidates)))
            )
            q = (observations @ actions.T).cpu()
        if h.exploration_bonus > 0:
            q += torch.as_tensor(h.exploration_bonus * self.failure_counts.bonus(pool, candidates))
        q = q.masked_fill(~unseen, -torch.inf).flatten()
        explore = int((self.rng.random(count) < self.epsilon).sum())
        greedy = q.topk(min(count - explore, int(unseen.sum()))).indices
        q[greedy] = -torch.inf  # taken: the random slots draw from what is left
        noise = torch.rand(q.shape, generator=self.generator).masked_fill(q == -torch.inf, -1.0)
        noise = noise.view(len(pool), -1)[:, :sampled].flatten()
        rest = noise.topk(min(count - len(greedy), len(noise))).indices
        rest = rest // sampled * len(candidates) + rest % sampled  # back to (pool, candidates)
        # a grid smaller than a step repeats pairs, which the memo answers for free
        chosen = np.resize(torch.cat([greedy, rest]).numpy(), count)
        rows, columns = np.divmod(chosen, len(candidates))
        return pool[rows], candidates[columns]
