"""Deep Q-learning explorer: learns which concept changes make the target fail.

Read top to bottom like CleanRL's dqn.py: acting with an epsilon schedule, and the learning
step (double DQN, target network, Huber TD loss). The Q-network, the replay buffer, the
optimism bonus and the macroscopic step's plan live beside it (``q_network.py``,
``replay_buffer.py``, ``optimism.py``, ``macroscopic_plan.py``).

The Q-network scores an (observation, action) pair from *features*, not from an output slot per
action: the observation is the input's features and the current state's concept coordinates, the
action is the coordinates of the state it leads to (plus a stop flag). So what it learns about
"rotation 30, blur 1.2" carries over to "rotation 35, blur 1.2", and a 10^6-state grid costs only
the candidates scored each step. Q is the dot product of an observation embedding and an action
embedding, so a step embeds its inputs and its candidates once each and scores every pair with
one matrix product. A macroscopic step picks its (input, state) pairs together, the best
unevaluated ones among ``num_candidates`` shared states (repeats find nothing new), with an
optimism bonus from failure counts so that small regions are not abandoned once epsilon has
decayed (:mod:`ffade.explore.optimism`); microscopic actions are chosen among the 1 + 2k moves,
less those into failures already found, and a move's features also say whether it leads to a
pair evaluated already (:mod:`ffade.explore.moves`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from typing_extensions import override

from ffade.errors import require_at_least
from ffade.explore.adam import Adam
from ffade.explore.arguments import DEFAULT_LEARNING_STARTS, check_dqn_arguments, dqn_notes
from ffade.explore.base import MACROSCOPIC, MAX_POLICY_STATES, Explorer
from ffade.explore.macroscopic_plan import INPUT_POOL as INPUT_POOL  # re-exported, as before
from ffade.explore.macroscopic_plan import MacroscopicPlan
from ffade.explore.moves import Moves, microscopic_moves
from ffade.explore.optimism import FailureCounts
from ffade.explore.q_network import QNetwork, warm_start_weights
from ffade.explore.replay_buffer import ReplayBuffer
from ffade.explore.warm_start import check_warm_start
from ffade.task import Task, TaskSpec
from ffade.threads import one_thread

DEFAULT_STEPS, MIN_DEFAULT_ENVS, MAX_DEFAULT_ENVS = 32, 16, 256
"""Without ``num_envs``, a run takes about 32 steps, of 16 to 256 episodes each."""
MIN_TARGET_ROWS = 16
"""From this many live transitions, the target network embeds only each one's chosen move."""
MAX_GRAD_NORM = 10.0
"""Gradient norm clip of each update: one large TD error must not undo what was learned."""


def linear_schedule(start_e: float, end_e: float, duration: float, t: float) -> float:
    """Epsilon after ``t`` of ``duration`` evaluations: linear from ``start_e`` to ``end_e``.

    A duration of 0 (``exploration_fraction: 0``) is at its floor from the start: the slope's
    formula gave ``start_e`` at t = 0, so the first step still explored at random."""
    if duration <= 0:
        return end_e
    slope = (end_e - start_e) / duration
    return max(slope * t + start_e, end_e)


class DQNExplorer(Explorer, MacroscopicPlan):
    """Double DQN over concept states; see the module docstring.

    Args:
        task, budget: as :class:`~ffade.explore.base.Explorer`.
        num_envs: episodes stepped together, as the Explorer's; by default the budget over 32,
            between 16 and 256. A step's
            fixed costs (gradient updates, concept kernels, records) are shared by its
            evaluations, so large steps are fast; but the agent learns between steps, and with
            too few of them it learns little (a 1,600-evaluation run in 6 steps of 256 found
            fewer failures than random search; in 25 steps of 64, twice as many).
        reward_clip: as the Explorer's, but 1.0 by default, as Atari DQN clipped its rewards:
            Q then learns where failures are rather than chasing the rare deepest one (the
            paper's 10 |log-odds| reward spans two orders of magnitude). On the digits grid, in
            steps of 256, this took distinct failures from about 2,630 to 3,070 of 3,456
            evaluations.
        learning_rate: Adam step size.
        buffer_size: replay buffer capacity (transitions).
        gamma: discount (microscopic episodes; macroscopic ones last one step).
        tau: target network update rate (1.0 copies, smaller values blend).
        target_network_frequency: gradient updates between target network updates.
        batch_size: transitions per gradient update.
        start_e: initial exploration probability epsilon.
        end_e: final epsilon.
        exploration_fraction: share of the budget over which epsilon decays.
        learning_starts: transitions collected before the first update; by default 64, or half
            the budget when that is fewer; must be below the budget. The original paper's agents
            never trained because theirs was not; a small budget learns too.
        train_frequency: environment steps between learning phases.
        gradient_steps: gradient updates per learning phase. Updates cost a step more than its
            evaluations on cheap models; on the digits grid 2 a step found as many failures as 4
            (3,120 against 3,135 of 3,456, 3 seeds) for half the learning time, and 1 fewer
            (2,963).
        num_candidates: states scored per macroscopic decision, shared by the step's inputs.
        hidden_dim: width of the Q-network's hidden layers.
        embedding_dim: width of the observation and action embeddings whose dot product is Q.
        exploration_bonus: weight of the optimism added to Q when a macroscopic step is
            planned (see :mod:`ffade.explore.optimism`); 0 turns it off. Without it, on five
            planted islands (``benchmarks/discovery.py --task regions``) the DQN took 0-7% of
            three of them once epsilon had decayed; with 8, all of every island on 5 of 5 seeds.
        warm_start: an earlier run directory (its ``checkpoints/last.ckpt``) or checkpoint file
            whose Q-network starts this one, so rediscovery after a fix begins from what the
            first search learned; it must explore the same concepts and grids in the same
            task.mode, with features as wide and the same network sizes (an error names what
            differs).
        **kwargs: the rest of :class:`~ffade.explore.base.Explorer`'s arguments
            (eval_batch_size, max_steps, step_penalty, novelty_bonus, start_state, ...).
    """

    name = "dqn"
    path_arguments = ("warm_start",)

    def __init__(
        self,
        task: TaskSpec,
        budget: int = 1000,
        num_envs: int | None = None,
        reward_clip: float | None = 1.0,
        learning_rate: float = 3e-3,
        buffer_size: int = 50_000,
        gamma: float = 0.9,
        tau: float = 1.0,
        target_network_frequency: int = 50,
        batch_size: int = 256,
        start_e: float = 1.0,
        end_e: float = 0.05,
        exploration_fraction: float = 0.1,
        learning_starts: int | None = None,
        train_frequency: int = 1,
        gradient_steps: int = 2,
        num_candidates: int = 1024,
        hidden_dim: int = 128,
        embedding_dim: int = 64,
        exploration_bonus: float = 8.0,
        warm_start: str | None = None,
        **kwargs: Any,
    ) -> None:
        if num_envs is None or learning_starts is None:
            # it sizes the defaults: null is one line, 2.5 too
            require_at_least(1, whole=True, budget=budget)
        if num_envs is None:
            num_envs = min(max(budget // DEFAULT_STEPS, MIN_DEFAULT_ENVS), MAX_DEFAULT_ENVS)
        if learning_starts is None:
            learning_starts = min(DEFAULT_LEARNING_STARTS, budget // 2)
        super().__init__(
            task=task, budget=budget, num_envs=num_envs, reward_clip=reward_clip, **kwargs
        )
        # summary.json records the values used; the CLI's hparams hold the config's nulls
        self.hparams.update(num_envs=num_envs, learning_starts=learning_starts)
        check_dqn_arguments(locals())
        check_warm_start(warm_start)
        self.absolute_paths()  # config.yaml's warm_start names it from any directory
        self.q_network: QNetwork | None = None
        self.target_network: QNetwork | None = None
        self.buffer: ReplayBuffer | None = None
        self.failure_counts: FailureCounts | None = None
        self.epsilon = start_e
        self.transitions = 0
        # made in build: a torch.Generator pickles as a shared-memory tensor, which ddp_spawn's
        # hand-over of the module to its processes failed to rebuild (a RuntimeError)
        self.generator: torch.Generator | None = None
        self._planned_states: np.ndarray | None = None
        self._chosen_evaluated: np.ndarray | None = None  # microscopic: the acted moves' flag

    @override
    def build(self, task: Task) -> None:
        h = self.hparams
        all_features = self.evaluator.features(np.arange(self.evaluator.num_inputs))
        # standardized, so embeddings of any scale reach the network comparably; acting and
        # replay look an input's features up here (rebuilt from the task, never saved)
        if all_features.shape[1]:  # a target without features (the default) has none to scale
            mean, std = all_features.mean(0), all_features.std(0, unbiased=False).clamp(min=1e-6)
            all_features = (all_features - mean) / std
        self.register_buffer("input_features", all_features, persistent=False)
        torch.manual_seed(self.seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        dim, k = all_features.shape[1], task.space.num_concepts
        grids = [concept.coordinates() for concept in task.space.concepts]
        flags = 1 if self.mode == MACROSCOPIC else 2  # stop; and microscopic: evaluated already
        self.q_network = QNetwork(dim, k, h.hidden_dim, h.embedding_dim, grids, flags)
        self.target_network = QNetwork(dim, k, h.hidden_dim, h.embedding_dim, grids, flags)
        if h.warm_start is not None:
            self.q_network.load_state_dict(warm_start_weights(h.warm_start, self.q_network))
        self.target_network.load_state_dict(self.q_network.state_dict())
        self.buffer = ReplayBuffer(h.buffer_size, k, flags)
        self.failure_counts = FailureCounts(
            task.space, self.evaluator.num_inputs, frontier_size=h.num_candidates
        )
        self.tell(dqn_notes(self))

    @override
    def configure_optimizers(self) -> torch.optim.Optimizer:
        # fused: one kernel per update instead of a dozen per parameter tensor; the network is
        # small enough that those calls, not arithmetic, set the cost of an update
        # (ffade.explore.adam: torch's Adam, less a GPU probe at every step of a CPU network)
        return Adam(self.q_network.parameters(), lr=self.hparams.learning_rate, fused=True)

    # ---- acting -----------------------------------------------------------------------------
    def _action_features(
        self, next_states: np.ndarray, stop: np.ndarray, evaluated: np.ndarray | None = None
    ) -> torch.Tensor:
        """Action encoding: the coordinates of the state it leads to, whether it stops, and
        (microscopic moves) whether that state is evaluated already for the episode's input."""
        coords = torch.as_tensor(self.space.coordinates(next_states), dtype=torch.float32)
        # torch.tensor copies: stop may be a read-only view, which as_tensor warns about
        flags = [stop] if evaluated is None else [stop, evaluated]
        flags = [torch.tensor(flag, dtype=torch.float32).unsqueeze(-1) for flag in flags]
        return torch.cat([coords, *flags], -1).to(self.device)

    def _coords(self, states: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(self.space.coordinates(states), dtype=torch.float32).to(self.device)

    def _update_epsilon(self) -> None:
        """Epsilon follows the evaluations spent, so a resumed run picks up the same schedule."""
        h = self.hparams
        self.epsilon = linear_schedule(
            h.start_e, h.end_e, h.exploration_fraction * self.budget, self.evaluator.evaluations
        )

    def _move_q(
        self, network: QNetwork, features: torch.Tensor, states: np.ndarray, moves: Moves
    ) -> torch.Tensor:
        """Q of every microscopic move from each state (n, 1 + 2k); closed moves -inf."""
        actions = self._action_features(moves.next_states, moves.stop, moves.evaluated)
        q = network(features, self._coords(states), actions)
        return q.masked_fill(~torch.as_tensor(moves.open, device=q.device), -torch.inf)

    def _double_q(self, features: torch.Tensor, states: np.ndarray, moves: Moves) -> torch.Tensor:
        """The target network's Q of the move the online network rates best, from each state.

        The target network embeds only that move, not all 1 + 2k: with 20 concepts those 41
        moves of a 256-transition minibatch, through both networks, took most of a microscopic
        run (two thirds of its gradient update). The chosen move's Q must be the same bits as
        when every move was embedded, or decisions drift: on the CPU a matrix product sums each
        row alone from 4 rows up (1 to 3 rows take another kernel, 1e-7 apart), so fewer than
        :data:`MIN_TARGET_ROWS` states, or a GPU, whose kernels change with the shape, embed
        every move as before (a test checks both ways agree)."""
        inputs = self.q_network.action_inputs(
            self._action_features(moves.next_states, moves.stop, moves.evaluated),
            torch.as_tensor(moves.next_states, device=self.device),
        )
        coords = self._coords(states)
        online = self.q_network.score(features, coords, inputs)
        online = online.masked_fill(~torch.as_tensor(moves.open, device=online.device), -torch.inf)
        best = online.argmax(1)  # double DQN: online picks, target rates
        if len(best) < MIN_TARGET_ROWS or best.device.type != "cpu":
            target_q = self.target_network.score(features, coords, inputs)
            return target_q.gather(1, best.unsqueeze(1)).squeeze(1)
        chosen = inputs[torch.arange(len(best)), best].unsqueeze(1)
        return self.target_network.score(features, coords, chosen).squeeze(1)

    @override
    def choose_inputs(self, count: int) -> np.ndarray:
        """Macroscopic: the inputs of the step's planned pairs; microscopic: uniformly random."""
        if self.mode != MACROSCOPIC:
            return super().choose_inputs(count)
        self._update_epsilon()
        with one_thread(self.device):
            input_ids, self._planned_states = self._plan_macroscopic_step(count)
        return input_ids

    @override
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        if self.mode == MACROSCOPIC:  # every episode was just reset by choose_inputs' plan
            states, self._planned_states = self._planned_states, None
            return states
        self._update_epsilon()
        with one_thread(self.device), torch.no_grad():
            features = self.input_features[torch.as_tensor(self.env.input_ids)]
            moves = microscopic_moves(self.evaluator, self.env.input_ids, obs["state"])
            q = self._move_q(self.q_network, features, obs["state"], moves).cpu()
        noise = torch.rand(q.shape, generator=self.generator).masked_fill(q == -torch.inf, -1.0)
        explore = torch.as_tensor(self.rng.random(len(q)) < self.epsilon)
        chosen = torch.where(explore, noise.argmax(1), q.argmax(1)).numpy()
        # the flag as it was when the move was chosen: the step evaluates the destination
        self._chosen_evaluated = moves.evaluated[np.arange(len(chosen)), chosen]
        return chosen

    @override
    def stop_first(self, obs: dict[str, np.ndarray], actions: np.ndarray) -> np.ndarray:
        """As the Explorer's; a stop put in place of a chosen move leads to a state not
        evaluated yet, and the replay buffer stores the move's flag so."""
        stops = super().stop_first(obs, actions)
        self._chosen_evaluated[stops != actions] = False
        return stops

    # ---- learning ---------------------------------------------------------------------------
    @override
    def observe(self, obs, actions, rewards, next_obs, terminated, truncated, info) -> None:
        self.step_scalars["train/epsilon"] = self.epsilon
        stop = info["stopped"]
        keep = info["evaluated"] | stop
        if not keep.any():
            return
        states_after = next_obs["state"]
        evaluated = info["evaluated"]
        self.failure_counts.add(
            self.env.input_ids[evaluated],
            states_after[evaluated],
            info["failed"][evaluated],
            info["new_failure"][evaluated],
        )
        self.buffer.add(
            input_id=torch.as_tensor(self.env.input_ids[keep]),
            coords=torch.as_tensor(self.space.coordinates(obs["state"][keep]), dtype=torch.float32),
            action=self._action_features(
                states_after[keep],
                stop[keep],
                None if self.mode == MACROSCOPIC else self._chosen_evaluated[keep],
            ).cpu(),
            reward=torch.as_tensor(rewards[keep]),
            next_state=torch.as_tensor(states_after[keep]),
            done=torch.as_tensor(terminated[keep], dtype=torch.float32),
        )
        self.transitions += int(keep.sum())
        h = self.hparams
        if self.transitions < h.learning_starts or self.iterations % h.train_frequency:
            return
        with one_thread(self.device):
            for _ in range(h.gradient_steps):
                self.learn()

    def learn(self) -> None:
        """One gradient update on a replay minibatch: the heart of DQN, in one screen."""
        h = self.hparams
        batch = {
            k: v.to(self.device)
            for k, v in self.buffer.sample(h.batch_size, self.generator).items()
        }
        features = self.input_features[batch["input_id"]]
        q = self.q_network(features, batch["coords"], batch["action"].unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            td_target = batch["reward"].clone()
            live = batch["done"] < 0.5  # only microscopic episodes continue after a step
            if live.any():
                next_states = batch["next_state"][live].cpu().numpy()
                input_ids = batch["input_id"][live].cpu().numpy()
                moves = microscopic_moves(self.evaluator, input_ids, next_states)
                td_target[live] += h.gamma * self._double_q(features[live], next_states, moves)
        loss = F.smooth_l1_loss(q, td_target)
        optimizer = self.optimizers()
        optimizer.zero_grad()
        self.manual_backward(loss)
        nn.utils.clip_grad_norm_(self.q_network.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        self.gradient_updates += 1
        if self.gradient_updates % h.target_network_frequency == 0:
            for target, online in zip(
                self.target_network.parameters(), self.q_network.parameters(), strict=True
            ):
                target.data.copy_(h.tau * online.data + (1.0 - h.tau) * target.data)
        self.step_scalars["train/td_loss"] = loss.item()
        self.step_scalars["train/q_values"] = q.detach().mean().item()

    # ---- records ----------------------------------------------------------------------------
    @override
    def action_probabilities(self, max_inputs: int = 16) -> np.ndarray | None:
        """Softmax of Q over the whole grid, averaged over (up to ``max_inputs``) inputs."""
        if self.space.num_states > MAX_POLICY_STATES:
            return None
        inputs = torch.arange(min(self.evaluator.num_inputs, max_inputs))
        start = self._coords(self.space.neutral[None]).expand(len(inputs), -1)
        with torch.no_grad():
            observations = self.q_network.embed_observations(self.input_features[inputs], start)
            flat = np.arange(self.space.num_states)
            actions = self.q_network.embed_actions(
                self._action_features(self.space.unflat(flat), np.zeros(len(flat)))
            )
            q = (observations @ actions.T).cpu()
        return torch.softmax(q, dim=1).mean(0).numpy()

    @override
    def explorer_state(self) -> dict[str, Any]:
        return {
            "buffer": self.buffer.state_dict(),
            "generator": self.generator.get_state(),
            "transitions": self.transitions,
            "failure_counts": self.failure_counts.state_dict(),
        }

    @override
    def load_explorer_state(self, state: dict[str, Any]) -> None:
        self.buffer.load_state_dict(state["buffer"])
        self.generator.set_state(state["generator"])
        self.transitions = state["transitions"]
        self.failure_counts.load_state_dict(state["failure_counts"])
