"""A progress bar that counts what costs: target evaluations against the budget."""

from __future__ import annotations

import logging
import multiprocessing
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm
from lightning.pytorch.strategies.launchers import _MultiProcessingLauncher
from typing_extensions import override

from ffade.log_bars import LoggedBar, on_terminal, sized


class LoggedTqdm(LoggedBar, Tqdm):
    """Lightning's bar in a file or a CI log: one line when it closes (ffade.log_bars)."""


class BudgetProgressBar(TQDMProgressBar):
    """Lightning's bar, advanced by evaluations (memoized repeats are free), total = budget."""

    @property
    @override
    def train_description(self) -> str:
        """A search's bar says what it counts from its first render: in a log file every render
        stays, and 'Training: 0/?' then 'Epoch 0: 0/?' came before the evaluations. A
        fine-tune's says its epoch from the first render too: 'Training: 0/?' stood on the
        terminal while it set up, then Lightning renamed it 'Epoch 0'."""
        searching = getattr(self.trainer.lightning_module, "evaluator", None) is not None
        return "evaluations" if searching else f"Epoch {self.trainer.current_epoch}"

    _restored = 0

    def _bar(self, desc: str, position: int, leave: bool, **kwargs: Any) -> Tqdm:
        """A bar as Lightning's init_*_tqdm makes it; not on a terminal, a :class:`LoggedTqdm`;
        on a terminal that says it has no size, one of a fixed size (ffade.log_bars.sized)."""
        terminal = on_terminal(sys.stderr)
        return (Tqdm if terminal else LoggedTqdm)(
            desc=desc,
            position=2 * self.process_position + position,
            disable=self.is_disabled,
            leave=leave,
            file=sys.stderr,
            bar_format=self.BAR_FORMAT,
            **kwargs,
            **{"dynamic_ncols": True, **(sized(sys.stderr) if terminal else {})},
        )

    @override
    def init_train_tqdm(self) -> Tqdm:
        """A search's bar counts out of its budget from its first render: it drew ``0/?`` until
        the epoch started, while the explorer evaluated its coverage probes (a sample of pairs,
        each an image drawn on the t2i quickstart: 0.4 s at a load of 3, longer on a busier
        machine) and wrote its summary."""
        evaluator = getattr(self.trainer.lightning_module, "evaluator", None)
        budget = getattr(evaluator, "budget", None)
        return self._bar(self.train_description, 0, leave=True, smoothing=0, total=budget)

    @override
    def init_validation_tqdm(self) -> Tqdm:
        main_bar = self.trainer.state.fn != "validate"
        return self._bar(self.validation_description, int(main_bar), leave=not main_bar)

    @override
    def init_sanity_tqdm(self) -> Tqdm:
        return self._bar(self.sanity_check_description, 0, leave=False)

    @override
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_train_start(trainer, pl_module)
        evaluator = getattr(pl_module, "evaluator", None)
        self._restored = evaluator.evaluations if evaluator is not None else 0

    def _count_budget(self, evaluator: Any) -> None:
        """Count evaluations out of the budget; a resumed run's rate counts only its own (the
        restored ones showed as thousands a second), so they are the bar's ``initial``."""
        bar = self.train_progress_bar
        bar.reset(total=evaluator.budget)  # draws n = 0: initial must not exceed it yet
        bar.initial, bar.n = self._restored, evaluator.evaluations

    @override
    def on_train_epoch_start(self, trainer: Any, pl_module: Any, *_: Any) -> None:
        evaluator = getattr(pl_module, "evaluator", None)
        if evaluator is None or evaluator.budget is None:
            super().on_train_epoch_start(trainer, pl_module)
            return
        self._count_budget(evaluator)  # not Lightning's "Epoch 0"

    @override
    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        evaluator = getattr(pl_module, "evaluator", None)
        if evaluator is None:  # a fine-tune resumed mid-epoch skips on_train_epoch_start, which
            bar = self.train_progress_bar  # sets the total: its first epoch showed "35/?"
            if bar.total is None and self.total_train_batches != float("inf"):
                bar.total = int(self.total_train_batches)
            return super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        bar = self.train_progress_bar
        if bar.total != evaluator.budget:  # a resumed run skips on_train_epoch_start
            self._count_budget(evaluator)
            bar.set_description("evaluations")
        bar.n = evaluator.evaluations
        # one render a step: set_postfix would draw the bar once more, a second line per step
        # in a log file (a SLURM job's output)
        bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
        bar.refresh()
        return None

    @override
    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        """A search that ended before its budget (every pair evaluated, ``max_idle_steps``, a
        Lightning limit) ends its bar at 100% of what it did: the budget's total left the last
        line at 40% with time still to go; the closing lines say why it stopped, and the budget."""
        bar = self._train_progress_bar
        evaluator = getattr(pl_module, "evaluator", None)
        if evaluator is not None and bar is not None and 0 < bar.n < (bar.total or 0):
            bar.total = bar.n
            bar.refresh()
        super().on_train_end(trainer, pl_module)

    @override
    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        """Close the bar's line, so that the error printed next starts a line of its own; a bar
        that counted nothing yet (a mistake found while the first inputs are changed) is wiped,
        so the error is the one line a refused command prints."""
        bar = self._train_progress_bar
        if bar is not None:
            if not bar.n:
                bar.leave = False
            bar.close()

    @override
    def get_metrics(self, trainer: Any, pl_module: Any) -> dict[str, Any]:
        """What a search has found, or what a fine-tuner logs to the bar; never Lightning's
        logger version (``v_num``), which says nothing about the run and changes every run."""
        evaluator = getattr(pl_module, "evaluator", None)
        if evaluator is None:
            metrics = super().get_metrics(trainer, pl_module)
            metrics.pop("v_num", None)
            return metrics
        return {
            "failures": evaluator.failures,
            "updates": getattr(pl_module, "gradient_updates", 0),
        }


NOISE = (
    "litlogger",
    "GPU available:",
    "TPU available:",
    "HPU available:",
    "`Trainer.fit` stopped: ",
    "to estimate number of stepping batches",
    "Detected KeyboardInterrupt",
    "Received SIGTERM",
    "Restoring states from the checkpoint path at ",
    "Restored all states from the checkpoint at ",
)
"""Lightning's lines that say nothing about an ffade run: adverts, absent accelerators, and its
own ending (an explorer's ``max_epochs=1``, a fine-tuner's ``max_epochs=10``) and its notes of
Ctrl-C and SIGTERM, which ffade's (ffade.run_endings, the interrupted line) replace, as
``ffade: resuming from ...`` (ffade.run_lines) replaces its two lines of a restore."""


def _not_noise(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not any(part in message for part in NOISE)


QUIET_LOGGERS = (
    "lightning.pytorch.utilities.rank_zero",
    "lightning.pytorch.trainer.connectors.signal_connector",
)
"""Lightning's loggers whose ``NOISE`` lines :func:`quiet_lightning` filters out."""

SEED_LOGGER = "lightning.fabric.utilities.seed"

QUIET_WARNINGS = (
    ".*pre-optimization state.*",
    ".*LeafSpec.*",
    ".*args parameter is intended.*",
    ".*configure_optimizers. returned .None.*",
    # a fine-tune resumed mid-epoch positions its TrainingPairs itself (FineTuner.on_fit_start),
    # so Lightning's warning that the data cannot resume does not hold
    r".*your dataloader is not resumable.*",
)


def quiet_lightning() -> None:
    """Hide Lightning's messages that say nothing about an ffade run.

    Explorers update inside training_step and may have no optimizer by design, so Lightning's
    advice about both is noise here, as are its adverts, internal deprecations and ``NOISE``.
    "Seed set to N" too: the seed is in config.yaml and summary.json, and printed before a
    user's mistake found while the task is built, it made a one-line error two lines.
    """
    for name in QUIET_LOGGERS:
        logging.getLogger(name).addFilter(_not_noise)
    logging.getLogger(SEED_LOGGER).setLevel(logging.WARNING)
    for message in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    # LightningCLI's own use of APIs jsonargparse deprecated: no caller of ffade's can change
    # it, and under ``python -W error`` (or a pytest that errors on warnings) it stopped every run;
    # its dump reaches jsonargparse through ExactArgumentParser.dump, whose module the warning names
    warnings.filterwarnings(
        "ignore",
        category=DeprecationWarning,
        module=r"lightning\.pytorch\.cli|ffade\.lightning_run",
    )


@contextmanager
def lightning_quieted() -> Iterator[None]:
    """:func:`quiet_lightning` for one run in the caller's own process (the Python API's, a
    notebook's): the warnings filters and the loggers it changes are put back after, so the
    caller's own ``seed_everything`` still logs "Seed set to N" and its warnings stay shown."""
    loggers = [logging.getLogger(name) for name in (*QUIET_LOGGERS, SEED_LOGGER)]
    before = [(logger, logger.level, list(logger.filters)) for logger in loggers]
    with warnings.catch_warnings():
        quiet_lightning()
        try:
            yield
        finally:
            for logger, level, filters in before:
                logger.filters[:] = filters
                logger.setLevel(level)


class QuietInSpawnedRanks(Callback):
    """``--trainer.strategy ddp_spawn`` runs the fit in processes it spawns, which start afresh
    (no ``ffade fit`` in them to call :func:`quiet_lightning`): each rank printed Lightning's
    ``NOISE`` lines and its internal deprecation warning, which ``ddp``'s ranks keep quiet. The
    spawned process is the fit's own, so it is quieted for good.

    Only ranks that Lightning's multiprocessing launcher started: any other child process (a
    worker of the caller's own ``multiprocessing.Pool`` running a fit) is the caller's, and was
    quieted for good too, for its later fits and ``seed_everything`` calls, while the same code
    in the caller's main process printed Lightning's lines."""

    @override
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        launcher = getattr(trainer.strategy, "launcher", None)
        if (
            isinstance(launcher, _MultiProcessingLauncher)
            and multiprocessing.parent_process() is not None
        ):
            quiet_lightning()  # setup runs in the launched ranks only, never the launcher's
