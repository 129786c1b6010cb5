"""The failure environment: the explorer acts, the target is evaluated, a reward comes back.

:class:`Evaluator` owns everything that costs target time: it runs the target in batches on
inputs changed by concepts (built by :class:`~ffade.changes.ChangedInputs`), scores with the
reward plugin, memoizes each (input, state) pair so repeats are free, enforces the evaluation
budget and appends every evaluation to the run log.
:class:`FailureVectorEnv` is the gymnasium vector environment explorers drive (many episodes per
step, so the target sees full batches); :class:`FailureEnv` is the same thing for one episode.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ffade.batch import concat, take
from ffade.changes import DEVICE_CACHE_BYTES, ChangedInputs
from ffade.concepts import STOP
from ffade.records import EvaluationEncoder, RunRecorder
from ffade.task import Task
from ffade.threads import one_thread

MAX_BITMAP_PAIRS = 2**27
"""Up to this many (input, state) pairs (128 MB) membership is a bitmap; beyond, the memo."""


@dataclass
class Outcome:
    """Per-pair results of :meth:`Evaluator.evaluate` (arrays of the request's length)."""

    metric: np.ndarray
    reward: np.ndarray
    failed: np.ndarray
    new_failure: np.ndarray  # failed, and evaluated for the first time by this call
    evaluated: np.ndarray  # False where the budget ran out before this pair


class Evaluator:
    """Batched, memoized, budgeted, logged evaluation of (input, concept state) pairs.

    Args:
        task: the built task.
        batch_size: inputs per forward pass of the target.
        budget: the most target evaluations allowed (memoized repeats are free); None: no limit.
        recorder: where evaluations are appended; None keeps them in memory only.
        cache_bytes: keep the whole split collated on the target's device if it fits in this.

    Attributes:
        changes: builds the changed inputs the target is run on (also for pictures of them).
    """

    def __init__(
        self,
        task: Task,
        batch_size: int = 64,
        budget: int | None = None,
        recorder: RunRecorder | None = None,
        cache_bytes: int = DEVICE_CACHE_BYTES,
    ) -> None:
        self.task = task
        self.changes = ChangedInputs(task, cache_bytes)
        self.space = task.space
        self.batch_size = batch_size
        self.budget = budget
        self.recorder = recorder
        self._encoder = EvaluationEncoder([(c.label, c.values) for c in self.space.concepts])
        self.memo: dict[int, tuple[float, float, bool]] = {}
        # is_evaluated runs on every candidate an explorer scores: a flat bitmap answers a whole
        # array at once, where a dict lookup per key cost more than the rest of a DQN decision
        pairs = self.num_inputs * self.space.num_states
        self._evaluated = np.zeros(pairs, bool) if pairs <= MAX_BITMAP_PAIRS else None
        self.evaluations = 0
        self.failures = 0
        self.invalid = 0  # evaluations whose metric or reward was NaN or inf
        self._features: torch.Tensor | None = None
        self._clean_outputs: list[Any] | None = None

    @property
    def num_inputs(self) -> int:
        return len(self.task.inputs)

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(self.budget - self.evaluations, 0)

    def keys(self, input_ids: np.ndarray, states: np.ndarray) -> np.ndarray:
        """One integer per (input, state) pair: the memo key and the unit of 'distinct'."""
        return np.asarray(input_ids, np.int64) * self.space.num_states + self.space.flat(states)

    def is_evaluated(self, keys: np.ndarray) -> np.ndarray:
        if self._evaluated is not None:
            return self._evaluated[keys]
        return np.fromiter((int(k) in self.memo for k in keys.ravel()), bool, keys.size).reshape(
            keys.shape
        )

    def features(self, input_ids: np.ndarray) -> torch.Tensor:
        """The target's features of the unchanged inputs (computed once for all, on CPU)."""
        if self._features is None:
            chunks = []
            for start in range(0, self.num_inputs, self.batch_size):
                ids = range(start, min(start + self.batch_size, self.num_inputs))
                inputs, _ = self.changes.unchanged(ids)
                with torch.inference_mode():
                    chunks.append(self.task.target.features(inputs).float().cpu())
            self._features = torch.cat(chunks)
        return self._features[torch.as_tensor(np.asarray(input_ids), dtype=torch.long)]

    @property
    def feature_dim(self) -> int:
        return self.features(np.zeros(1, np.int64)).shape[1]

    def evaluate(self, input_ids: np.ndarray, states: np.ndarray, step: int = 0) -> Outcome:
        """Evaluate pairs, new ones through the target in batches, repeats from the memo."""
        input_ids = np.asarray(input_ids, np.int64)
        states = np.asarray(states, np.int64).reshape(len(input_ids), self.space.num_concepts)
        keys = self.keys(input_ids, states)
        todo: dict[int, int] = {}
        for row, key in enumerate(keys.tolist()):
            if key not in self.memo and key not in todo:
                todo[key] = row
        fresh = list(todo.values())
        if self.remaining is not None:
            fresh = fresh[: self.remaining]
        if fresh:
            self._run(input_ids[fresh], states[fresh], keys[fresh], step)
        fresh_keys = {int(keys[r]) for r in fresh}
        n = len(keys)
        out = Outcome(
            np.zeros(n, np.float32),
            np.zeros(n, np.float32),
            np.zeros(n, bool),
            np.zeros(n, bool),
            np.zeros(n, bool),
        )
        for row, key in enumerate(keys.tolist()):
            if key in self.memo:
                out.metric[row], out.reward[row], out.failed[row] = self.memo[key]
                out.evaluated[row] = True
                out.new_failure[row] = out.failed[row] and key in fresh_keys
                fresh_keys.discard(key)  # a pair repeated within one call is new only once
        return out

    def _run(self, input_ids: np.ndarray, states: np.ndarray, keys: np.ndarray, step: int) -> None:
        for start in range(0, len(keys), self.batch_size):
            part = slice(start, start + self.batch_size)
            ids, st = input_ids[part], states[part]
            with one_thread(self.task.target.device):  # many small kernels: see ffade.threads
                inputs, references = self.changes.build(ids, st)
            with torch.inference_mode():
                outputs = self.task.target.predict(inputs)
                clean = self._clean(ids) if self.task.reward.needs_clean_outputs else None
                with one_thread(self.task.target.device):
                    scores = self.task.reward.score(outputs, references, clean)
            metrics, rewards = scores.metric.tolist(), scores.reward.tolist()
            failed = scores.failed.tolist()
            paid = rewards
            invalid = self._invalid(metrics, rewards, ids, st)
            if invalid.any():  # neither failed nor paid: no NaN reaches a learner
                failed = (np.asarray(failed, bool) & ~invalid).tolist()
                paid = np.where(invalid, 0.0, rewards).tolist()
            lines = list(
                self._encoder.lines(
                    step, ids.tolist(), st.tolist(), metrics, rewards, failed, invalid.tolist()
                )
            )
            # counted with its batch, just before its lines are written: a Ctrl-C in the log's
            # fsync (the slow part, after the write) still leaves the summary counting the log
            results = zip(metrics, paid, failed, strict=True)
            self.memo.update(zip(keys[part].tolist(), results, strict=True))
            if self._evaluated is not None:
                self._evaluated[keys[part]] = True
            self.failures += sum(failed)
            self.invalid += int(invalid.sum())
            self.evaluations += len(ids)
            if self.recorder is not None:
                self.recorder.append_lines(lines)

    def _invalid(
        self, metric: list[float], reward: list[float], input_ids: np.ndarray, states: np.ndarray
    ) -> np.ndarray:
        """Where the metric is NaN or the reward NaN or inf: neither a pass nor a failure.

        Warned once per run. An infinite metric alone stays valid: a margin may be unbounded.
        """
        metric = np.asarray(metric, np.float64)
        invalid = np.isnan(metric) | ~np.isfinite(np.asarray(reward, np.float64))
        if invalid.any() and not self.invalid:
            row = int(np.argmax(invalid))
            warnings.warn(
                f"the target's outputs scored {metric[row]} (not a finite number) on input "
                f"{int(input_ids[row])} at {self.space.values(states[row])}; such evaluations "
                "count as 'invalid' (summary.json), not as passes or failures",
                stacklevel=2,
            )
        return invalid

    def _clean(self, ids: np.ndarray) -> Any:
        """The target's outputs on the unchanged inputs, computed once per input."""
        if self._clean_outputs is None:
            self._clean_outputs = [None] * self.num_inputs
        missing = [int(i) for i in ids if self._clean_outputs[int(i)] is None]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            inputs, _ = self.changes.unchanged(chunk)
            outputs = self.task.target.predict(inputs)
            for j, i in enumerate(chunk):
                self._clean_outputs[i] = take(outputs, [j])
        return concat([self._clean_outputs[int(i)] for i in ids])

    def state_dict(self) -> dict[str, Any]:
        return {
            "memo": self.memo,
            "evaluations": self.evaluations,
            "failures": self.failures,
            "invalid": self.invalid,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.memo = dict(state["memo"])
        if self._evaluated is not None:
            self._evaluated[:] = False
            self._evaluated[np.fromiter(self.memo, np.int64, len(self.memo))] = True
        self.evaluations = int(state["evaluations"])
        self.failures = int(state["failures"])
        self.invalid = int(state.get("invalid", 0))  # checkpoints from before 'invalid' existed


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

    Args:
        evaluator: shared by all episodes, so memo and budget are global.
        num_envs: episodes per step.
        mode: "macroscopic" or "microscopic".
        max_steps: microscopic step limit (truncation).
        step_penalty: cost per microscopic step; makes small changes worth more.
        novelty_bonus: added when a failure is new, so repeats are not worth chasing.
        start_state: where microscopic episodes start (default: the neutral state).
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
        start_state: np.ndarray | None = None,
        reward_clip: float | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.reward_clip = reward_clip
        self.space = evaluator.space
        self.num_envs = num_envs
        self.mode = mode
        self.max_steps = max_steps
        self.step_penalty = step_penalty
        self.novelty_bonus = novelty_bonus
        self.start_state = self.space.neutral if start_state is None else np.asarray(start_state)
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
        self._feature_table: np.ndarray | None = None

    def observation(self) -> dict[str, np.ndarray]:
        """What the explorer sees of every episode now."""
        if self._feature_table is None:  # a view of the evaluator's: numpy rows index fast
            every_input = np.arange(self.evaluator.num_inputs)
            self._feature_table = self.evaluator.features(every_input).numpy()
        return {"features": self._feature_table[self.input_ids], "state": self.states.copy()}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        mask = np.asarray(options.get("reset_mask", np.ones(self.num_envs, bool)))
        count = int(mask.sum())
        ids = options.get("input_ids")
        if ids is None:
            ids = self.np_random.integers(0, self.evaluator.num_inputs, count)
        states = options.get("states")
        if states is None:
            states = np.tile(self.start_state, (count, 1))
        self.input_ids[mask] = ids
        self.states[mask] = states
        self.steps[mask] = 0
        return self.observation(), {}

    def step(self, actions: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        actions = np.asarray(actions)
        n = self.num_envs
        stopped = np.zeros(n, bool)
        if self.mode == "macroscopic":
            self.states = actions.reshape(n, self.space.num_concepts).astype(np.int64)
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
        rewards = np.where(outcome.evaluated | stopped, rewards, 0.0).astype(np.float32)
        truncated = truncated | ~(outcome.evaluated | stopped)
        info = {
            "failed": outcome.failed & ~stopped,
            "new_failure": outcome.new_failure & ~stopped,
            "evaluated": outcome.evaluated,
            "metric": outcome.metric,
            "stopped": stopped,
        }
        return self.observation(), rewards, terminated & ~truncated, truncated, info


class FailureEnv(gym.Env):
    """One failure-finding episode: the single-episode face of :class:`FailureVectorEnv`."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(self, evaluator: Evaluator, **kwargs: Any) -> None:
        self.vector = FailureVectorEnv(evaluator, num_envs=1, **kwargs)
        self.observation_space = self.vector.single_observation_space
        self.action_space = self.vector.single_action_space

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        if "input_id" in options:
            options["input_ids"] = [options.pop("input_id")]
        if "state" in options:
            options["states"] = [options.pop("state")]
        obs, info = self.vector.reset(seed=seed, options=options)
        return _first(obs), info

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        obs, rewards, terminated, truncated, info = self.vector.step(np.asarray([action]))
        return (
            _first(obs),
            float(rewards[0]),
            bool(terminated[0]),
            bool(truncated[0]),
            {k: v[0].item() for k, v in info.items()},
        )


def _first(obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v[0] for k, v in obs.items()}
