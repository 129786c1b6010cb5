"""The explorer base: a LightningModule that drives the failure environment within a budget.

Each training step is one environment step of ``num_envs`` episodes: pick inputs for episodes
that ended, choose actions, step, and let the subclass learn from what came back. Training ends
when the budget of target evaluations is spent. Subclasses implement :meth:`act` (and, to learn,
:meth:`observe`); the records, the summary and the checkpointed state are shared, and the seed,
run directory, clock and crash handling come from :class:`~ffade.run_base.RunModule`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import DataLoader
from typing_extensions import override

from ffade import auto_batch
from ffade.concepts import STOP
from ffade.disjoint import inputs_digest
from ffade.distributed import check_ranks_ended_alike, keep_module_unwrapped, trainer_ranks
from ffade.env import Evaluator, FailureVectorEnv
from ffade.event_trim import trim_earlier_events
from ffade.explore.arguments import (
    check_explorer_arguments,
    check_num_envs,
    checked_mode,
    start_notes,
)
from ffade.explore.coverage import CoverageProbes, probe_count
from ffade.explore.examples import save_worst_examples
from ffade.explore.moves import first_stops
from ffade.explore.reachable import ReachedInputs
from ffade.explore.replay import copy_checkpointed_log
from ffade.explore.search_state import SearchState
from ffade.explore.stopping import (
    RecentFailures,
    check_some_valid,
    idle_started_notes,
    idle_stop_notes,
    nothing_searched_notes,
    parse_stop_rule,
    search_stop_reason,
    stop_rule_notes,
    trainer_stop_reason,
)
from ffade.explore.ticks import Ticks
from ffade.passing import searched_task
from ffade.records import RunRecorder, write_policy
from ffade.run_base import RunModule
from ffade.step_scalars import log_step_scalars
from ffade.task import Task, TaskSpec, spec_dict

MACROSCOPIC, MICROSCOPIC = "macroscopic", "microscopic"
MAX_POLICY_STATES = 200_000
"""Grids up to this size get ``policy.npy``; beyond it a per-state table is too big to be useful."""


class Explorer(SearchState, RunModule):
    """Shared machinery of every explorer; see the module docstring.

    Args:
        task: what to explore (target, dataset, reward, concepts, mode).
        budget: target evaluations to spend; memoized repeats are free.
        num_envs: episodes stepped together; the target sees them as one batch.
        eval_batch_size: inputs per forward pass of the target, or "auto": the fastest size,
            probed on real inputs (ffade.auto_batch). A step evaluates at most ``num_envs`` pairs.
        max_steps: microscopic episode step limit.
        step_penalty: microscopic cost per step (favours the smallest failing change).
        novelty_bonus: extra reward for a failure never seen before.
        start_state: microscopic start, as {concept label: value}; default the neutral state.
        max_idle_steps: stop after this many consecutive steps without a new evaluation.
        reward_clip: bound the reward plugin's value to [-clip, clip] before the novelty bonus
            and step penalty are added (None: unbounded); see FailureVectorEnv.
        coverage_probes: share of the budget (or of all pairs, if fewer) spent, beyond it, on
            uniform random probes that estimate the failing pairs not found yet (summary.json's
            ``estimated_remaining_failures``; see ffade.explore.coverage); 0 turns it off.
        stop_when: end the search early, e.g. "new_failures_per_1000 < 5" or
            "estimated_remaining < 10" (see ffade.explore.stopping); None: spend the budget.
    """

    name = "explorer"
    supported_modes: tuple[str, ...] = (MACROSCOPIC, MICROSCOPIC)
    replays_log = True  # resumed by replaying evaluations.jsonl (replay_from)

    def __init__(
        self,
        task: TaskSpec,
        budget: int = 1000,
        num_envs: int = 32,
        eval_batch_size: int | str = 256,
        max_steps: int = 10,
        step_penalty: float = 0.1,
        novelty_bonus: float = 1.0,
        start_state: dict[str, Any] | None = None,
        max_idle_steps: int = 200,
        reward_clip: float | None = None,
        coverage_probes: float = 0.05,
        stop_when: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        task = self.absolute_task_paths()  # config.yaml names a target's weights from anywhere
        self.automatic_optimization = False
        auto_batch.check_eval_batch_size(eval_batch_size)
        check_explorer_arguments(locals())  # the arguments as given, before any is used
        self.stop_rule = parse_stop_rule(stop_when, probe_count(coverage_probes, budget) > 0)
        self.mode = checked_mode(self, task, start_state)
        self.task_spec = task
        self.budget = budget
        self.num_envs = num_envs
        self.task: Task | None = None
        self.evaluator: Evaluator | None = None
        self.env: FailureVectorEnv | None = None
        self.probes: CoverageProbes | None = None
        self.batch_size_probe: auto_batch.BatchSizeProbe | None = None
        self.recent_failures = RecentFailures()
        self.reached_inputs = ReachedInputs()  # microscopic: inputs with nothing left to reach
        self.stop_reason: str | None = None  # set when the search ends itself
        self.recorder: RunRecorder | None = None
        self.gradient_updates = self.iterations = self.idle_steps = 0
        self.idle_noted = False  # a long idle streak said once (stopping.idle_started_notes)
        self.step_scalars: dict[str, float] = {}  # subclasses add theirs; logged once per step
        self.failing_flat_states: set[int] = set()
        self.inputs_failing_unchanged: int | None = None  # set by task.only_passing_inputs
        self.smallest_failures: dict[int, tuple[int, list[int]]] = {}
        self._restored: dict[str, Any] | None = None
        self._replay_dir: Path | None = None
        self._done = np.ones(num_envs, bool)
        self._obs: dict[str, np.ndarray] | None = None
        self.rng = np.random.default_rng(0)

    # ---- building the world -----------------------------------------------------------------
    @override
    def setup(self, stage: str) -> None:
        if self.task is not None:
            return
        keep_module_unwrapped(self.trainer.strategy)  # see ffade.distributed
        ranks = trainer_ranks(self.trainer)
        # first: a run killed, failed or stopped while its task is built still has a summary
        run_dir = self.start_search_run()  # status "created" until it starts (on_fit_end)
        self.task, self.inputs_failing_unchanged = searched_task(
            self.task_spec, self.hparams.eval_batch_size, ranks
        )
        self.tell(self.task.notes)
        self.inputs_digest = inputs_digest(self.task.inputs)  # a fine-tune checks it
        if self.inputs_failing_unchanged is not None:
            self.task_spec = self.task.spec  # summary.json names the inputs searched
        self.rng = np.random.default_rng(self.seed)
        h = self.hparams
        self.evaluator = Evaluator(self.task, 1, self.budget, ranks=ranks)
        # opened after the evaluator's probe, which can refuse the task; rank 0 alone keeps a log
        recorder = RunRecorder(run_dir) if ranks.is_global_zero else None  # (ffade.distributed)
        self.recorder = self.evaluator.recorder = recorder
        self.batch_size_probe = auto_batch.choose(self.evaluator, h.eval_batch_size, self.seed)
        start = None
        if h.start_state is not None:
            start = self.space.index_of(h.start_state, "model.init_args.start_state")
        check_num_envs(self.num_envs, self.evaluator.num_inputs, self.space.num_states)
        self.env = FailureVectorEnv(
            self.evaluator,
            self.num_envs,
            self.mode,
            h.max_steps,
            h.step_penalty,
            h.novelty_bonus,
            start,
            h.reward_clip,
        )
        self.env.reset(seed=self.seed)
        self.evaluator.failure_listeners.append(self._track_failures)
        # a share of what the run can spend: a grid sweep's budget of 10^9 is all pairs, once
        self.payable = min(self.budget, self.evaluator.num_inputs * self.space.num_states)
        self.tell(stop_rule_notes(self.stop_rule, self.payable) + start_notes(self))
        probes = probe_count(self.hparams.coverage_probes, self.payable)
        if probes:
            self.probes = CoverageProbes(self.evaluator, probes, self.seed)
        self.build(self.task)

    def build(self, task: Task) -> None:
        """Create networks or tables that depend on the task (called once, in setup)."""

    @property
    def space(self):
        return self.task.space

    @override
    def train_dataloader(self) -> DataLoader:
        return DataLoader(Ticks(), batch_size=None)

    @override
    def configure_optimizers(self):
        return None

    # ---- the loop ---------------------------------------------------------------------------
    @override
    def on_train_start(self) -> None:
        if self._restored is not None:
            copy_checkpointed_log(self)
        resumed = self._restored is not None or self._replay_dir is not None
        if resumed and self.trainer.is_global_zero:  # the steps after the checkpoint come again
            trim_earlier_events(self.logger, self.iterations + 1)
        restored = self._restored is not None
        if self.probes is not None and restored:  # their outcomes, kept in the checkpoint
            # (README: a resumed run counts its times on from the checkpoint's)
            self.probes.resume(self._restored.get("probes"), self.evaluator.batch_size)
        self.start_clock()
        if self.probes is not None and not restored:
            self.probes.evaluate(self.evaluator.batch_size)
        self.write_summary("running")

    @override
    def on_train_batch_start(self, batch: Any, batch_idx: int) -> int | None:
        reason = search_stop_reason(self)
        if reason is not None:
            self.stop_reason = reason
            self.tell(nothing_searched_notes(self) + idle_stop_notes(self))
            # -1 ends the epoch; should_stop the run, whatever max_epochs says: with -1
            # (Lightning's "no end") empty epochs followed each other at full CPU, forever
            self.trainer.should_stop = True
            return -1
        return None

    @override
    def training_step(self, batch: Any, batch_idx: int) -> None:
        if self._done.any():
            count = int(self._done.sum())
            self._obs, _ = self.env.reset(
                options={"reset_mask": self._done, "input_ids": self.choose_inputs(count)}
            )
        obs = self._obs
        before, failures_before = self.evaluator.evaluations, self.evaluator.failures
        actions = self.act(obs)
        if self.mode == MICROSCOPIC:  # an input's start state is its smallest change: try it first
            actions = self.stop_first(obs, actions)
        next_obs, rewards, terminated, truncated, info = self.env.step(actions)
        self.observe(obs, actions, rewards, next_obs, terminated, truncated, info)
        self._obs = next_obs
        self._done = terminated | truncated
        self.iterations += 1
        new = self.evaluator.evaluations - before
        self.idle_steps = 0 if new else self.idle_steps + 1
        self.tell(idle_started_notes(self))  # the bar stands still: say why, once
        self.recent_failures.add(new, self.evaluator.failures - failures_before)
        if self.probes is not None:
            self.step_scalars.update(self.probes.estimate().scalars())
        self.step_scalars.update(
            {
                "discovery/evaluations": float(self.evaluator.evaluations),
                "discovery/failures_found": float(self.evaluator.failures),
                "discovery/invalid": float(self.evaluator.invalid),
                "discovery/failing_concept_states": float(len(self.failing_flat_states)),
                "train/reward": float(rewards[info["evaluated"]].mean()) if new else 0.0,
                "train/gradient_updates": float(self.gradient_updates),
            }
        )
        if self.logger is not None:
            # not self.log, which reduces a result collection a step (as costly as a model batch)
            log_step_scalars(self.logger, self.step_scalars, self.iterations)
        self.step_scalars = {}
        if self.iterations % 20 == 0:
            self.write_summary()
        check_some_valid(self)  # a reward that scores nothing: fail now, not at the budget

    def choose_inputs(self, count: int) -> np.ndarray:
        """Inputs for episodes about to start; uniformly random unless a subclass knows better."""
        return self.rng.integers(0, self.evaluator.num_inputs, count)

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """One action per episode: a state (macroscopic) or a move (microscopic)."""
        raise NotImplementedError

    def observe(self, obs, actions, rewards, next_obs, terminated, truncated, info) -> None:
        """Learn from one environment step; baselines that do not learn ignore it."""

    def stop_first(self, obs: dict[str, np.ndarray], actions: np.ndarray) -> np.ndarray:
        """``actions`` with a stop for each input's first episode whose start state is not
        evaluated yet (ffade.explore.moves.first_stops); a subclass that keeps what it chose
        (the DQN's move features) overrides it to match."""
        fresh = np.nonzero(self.env.steps == 0)[0]
        stops = np.zeros(len(actions), bool)
        stops[fresh] = first_stops(self.evaluator, self.env.input_ids[fresh], obs["state"][fresh])
        return np.where(stops, STOP, actions)

    def _track_failures(self, input_ids: np.ndarray, states: np.ndarray) -> None:
        """Every failing pair the evaluator records (a stop's at the start state included)."""
        self.failing_flat_states.update(self.space.flat(states).tolist())
        if self.mode == MICROSCOPIC:  # remember the smallest failing change per input
            sizes = np.abs(np.asarray(states) - self.env.start_state).sum(1).tolist()
            rows = zip(input_ids.tolist(), sizes, states.tolist(), strict=True)
            for input_id, size, state in rows:
                best = self.smallest_failures.get(input_id)
                if best is None or size < best[0]:
                    self.smallest_failures[input_id] = (size, state)

    # ---- records ----------------------------------------------------------------------------
    def action_probabilities(self) -> np.ndarray | None:
        """The explorer's probability of choosing each flat state (macroscopic), None if too
        many: uniform here, exactly what random and exhaustive search do; learners override."""
        if self.space.num_states > MAX_POLICY_STATES:
            return None
        return np.full(self.space.num_states, 1.0 / self.space.num_states)

    def summary(self) -> dict[str, Any]:
        ev = self.evaluator
        summary = {
            "explorer": self.name,
            "status": self.status,
            "mode": self.mode,
            "seed": self.seed,
            "budget": self.budget,
            **(ev.counts() if ev else Evaluator.NO_COUNTS),
            "failing_concept_states": len(self.failing_flat_states),
            "gradient_updates": self.gradient_updates,
            "iterations": self.iterations,
            "wall_seconds": round(self.elapsed_seconds(), 3),
            "num_inputs": ev.num_inputs if ev else 0,
            "inputs_failing_unchanged": self.inputs_failing_unchanged,
            "inputs_digest": self.inputs_digest,
            **auto_batch.batch_size_summary(ev, self.batch_size_probe),
            "num_states": self.space.num_states if self.task else 0,
            "concepts": self.space.describe() if self.task else [],
            "neutral_state": self.space.neutral.tolist() if self.task else [],
            "task": spec_dict(self.task_spec),
            "output_kind": getattr(getattr(self.task, "target", None), "output_kind", None),
            "hyperparameters": {
                k: v for k, v in self.hparams.items() if k != "task" and not k.startswith("_")
            },
        }
        if self.status == "finished":
            summary["stop_reason"] = self.stop_reason
        if self.probes is not None and self.probes.evaluated:
            summary["estimated_remaining_failures"] = self.probes.estimate().to_dict()
        if self.mode == MICROSCOPIC and self.env is not None:
            summary["start_state"] = self.env.start_state.tolist()
            # fewest steps first, ties by input id: not by when each input first failed
            by_steps = sorted(self.smallest_failures.items(), key=lambda x: (x[1][0], x[0]))
            smallest = by_steps[:20]
            start = self.env.start_state
            summary["smallest_failing_changes"] = [
                {
                    "input_id": i,
                    "steps": size,
                    "concepts": self.space.values(state),
                    "changed": self.space.changed_from(start, state),
                }
                for i, (size, state) in smallest
            ]
        return summary

    @override
    def end_run(self, status: str) -> None:
        """Once: save a finished run's worst examples and policy, the summary, and close the log.

        Every rank ends its run; only the rank that keeps the log (rank 0) writes.
        """
        if self.status in ("finished", "interrupted", "failed"):
            return
        self.status = status
        self.stop_clock()  # the discovery loop; pictures below are extra
        if self.recorder is None:  # stopped while its task was built, or a rank other than 0
            self.write_summary()  # (nothing on a rank other than 0)
            return
        try:  # a plugin's slip in the extras (a render) must still leave a true summary.json
            if status == "finished":
                self.recorder.check()  # a log removed or cut after its last append: no finish
                self.stop_reason = (
                    self.stop_reason
                    or search_stop_reason(self)
                    or trainer_stop_reason(self._trainer)
                )
                run_dir, step = self.recorder.run_dir, self.iterations  # the scalars' last step
                save_worst_examples(self.evaluator, run_dir, logger=self.logger, step=step)
                probs = self.action_probabilities() if self.mode == MACROSCOPIC else None
                write_policy(run_dir, probs)  # None (too many states): no file
        except KeyboardInterrupt:  # the search's results are whole: only the extras are cut
            self.extras_cut = "its worst examples and policy.npy may be missing"
            raise
        except BaseException:
            self.status = "failed"
            raise
        finally:
            try:
                self.write_summary()
            finally:  # a summary the full disk refused: the log is still synced and closed
                self.recorder.close()

    @override
    def on_train_end(self) -> None:
        check_ranks_ended_alike(self)
        self.end_run("finished")

    @override
    def on_fit_end(self) -> None:
        """Restored from a run's final checkpoint but killed before its summary: finish it here
        (Lightning sees its loop done and never starts training, so nothing else would)."""
        if self._restored is not None and self.status == "created":
            copy_checkpointed_log(self)
            self.end_run("finished")
