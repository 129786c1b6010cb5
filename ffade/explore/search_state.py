"""What a search checkpoints, and how a resumed one picks up where its checkpoint left it.

Split from :mod:`ffade.explore.base` so that module keeps the search loop and its records; a
killed run resumes (``ffade fit --ckpt_path``) through these hooks. :class:`SearchState` is the
first base of :class:`~ffade.explore.base.Explorer`, so its Lightning hooks
(``on_save_checkpoint``, ``on_load_checkpoint``, ``on_fit_start``) are the explorer's; it reads
and restores what the explorer keeps. Subclasses add their own state (a replay buffer, tables)
through :meth:`SearchState.explorer_state` and :meth:`SearchState.load_explorer_state`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ffade import auto_batch
from ffade.checkpoint import checkpoint_run_dir
from ffade.disjoint import check_resumed
from ffade.env import Evaluator, FailureVectorEnv
from ffade.explore.coverage import CoverageProbes
from ffade.explore.replay import replay_log
from ffade.explore.stopping import RecentFailures
from ffade.records import SUMMARY_FILE
from ffade.shell_words import option_path
from ffade.task import spec_dict


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
    task_spec: Any  # the explorer's task (a TaskSpec, or its dict)
    trainer: Any  # Lightning's
    inputs_digest: str | None = None  # of the inputs searched, set once they are (summary.json)
    _replayed_digest: str | None = None  # what the replayed run's summary.json recorded
    _digest_here: str | None = None  # this run directory's, before this run rewrote it

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
            # the inputs searched: a resume on data changed since is refused (on_fit_start)
            "inputs_digest": self.inputs_digest,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._restored = checkpoint["ffade"]

    def replay_from(self, run_dir: str | Path) -> None:
        """Before fitting: resume a run killed before its first checkpoint from its log (see
        :mod:`ffade.explore.replay`), as ``ffade fit --ckpt_path RUN_DIR`` does."""
        self._replay_dir = Path(run_dir)
        # read now: a resume in its own directory (a pinned version) rewrites its summary.json
        self._replayed_digest = _summary_digest(self._replay_dir)

    def start_search_run(self) -> Path:
        """Start the run (:meth:`~ffade.run_base.RunModule.start_run`, summary.json status
        "created") once the digest its directory's summary.json holds is read: a resume into its
        own directory (a pinned version) rewrites that file, which the check of a checkpoint
        saved before checkpoints kept the digest reads (:meth:`on_fit_start`)."""
        run_dir = self.start_run()
        self._digest_here = _summary_digest(run_dir)
        self.write_summary()
        return run_dir

    def on_fit_start(self) -> None:
        if self._replay_dir is not None:
            self.check_same_inputs(self._replayed_digest, self._replay_dir)
            replay_log(self, self._replay_dir)
        if self._restored is None:
            return
        state = self._restored
        if "inputs_digest" in state:
            self.check_same_inputs(state["inputs_digest"])
        else:  # a checkpoint from before it kept the digest: its run's summary.json has it
            run_dir = checkpoint_run_dir(self.trainer.ckpt_path, state.get("run_dir"))
            self.check_same_inputs(self._recorded_digest(run_dir))
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

    def check_same_inputs(self, searched: str | None, resumed: str | Path | None = None) -> None:
        """Refuse, in one line naming ``--ckpt_path`` (``resumed``, or the checkpoint restored), a
        resume whose dataset no longer gives the inputs the run searched (``searched``: their
        digest as its first part recorded it; None: not recorded, not checked).

        The task is built anew from the data as it is now: a photo added to an ``image_folder``
        since reshuffles its splits, and the memo, failures and log of the first part would be
        carried over to the other inputs now at their positions, a run of two searches in one.
        """
        if searched is None or searched == self.inputs_digest:
            return
        where = option_path("--ckpt_path", resumed or self.trainer.ckpt_path)
        dataset = spec_dict(self.task_spec)["dataset"]["name"]
        now, self.inputs_digest = self.inputs_digest, searched
        # the run searched those: its summary.json, rewritten as a refused resume in its own
        # directory fails, keeps them, and the same resume tried again is refused again
        check_resumed(now, searched, dataset, where)

    def _recorded_digest(self, run_dir: Path | None) -> str | None:
        """The digest ``run_dir``'s summary.json recorded; this run's own as it was at start."""
        if run_dir is None:
            return None
        if self.run_dir is not None and Path(run_dir).resolve() == self.run_dir.resolve():
            return self._digest_here
        return _summary_digest(run_dir)

    def explorer_state(self) -> dict[str, Any]:
        """Subclass state beyond parameters (replay buffer, tables) for checkpoints."""
        return {}

    def load_explorer_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`explorer_state`."""


def _summary_digest(run_dir: Path) -> str | None:
    """The ``inputs_digest`` a run's summary.json recorded; None when it has none (a run from
    before it was recorded, or killed before its inputs were read) or cannot be read."""
    try:
        summary = json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary.get("inputs_digest") if isinstance(summary, dict) else None
