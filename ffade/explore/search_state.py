"""What a search checkpoints, and how a resumed one picks up where its checkpoint left it.

Split from :mod:`ffade.explore.base` so that module keeps the search loop and its records; a
killed run resumes (``ffade fit --ckpt_path``) through these hooks. :class:`SearchState` is the
first base of :class:`~ffade.explore.base.Explorer`, so its Lightning hooks
(``on_save_checkpoint``, ``on_load_checkpoint``, ``on_fit_start``) are the explorer's; it reads
and restores what the explorer keeps. Subclasses add their own state (a replay buffer, tables)
through :meth:`SearchState.explorer_state` and :meth:`SearchState.load_explorer_state`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ffade import auto_batch
from ffade.env import Evaluator, FailureVectorEnv
from ffade.explore.coverage import CoverageProbes
from ffade.explore.replay import replay_log
from ffade.explore.stopping import RecentFailures


class SearchState:
    """The checkpoint hooks of :class:`~ffade.explore.base.Explorer`, which sets every attribute
    named here (and, through :class:`~ffade.run_base.RunModule`, the run's clock)."""

    evaluator: Evaluator | None
    env: FailureVectorEnv | None
    rng: np.random.Generator
    gradient_updates: int
    iterations: int
    idle_steps: int
    failing_flat_states: set[int]
    smallest_failures: dict[int, tuple[int, list[int]]]
    run_dir: Path | None
    wall_seconds: float
    batch_size_probe: auto_batch.BatchSizeProbe | None
    probes: CoverageProbes | None
    _restored: dict[str, Any] | None
    _replay_dir: Path | None
    _done: np.ndarray
    _obs: dict[str, np.ndarray] | None
    recent_failures: RecentFailures
    elapsed_seconds: Any  # RunModule's
    inputs_digest: str | None = None  # of the inputs searched, set once they are (summary.json)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["ffade"] = {
            "evaluator": self.evaluator.state_dict(),
            "rng": self.rng.bit_generator.state,
            "env_rng": self.env.np_random.bit_generator.state,
            "gradient_updates": self.gradient_updates,
            "iterations": self.iterations,
            "idle_steps": self.idle_steps,  # max_idle_steps' count
            "failing_flat_states": sorted(self.failing_flat_states),
            "smallest_failures": self.smallest_failures,
            "wall_seconds": self.elapsed_seconds(),
            "run_dir": str(self.run_dir),
            # episodes under way: a resumed microscopic run continues them
            "episodes": {**self.env.episodes_state(), "done": self._done.tolist()},
            "explorer": self.explorer_state(),
            "recent_failures": self.recent_failures.steps(),  # stop_when's window
            "batch_size": auto_batch.checkpoint_state(self.evaluator, self.batch_size_probe),
            # the coverage probes' outcomes: a resume need not evaluate them again
            "probes": None if self.probes is None else self.probes.outcomes(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._restored = checkpoint["ffade"]

    def replay_from(self, run_dir: str | Path) -> None:
        """Before fitting: resume a run killed before its first checkpoint from its log (see
        :mod:`ffade.explore.replay`), as ``ffade fit --ckpt_path RUN_DIR`` does."""
        self._replay_dir = Path(run_dir)

    def on_fit_start(self) -> None:
        if self._replay_dir is not None:
            replay_log(self, self._replay_dir)
        if self._restored is None:
            return
        state = self._restored
        self.evaluator.load_state_dict(state["evaluator"])
        self.rng.bit_generator.state = state["rng"]
        self.env.np_random.bit_generator.state = state["env_rng"]
        self.gradient_updates = state["gradient_updates"]
        self.iterations = state["iterations"]
        self.idle_steps = state.get("idle_steps", 0)  # counted anew from an older checkpoint
        self.failing_flat_states = set(state["failing_flat_states"])
        self.smallest_failures = dict(state["smallest_failures"])
        self.wall_seconds = state["wall_seconds"]
        self.env.load_episodes_state(state["episodes"])
        self._done = np.array(state["episodes"]["done"], bool)
        self._obs = self.env.observation()
        self.load_explorer_state(state["explorer"])
        # a checkpoint from before ffade kept the window: judged anew after 1,000 evaluations
        self.recent_failures = RecentFailures(state.get("recent_failures", []))
        self.batch_size_probe = auto_batch.restore(self.evaluator, state, self.batch_size_probe)

    def explorer_state(self) -> dict[str, Any]:
        """Subclass state beyond parameters (replay buffer, tables) for checkpoints."""
        return {}

    def load_explorer_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`explorer_state`."""
