"""The failure environment: the explorer acts, the target is evaluated, a reward comes back.

The target's evaluations go through :class:`~ffade.evaluator.Evaluator` (batched, memoized,
budgeted, logged; also importable from here).
:class:`FailureVectorEnv` is the gymnasium vector environment explorers drive (many episodes per
step, so the target sees full batches); :class:`FailureEnv` is the same thing for one episode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ffade.concepts import STOP, ConceptSpace
from ffade.errors import FfadeError, require_keyword
from ffade.evaluator import MAX_BITMAP_PAIRS, Evaluator, Outcome

__all__ = ["MAX_BITMAP_PAIRS", "Evaluator", "FailureEnv", "FailureVectorEnv", "Outcome"]


class FailureVectorEnv(VectorEnv):
    """Many failure-finding episodes stepped together, so the target sees whole batches.

    Observation per episode: ``features`` (the target's view of the unchanged input, never its
    answer) and ``state`` (the current concept indices). Macroscopic: the action is a whole
    concept state and every episode lasts one step. Microscopic: the action is a move (stop, or
    one concept one step down/up); an episode ends on a failure, on stop, or after ``max_steps``.

    Reward: the reward plugin's value, plus ``novelty_bonus`` for a failure not seen before, minus
    ``step_penalty`` per microscopic step; a stop is paid as staying at its state until
    ``max_steps``. Episodes reset only when the explorer asks
    (``options={"reset_mask": ..., "input_ids": ..., "states": ...}``): it picks the inputs.
    A mistake (a step before the first reset, an action outside the action space, an unknown
    option, an input id or state off the grid) is one :class:`FfadeError` line.

    Args:
        evaluator: shared by all episodes, so memo and budget are global.
        num_envs: episodes per step.
        mode: "macroscopic" or "microscopic".
        max_steps: microscopic step limit (truncation).
        step_penalty: cost per microscopic step; makes small changes worth more.
        novelty_bonus: added when a failure is new, so repeats are not worth chasing.
        start_state: where microscopic episodes start: grid indices, one per concept, or
            ``{concept label: value}`` as the explorers take it (default: the neutral state).
        reward_clip: bound the reward plugin's value to [-clip, clip] before the bonus, penalty
            and stop payment are added; None keeps it whole.
    """

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.DISABLED}

    def __init__(
        self,
        evaluator: Evaluator,
        num_envs: int,
        mode: str = "macroscopic",
        max_steps: int = 10,
        step_penalty: float = 0.1,
        novelty_bonus: float = 1.0,
        start_state: np.ndarray | Mapping[str, Any] | None = None,
        reward_clip: float | None = None,
    ) -> None:
        if mode not in ("macroscopic", "microscopic"):
            raise FfadeError(f"mode must be 'macroscopic' or 'microscopic'; got {mode!r}")
        # the ranges explorers check for a config, said as the keywords
        require_keyword("", "max_steps", max_steps, 1, "whole")
        require_keyword("", "step_penalty", step_penalty, 0)
        require_keyword("", "novelty_bonus", novelty_bonus, 0)
        if reward_clip is not None:
            require_keyword("", "reward_clip", reward_clip, 0, "above")
        self.evaluator = evaluator
        self.reward_clip = reward_clip
        self.space = evaluator.space
        self.num_envs = num_envs
        self.mode = mode
        self.max_steps = max_steps
        self.step_penalty = step_penalty
        self.novelty_bonus = novelty_bonus
        self.start_state = _start_state(self.space, start_state)
        dim = evaluator.feature_dim
        self.single_observation_space = spaces.Dict(
            {
                "features": spaces.Box(-np.inf, np.inf, (dim,), np.float32),
                "state": spaces.MultiDiscrete(self.space.sizes),
            }
        )
        self.single_action_space = (
            spaces.MultiDiscrete(self.space.sizes)
            if mode == "macroscopic"
            else spaces.Discrete(self.space.num_moves)
        )
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.input_ids = np.zeros(num_envs, np.int64)
        self.states = np.tile(self.start_state, (num_envs, 1))
        self.steps = np.zeros(num_envs, np.int64)
        self.global_step = 0
        self.started = False  # step() before the first reset() is refused
        self._feature_table: np.ndarray | None = None

    def observation(self) -> dict[str, np.ndarray]:
        """What the explorer sees of every episode now."""
        if self._feature_table is None:  # a view of the evaluator's: numpy rows index fast
            every_input = np.arange(self.evaluator.num_inputs)
            self._feature_table = self.evaluator.features(every_input).numpy()
        return {"features": self._feature_table[self.input_ids], "state": self.states.copy()}

    def episodes_state(self) -> dict[str, Any]:
        """The episodes under way, for checkpoints (plain lists: ``weights_only`` loads them)."""
        return {
            "input_ids": self.input_ids.tolist(),
            "states": self.states.tolist(),
            "steps": self.steps.tolist(),
            "global_step": self.global_step,
        }

    def load_episodes_state(self, state: dict[str, Any]) -> None:
        self.input_ids[:] = state["input_ids"]
        self.states[:] = state["states"]
        self.steps[:] = state["steps"]
        self.global_step = state["global_step"]
        self.started = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        options = _known(options, ("reset_mask", "input_ids", "states"))
        mask = np.asarray(options.get("reset_mask", np.ones(self.num_envs, bool)))
        if mask.shape != (self.num_envs,) or mask.dtype != bool:
            raise FfadeError(f"reset_mask must be {self.num_envs} booleans; got {mask.tolist()!r}")
        count = int(mask.sum())
        ids = options.get("input_ids")
        if ids is None:
            ids = self.np_random.integers(0, self.evaluator.num_inputs, count)
        states = options.get("states")
        if states is None:
            states = np.tile(self.start_state, (count, 1))
        self.input_ids[mask] = _input_ids(
            ids, (count,), self.evaluator.num_inputs, "options['input_ids']"
        )
        self.states[mask] = _grid_states(self.space, states, (count,), "options['states']")
        self.steps[mask] = 0
        self.started = True
        return self.observation(), {}

    def step(self, actions: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        if not self.started:
            raise FfadeError("step() before reset(): call reset() first, it picks the inputs")
        actions = self._checked(actions)
        n = self.num_envs
        stopped = np.zeros(n, bool)
        if self.mode == "macroscopic":
            self.states = actions
        else:
            stopped = actions == STOP
            self.states = self.space.move(self.states, actions)
        self.steps += 1
        self.global_step += 1
        outcome = self.evaluator.evaluate(self.input_ids, self.states, self.global_step)
        reward = outcome.reward
        if self.reward_clip is not None:
            reward = np.clip(reward, -self.reward_clip, self.reward_clip)
        rewards = reward + self.novelty_bonus * outcome.new_failure
        if self.mode == "microscopic":
            # a stop stays at its state for the rest of the episode, and is paid for every step
            # of it: were it free, any negative pass reward would make stopping the best policy
            remaining = self.max_steps - self.steps + 1
            stay = np.where(outcome.failed, 0.0, reward) - self.step_penalty
            rewards = np.where(stopped, remaining * stay, rewards - self.step_penalty)
            terminated = stopped | outcome.failed
            truncated = self.steps >= self.max_steps
        else:
            terminated = np.ones(n, bool)
            truncated = np.zeros(n, bool)
        # a pair the budget could not pay for taught nothing: end it without a reward
        paid = outcome.evaluated | stopped
        rewards = np.where(paid, rewards, 0.0).astype(np.float32)
        # a failure or a stop ends the episode even on its last allowed step: Q-learning must not
        # bootstrap past it (Gymnasium: termination, not the time limit, decides the target)
        terminated = terminated & paid
        truncated = (truncated | ~paid) & ~terminated
        info = {
            "failed": outcome.failed & ~stopped,
            "new_failure": outcome.new_failure & ~stopped,
            "evaluated": outcome.evaluated,
            "metric": outcome.metric,
            "stopped": stopped,
        }
        return self.observation(), rewards, terminated, truncated, info

    def _checked(self, actions: Any, single: bool = False) -> np.ndarray:
        """The actions as int64, or one line saying what an action of this mode is."""
        actions = np.asarray(actions)
        macro = self.mode == "macroscopic"
        shape = (self.num_envs, self.space.num_concepts) if macro else (self.num_envs,)
        kind = actions.dtype.kind
        whole = kind in "iu" or (kind == "f" and bool(np.all(np.mod(actions, 1) == 0)))
        high = self.space.sizes if macro else self.space.num_moves
        if actions.shape == shape and whole and np.all((actions >= 0) & (actions < high)):
            return actions.astype(np.int64)
        if macro:
            allowed = (
                f"{self.space.num_concepts} grid indices, one per concept ({_ranges(self.space)})"
            )
        else:
            moves = ", ".join(
                f"{2 * i + 1}/{2 * i + 2} {c.label} down/up"
                for i, c in enumerate(self.space.concepts)
            )
            allowed = f"one move 0-{self.space.num_moves - 1} (0 stop, {moves})"
        shown = actions[0] if single and actions.shape[:1] == (1,) else actions
        got = shown.tolist() if shown.size <= 64 else f"an array of shape {shown.shape}"
        each = "" if single else f", one for each of the {self.num_envs} episodes,"
        raise FfadeError(f"a {self.mode} action{each} is {allowed}; got {got!r}")


class FailureEnv(gym.Env):
    """One failure-finding episode: the single-episode face of :class:`FailureVectorEnv`."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        evaluator: Evaluator,
        mode: str = "macroscopic",
        max_steps: int = 10,
        step_penalty: float = 0.1,
        novelty_bonus: float = 1.0,
        start_state: np.ndarray | Mapping[str, Any] | None = None,
        reward_clip: float | None = None,
    ) -> None:
        # the keywords spelt out, not **kwargs: help() and inspect show what docs/plugins.md
        # does, and num_envs (always 1 here) is no keyword this class takes
        self.vector = FailureVectorEnv(
            evaluator,
            num_envs=1,
            mode=mode,
            max_steps=max_steps,
            step_penalty=step_penalty,
            novelty_bonus=novelty_bonus,
            start_state=start_state,
            reward_clip=reward_clip,
        )
        self.observation_space = self.vector.single_observation_space
        self.action_space = self.vector.single_action_space
        self.ended = False  # the episode returned terminated or truncated: reset() comes next

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        options = _known(options, ("input_id", "state"))
        if "input_id" in options:
            ids = self.vector.evaluator.num_inputs
            options["input_ids"] = [
                _input_ids(options.pop("input_id"), (), ids, "options['input_id']")
            ]
        if "state" in options:
            state = options.pop("state")
            options["states"] = [_grid_states(self.vector.space, state, (), "options['state']")]
        obs, info = self.vector.reset(seed=seed, options=options)
        self.ended = False
        return _first(obs), info

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        if not self.vector.started:
            raise FfadeError("step() before reset(): call reset() first, it picks the input")
        if self.ended:  # the vector env would start a new episode on its own, unasked
            raise FfadeError(
                "step() after the episode ended: call reset() first, as gymnasium asks"
            )
        checked = self.vector._checked(np.asarray([action]), single=True)
        obs, rewards, terminated, truncated, info = self.vector.step(checked)
        self.ended = bool(terminated[0] or truncated[0])
        return (
            _first(obs),
            float(rewards[0]),
            bool(terminated[0]),
            bool(truncated[0]),
            {k: v[0].item() for k, v in info.items()},
        )


def _start_state(space: ConceptSpace, start: Any) -> np.ndarray:
    """The start state as grid indices; a mistake is one line naming ``start_state``."""
    if start is None:
        return space.neutral
    if isinstance(start, Mapping):
        return space.index_of(start, "start_state")
    return _grid_states(space, start, (), "start_state", ", or {concept label: value}")


def _grid_states(
    space: ConceptSpace, states: Any, lead: tuple[int, ...], name: str, other: str = ""
) -> np.ndarray:
    """``states`` (``lead`` + (concepts,)) as int64 grid indices, or one line naming ``name``."""
    array = np.asarray(states)
    if (
        array.shape != (*lead, space.num_concepts)
        or not np.issubdtype(array.dtype, np.integer)
        or not ((array >= 0) & (array < space.sizes)).all()
    ):
        each = f"{lead[0]} states of " if lead else ""
        raise FfadeError(
            f"{name} must be {each}{space.num_concepts} grid indices, one per concept "
            f"({_ranges(space)}){other}; got {states!r}"
        )
    return array.astype(np.int64)


def _ranges(space: ConceptSpace) -> str:
    sizes = space.sizes.tolist()
    return ", ".join(f"{c.label} 0-{n - 1}" for c, n in zip(space.concepts, sizes, strict=True))


def _input_ids(ids: Any, lead: tuple[int, ...], num_inputs: int, name: str) -> np.ndarray:
    """Input ids (shape ``lead``), or one line naming ``name`` and the ids there are."""
    array = np.asarray(ids)
    if (
        array.shape != lead
        or not np.issubdtype(array.dtype, np.integer)
        or not ((array >= 0) & (array < num_inputs)).all()
    ):
        raise FfadeError(
            f"{name} must be {lead[0] if lead else 'one'} of the {num_inputs} inputs' ids, "
            f"0-{num_inputs - 1}; got {ids!r}"
        )
    return array.astype(np.int64)


def _known(options: Mapping[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    """reset()'s options, or one line naming a key it does not take (a typo is not ignored)."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(keys))
    if unknown:
        allowed = ", ".join(keys)
        raise FfadeError(f"reset() options take {allowed}; unknown: {', '.join(unknown)}")
    return options


def _first(obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v[0] for k, v in obs.items()}
