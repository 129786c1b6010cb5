"""The fine-tuner base: a LightningModule that fixes prioritized failures, guarded on held-out data.

Run it like an explorer, with ``ffade fit --config configs/mitigate_digits.yaml``. It reads a
discovery run and the feedback a person gave (:mod:`.plan`), trains the run's target on the
**finetune** split with the prioritized regions' concept states applied (:mod:`.data`), and
measures the model on the **heldout** split before and after (:mod:`.guard`): discovery, training
and judging never share an input. A fix that costs more clean accuracy than ``clean_tolerance``,
or does not lower the targeted failure rate, is rejected and the original weights are put back;
an accepted one is saved as ``model.pt`` (a state dict the target loads through its ``weights``
argument). Either way the run directory gets
``mitigation.json`` (the numbers and the verdict) and ``summary.json``; the seed, run directory,
clock and crash handling come from :class:`~ffade.run_base.RunModule`, as for explorers.

Subclasses say how to train (:meth:`FineTuner.training_loss`, ``configure_optimizers``) and
what counts as right on a clean input (:meth:`FineTuner.clean_correct`), take the base's
arguments through ``**kwargs`` (``ffade fit --model.help`` still lists them), and check their own
before ``super().__init__``, which ``ffade loop`` then runs before its first stage
(:mod:`ffade.model_arguments`); see :class:`~ffade.mitigate.classifier.ClassifierFineTuner`.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Any

import numpy as np
import torch
from typing_extensions import override

from ffade.changes import ChangedInputs
from ffade.disjoint import keep_apart
from ffade.distributed import SINGLE_PROCESS, trainer_ranks
from ffade.errors import FfadeError, require_at_least, require_share
from ffade.event_trim import trim_earlier_events
from ffade.interrupts import signals_held
from ffade.mitigate.contract import check_fixes_kind, checked_loss
from ffade.mitigate.data import SHARE_MEANS, TrainingBatch, TrainingPairs
from ffade.mitigate.guard import GuardPairs, GuardResult, guard_pairs, measure, passing_inputs
from ffade.mitigate.plan import MitigationPlan, check_trainable, make_plan, weights_per_priority
from ffade.mitigate.stop_reason import training_stop_reason
from ffade.mitigate.threads import TrainOnTargetThreads
from ffade.mitigate.verdict import MODEL_FILE as MODEL_FILE  # re-exported, as before
from ffade.mitigate.verdict import FixVerdict
from ffade.model_arguments import stop_after_argument_checks
from ffade.records import MITIGATION_FILE, write_json_atomic
from ffade.rng import rng_states, set_rng_states
from ffade.run_base import RunModule
from ffade.run_length import FINETUNE_EPOCHS
from ffade.sigterm_step import stop_if_sigterm
from ffade.task import Task, build_task

_DISCOVERY_ONLY = {"only_passing_inputs": False, "input_ids": None}


class FineTuner(FixVerdict, RunModule):
    """Shared machinery of every fine-tuner; see the module docstring.

    Args:
        run: the discovery run whose failures to fix.
        feedback: its feedback.yaml (null: ``RUN/feedback.yaml``).
        clean_share: share of each epoch's fine-tuning inputs left unchanged, against forgetting.
        batch_size: training inputs per step.
        clean_tolerance: the most held-out clean accuracy, in ``clean_metric``'s units (BLEU / 100
            for a summarizer), a fix may lose (0.01 = one point).
        guard_pairs: the most (input, state) pairs per guard failure rate (a seeded sample).
        eval_batch_size: inputs per forward pass when measuring the guard.
        priority_weights: training weight per priority, default high 3, medium 2, low 1.
        max_finetune_inputs: use only the first N inputs of the finetune split (null: all).
    """

    name = "finetuner"
    path_arguments = ("run", "feedback")
    clean_metric = "accuracy"
    """What ``clean_accuracy_*`` measures (mitigation.json's ``clean_metric``): "...accuracy" is
    shown as a percentage, other scores as numbers."""
    output_kinds: tuple[str, ...] | None = None
    """The targets' :attr:`~ffade.plugin_api.Target.output_kind` values this fine-tuner can fix
    ("class_scores", "texts", "images"), as a reward declares. Declared, a target of another kind
    is refused by ``setup`` and by ``ffade loop`` before its first stage; None (default): any."""
    default_epochs: int = FINETUNE_EPOCHS
    """Epochs ``ffade fit`` trains where no config or option sets ``trainer.max_epochs``
    (:mod:`ffade.run_length`), and ``ffade.mitigate`` where no ``max_epochs`` is given: a
    fine-tuner may declare its own, for its models."""
    check_target = staticmethod(check_trainable)
    """``(target, name)``: one line unless this fine-tuner can train the run's target; ``setup``
    calls it, and ``ffade loop`` before its first stage. A fine-tuner may check more or other."""

    def __init__(
        self,
        run: str,
        feedback: str | None = None,
        clean_share: float = 0.5,
        batch_size: int = 64,
        clean_tolerance: float = 0.01,
        guard_pairs: int = 4096,
        eval_batch_size: int = 512,
        priority_weights: dict[str, float] | None = None,
        max_finetune_inputs: int | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        require_share("clean_tolerance", clean_tolerance, self.clean_tolerance_means())
        require_share("clean_share", clean_share, SHARE_MEANS, one=False)
        require_at_least(1, whole=True, batch_size=batch_size, guard_pairs=guard_pairs)
        require_at_least(1, whole=True, eval_batch_size=eval_batch_size)
        if max_finetune_inputs is not None:  # else task.max_inputs would be named, not this
            require_at_least(1, whole=True, max_finetune_inputs=max_finetune_inputs)
        weights_per_priority(priority_weights)  # here, so ffade loop refuses it before it starts
        stop_after_argument_checks()  # ffade loop checks a stage's values before it runs
        self.plan: MitigationPlan = make_plan(run, feedback, priority_weights)
        self.absolute_paths()
        self.task: Task | None = None
        self.heldout: Task | None = None
        self.network: torch.nn.Module | None = None
        self.before: GuardResult | None = None
        self.after: GuardResult | None = None
        self.result: dict[str, Any] | None = None
        self._pairs: GuardPairs | None = None
        self._changes: ChangedInputs | None = None
        self._data: TrainingPairs | None = None
        self._original: dict[str, torch.Tensor] | None = None
        self._restored: dict[str, Any] | None = None
        self._batches_trained = 0
        self.stop_reason: str | None = None  # why training ended, once it has
        self._split_inputs: int | None = None  # how many the finetune split gave, once read

    # ---- what subclasses provide -------------------------------------------------------------
    def training_loss(self, batch: TrainingBatch) -> tuple[torch.Tensor, dict[str, Any]]:
        """The loss on a batch of (concept-changed) inputs, and metrics to log with it."""
        raise NotImplementedError

    def clean_correct(self, outputs: Any, references: Any) -> torch.Tensor:
        """Per input, whether the model is right on it unchanged: not failed, and its metric no
        NaN (the guard counts a NaN answer as a failure, as ``ffade check`` does)."""
        return ~self.task.reward.score(outputs, references).judged_failed()

    def select_parameters(self) -> None:
        """Freeze what must not train (all trains by default)."""

    # ---- building ----------------------------------------------------------------------------
    @property
    def target(self):
        return self.task.target

    def _spec_on(self, split: str) -> dict[str, Any]:
        """The run's task as the fine-tune uses ``split`` (the run chose discovery inputs only)."""
        limit = self.hparams.max_finetune_inputs if split == "finetune" else None
        if limit is not None and self._split_inputs is not None:  # a smaller split: all it has
            limit = min(limit, self._split_inputs)
        return dict(self.plan.task_spec, split=split, max_inputs=limit, **_DISCOVERY_ONLY)

    @override
    def setup(self, stage: str) -> None:
        if self.task is not None:
            return
        self.start_run()
        self.write_summary()  # status "created" while the model and data load (minutes for some)
        spec = self._spec_on("finetune")
        self.task = build_task(
            spec, max_inputs_key="model.init_args.max_finetune_inputs", task_key=None
        )  # the discovery run's task: written in another config
        self._split_inputs = len(self.task.inputs)  # before any is left out as a searched one
        dataset, digest = spec["dataset"]["name"], self.plan.inputs_digest
        heldout, self._left_out = keep_apart(self.task, self.plan.task_spec, dataset, digest)
        self.tell([*self.plan.notes, *self.task.notes])  # "RUN did not finish", first
        self.check_target(self.task.target, spec["target"]["name"])
        check_fixes_kind(type(self), self.task.target, spec["target"]["name"], self.plan.run_dir)
        t = self.task
        self.heldout = Task(
            self._spec_on("heldout"), t.target, t.dataset, t.reward, t.space, heldout
        )
        self.network = self.task.target.model  # registered, so Lightning moves and saves it
        self.select_parameters()
        self._changes = ChangedInputs(self.task)
        space = self.task.space
        if (self.plan.states >= space.sizes).any():
            raise FfadeError(f"{self.plan.feedback_path}: a state lies off the run's grid")
        self._data = TrainingPairs(
            len(self.task.inputs),
            self.plan.states,
            self.plan.weights,
            space.neutral,
            self.hparams.clean_share,
            self.hparams.batch_size,
            self.seed,
        )
        if self._trainer is not None:  # data parallel: each rank trains on its share
            self._data.shard(self.trainer.global_rank, self.trainer.world_size)
        self._pairs = self._guard_pairs()

    def _guard_pairs(self, inputs: np.ndarray | None = None) -> GuardPairs:
        """The guard's pairs, drawn from ``inputs`` of the heldout split (default all)."""
        plan, size = self.plan, len(self.heldout.inputs)
        args = (plan.states, plan.state_regions, self.hparams.guard_pairs, self.seed, inputs)
        return guard_pairs(size, self.task.space, *args, plan.claimed)

    @override
    def train_dataloader(self) -> TrainingPairs:
        """The pairs, already batched: a DataLoader would only add a draw from torch's generator
        at each epoch's start, which a resumed run would not repeat."""
        return self._data

    # ---- the guard before, training, the guard after -----------------------------------------
    @override
    def configure_callbacks(self) -> list[Any]:
        return [*super().configure_callbacks(), TrainOnTargetThreads()]

    def measure_guard(self) -> GuardResult:
        """The guard's numbers for the model as it is now (in eval mode, then back), over the
        whole held-out set. Under data parallelism the ranks share its batches and gather every
        answer (ffade.mitigate.guard.measure): one process's numbers and verdict on every rank."""
        training = self.network.training
        self.network.eval()
        try:
            return measure(
                self.heldout,
                self._pairs,
                len(self.plan.regions),
                self.clean_correct,
                self.hparams.eval_batch_size,
                shown=self._bar_shown(),
                each_batch=getattr(self, "_stop_if_sigterm", None),  # set after training
                ranks=SINGLE_PROCESS if self._trainer is None else trainer_ranks(self.trainer),
            )
        finally:
            self.network.train(training)

    def _bar_shown(self) -> bool:
        """The held-out check's bar follows the Trainer's: ``--trainer.enable_progress_bar
        false`` silenced the fine-tune's bar but still drew the check's, before and after."""
        trainer = self._trainer  # and on rank 0 only, as Lightning's
        return trainer is None or (
            trainer.progress_bar_callback is not None and self.global_rank == 0
        )

    @override
    def on_fit_start(self) -> None:
        self.task.target.device = self.device  # Lightning placed the model; inputs follow it
        self.start_clock()
        if self._restored is not None:  # resumed: the weights are half trained, the baseline not
            self._original = self._restored["original"]
            self.before = GuardResult(**self._restored["before"])
            self._batches_trained = self._restored.get("batches_trained", 0)
            self.wall_seconds = self._restored.get("wall_seconds", 0.0)
            self._check_same_processes(self._restored.get("processes", 1))
            self._data.resume_after(self._batches_trained)
            if self._restored.get("guard_inputs") is not None:
                self._pairs = self._guard_pairs(np.asarray(self._restored["guard_inputs"]))
        else:
            self._original = {k: v.detach().clone() for k, v in self.network.state_dict().items()}
            self.write_summary("measuring")
            if self.plan.task_spec.get("only_passing_inputs"):  # the failures the search found
                ranks = trainer_ranks(self.trainer)  # they share its batches
                passing = passing_inputs(self.heldout, self.hparams.eval_batch_size, ranks)
                self._pairs = self._guard_pairs(passing)
            self.before = self.measure_guard()
            self._log_guard(self.before, "before")
        self.network.train()  # targets hand their model over in eval mode
        self.write_summary("training")

    @override
    def on_train_start(self) -> None:
        """A resumed run draws on from where the checkpoint left the random generators."""
        if self._restored is not None and "rng" in self._restored:
            set_rng_states(self._restored["rng"])
        if self._restored is not None and self.trainer.is_global_zero:
            trim_earlier_events(self.logger, self.global_step)  # its next step is logged again

    @override
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Keep what a resumed run needs to go on as if never stopped: the original weights and
        their guard numbers, the batches trained on so far and the random generators' states."""
        if self.before is not None:
            checkpoint["ffade"] = {
                "before": asdict(self.before),
                "original": self._original,
                "batches_trained": self._batches_trained,
                "guard_inputs": None if self._pairs.inputs is None else self._pairs.inputs.tolist(),
                "rng": rng_states(),
                "trained_on": self.plan.trained_on(),  # a resume must train on the same
                "wall_seconds": self.elapsed_seconds(),  # a resumed run's counts on from it
                "processes": self.trainer.world_size,  # each rank's share of the batches
            }

    def _check_same_processes(self, saved: int) -> None:
        """A checkpoint counts each rank's steps over its share of the batches: on another
        number of processes the shares differ and the resumed epochs would not be the same."""
        if saved != self.trainer.world_size:
            raise FfadeError(
                f"--ckpt_path: this fine-tune trained on {saved} process(es); resume it on as "
                f"many (trainer.devices x trainer.num_nodes {saved}), not {self.trainer.world_size}"
            )

    @override
    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._restored = checkpoint.get("ffade")
        if self._restored is not None:
            self.plan.check_resumes(self._restored.get("trained_on"))
            self._reopen_cut_epoch(checkpoint)

    def _reopen_cut_epoch(self, checkpoint: dict[str, Any]) -> None:
        """A fine-tune a trainer limit stopped mid-epoch (``max_steps``) was saved with that
        epoch counted done, as Lightning ends it: resumed so, it skipped the epoch's rest and
        trained one epoch fewer than an unstopped run. Counted open again, as a kill mid-epoch
        leaves it, Lightning runs the epoch's remaining batches first."""
        epochs_done = self._restored.get("batches_trained", 0) // len(self._data)
        progress = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress")
        if not progress or progress["current"]["completed"] <= epochs_done:
            return
        for counts in (progress["current"], progress["total"]):
            counts["processed"] = counts["completed"] = epochs_done
        checkpoint["epoch"] = epochs_done

    def make_batch(self, ids: np.ndarray, states: np.ndarray) -> TrainingBatch:
        """Rebuild the inputs of (input, state) pairs of the finetune split, on the device."""
        with torch.no_grad():
            inputs = self._changes.inputs(ids, states)
            _, references = self.task.dataset.collate([self.task.inputs[int(i)] for i in ids])
        clean = torch.as_tensor((states == self.task.space.neutral).all(1), device=self.device)
        return TrainingBatch(inputs, self.target.to_device(references), ids, states, clean)

    @override
    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int):
        ids, states = (b.cpu().numpy() for b in batch)
        pairs = self.make_batch(ids, states)
        loss, metrics = checked_loss(self, self.training_loss(pairs))
        self._batches_trained += 1
        # on_step only: one TensorBoard tag, train/loss (with on_epoch too, _step and _epoch)
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=False)
        logged = {f"train/{k}": v for k, v in metrics.items()}
        logged["train/clean_share"] = float(pairs.clean.float().mean())
        self.log_dict(logged, on_step=True)
        return loss

    @override
    def on_train_end(self) -> None:
        """The check after training (a SIGTERM stops it before its next batch), then the verdict
        (one that comes while its files are written acts once they are, as one just after it)."""
        self.write_summary("measuring")
        # Lightning reads its SIGTERM note between steps only: the check reads it per batch
        self._stop_if_sigterm = partial(stop_if_sigterm, self.trainer)
        self.after = self.measure_guard()
        self._stop_if_sigterm()  # one that came during the check's last batch
        self._log_guard(self.after, "after")
        self.stop_reason = training_stop_reason(self.trainer, self.global_step)
        with signals_held():  # never an interrupted run with a verdict's files
            self.result = self.decide()
            self.network.eval()  # handed back as targets hand it over: the same predictions
            if self.global_rank == 0:  # the same verdict on every rank: written once
                write_json_atomic(self.run_dir / MITIGATION_FILE, self.result)
            self.end_run(self.result["status"])

    @override
    def on_fit_end(self) -> None:
        if self.result is None:  # resumed from the checkpoint saved as training ended: judge now
            self.on_train_end()

    def _log_guard(self, result: GuardResult, when: str) -> None:
        if self.logger is None:
            return
        metrics = {f"guard/{k}": v for k, v in result.as_dict(when).items() if v is not None}
        self.logger.log_metrics(metrics, step=self.global_step)

    @override
    def summary(self) -> dict[str, Any]:
        """What was fixed, with what, how long, how it ended."""
        summary = {
            "finetuner": self.name,
            "status": self.status,
            "seed": self.seed,
            "run": str(self.plan.run_dir.resolve()),
            "feedback": str(self.plan.feedback_path.resolve()),
            "regions": [r.id for r in self.plan.regions],
            "targeted_states": len(self.plan.states),
            "epochs": self.current_epoch if self._trainer is not None else 0,
            "steps": self.global_step if self._trainer is not None else 0,
            "wall_seconds": round(self.elapsed_seconds(), 3),
            "task": self._spec_on("finetune"),
            "hyperparameters": self.hyperparameters(),
        }
        if self.result is not None:
            summary.update({k: v for k, v in self.result.items() if k not in ("regions", "guard")})
        return summary
