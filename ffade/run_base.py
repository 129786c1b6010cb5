"""What every ffade run shares: seed, run directory, clock, crash handling and summary.json.

Explorers and fine-tuners are LightningModules a Trainer fits; both write a run directory that
tools read. :class:`RunModule` holds the plumbing they have in common, so that a run of either
kind records how it ended, even on Ctrl-C or a crash, and a new kind of run gets it for free.
"""

from __future__ import annotations

import copy
import os
import signal
import sys
import threading
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar

import torch
from lightning.pytorch import Callback, LightningModule
from lightning.pytorch.utilities.exceptions import SIGTERMException
from typing_extensions import override

from ffade.blame import failure_reason
from ffade.checkpoint import save_where_stopped
from ffade.environment import run_environment
from ffade.errors import FfadeError
from ffade.log_guard import FolderIdentity, RunDirDamaged, check_run_folder
from ffade.progress import QuietInSpawnedRanks
from ffade.records import SUMMARY_FILE, write_json_atomic
from ffade.run_lines import PYTHON_CALL as PYTHON_CALL
from ffade.run_lines import SayResumedFrom, ended_line, interrupted_line, kept_work
from ffade.said_once import say_notes
from ffade.sigterm_step import SigtermAtAStep
from ffade.task import absolute_plugin_paths
from ffade.writable import no_space


class _EndRunOnException(Callback):
    """Lightning tells callbacks, not modules, about Ctrl-C and crashes: end the run's records."""

    @override
    def on_exception(self, trainer: Any, pl_module: RunModule, exception: BaseException) -> None:
        # SIGTERM (``kill``, a scheduler's preemption) stops a run as Ctrl-C does; Lightning
        # raises it as a SystemExit with no code, which would end the process with status 0
        interrupted = isinstance(exception, (KeyboardInterrupt, SIGTERMException))
        if interrupted and pl_module.status in ENDED_STATUSES:
            # its results (the search's, the verdict) are whole and recorded: only the teardown
            # after them is cut, so summary.json keeps how it ended and the command its status
            ENDED_WHEN_STOPPED.set(pl_module)
            if pl_module.global_rank == 0 and not TEMPORARY_RUNS.get():
                print(ended_line(pl_module), file=sys.stderr)
            return
        if interrupted:  # at a batch's end: resumed from here, nothing is made again
            # every rank stops at one step on SIGTERM alone (ffade.sigterm_step)
            save_where_stopped(trainer, every_rank=isinstance(exception, SIGTERMException))
        saved = True
        ended = pl_module.status == "failed"  # a crash while the run ended: its summary is out
        try:
            if not interrupted:
                pl_module.error = failure_reason(exception)
            pl_module.end_run("interrupted" if interrupted else "failed")
            if ended and not interrupted:
                pl_module.write_summary()  # again, with the error
        except (OSError, RunDirDamaged) as error:  # a folder removed: not written there again
            if isinstance(exception, RunDirDamaged):
                return  # its folder is gone too: the run's one line says so
            if not no_space(error):
                raise
            # a full disk: summary.json keeps its last version; the log and checkpoint stand,
            # so the line below (where the run is, how to resume it) still matters most
            saved = False
        if pl_module.global_rank != 0 or TEMPORARY_RUNS.get():
            return
        if pl_module.run_dir is None:
            # stopped before the run took its directory (its logger may have made it, empty):
            # Lightning exits 1 next, and without this line in silence
            if interrupted:
                print(
                    "ffade: interrupted before the run started; nothing to resume", file=sys.stderr
                )
            return
        if isinstance(exception, RunDirDamaged) or (
            isinstance(exception, FfadeError) and not kept_work(pl_module)
        ):
            return  # a mistake refused before anything was evaluated: its one line says it all
        # Lightning then exits, so the run's closing lines never come: say where it is
        if interrupted:
            print(interrupted_line(pl_module, saved=saved), file=sys.stderr)
        elif sys.version_info >= (3, 11):  # a crash: the line closes its traceback, as a note
            exception.add_note(interrupted_line(pl_module, "failed", saved))
        else:
            print(interrupted_line(pl_module, "failed", saved), file=sys.stderr)


class _CtrlCAtABatchEnd(Callback):
    """While a run trains, the first Ctrl-C stops it at the end of the batch under way; a second
    one stops it at once, as Python would.

    Python raises KeyboardInterrupt wherever the main thread is when the signal comes. Inside a
    finalizer (a garbage-collector callback, which torch and Lightning have many of) it is
    printed as "Exception ignored in ..." and lost: a search ran on to its budget. Inside
    threading's own code (a ``queue.put`` to TensorBoard's writer thread) it can lose a wake-up:
    closing the logger then waited out the writer's flush interval, up to two minutes. So the
    first press is only noted, and the next batch raises it, where nothing is half done. Only
    Python's own handler is taken over: a handler someone else set (or SIG_IGN) is theirs.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._installed = False

    def _press(self, signum: int, frame: Any) -> None:
        if self.pressed:  # a second Ctrl-C: a batch that takes long is not waited for
            raise KeyboardInterrupt
        self.pressed = True

    def _stop_if_pressed(self) -> None:
        if self.pressed:
            self.pressed = False
            raise KeyboardInterrupt

    @override
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        # not on_fit_start: Lightning saves the handlers it finds after that hook and puts them
        # back at its teardown, which would leave this one behind the run
        self.pressed = False
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._press)
            self._installed = True

    @override
    def on_train_batch_start(self, *args: Any) -> None:
        self._stop_if_pressed()

    @override
    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._restore()  # what follows (pictures, the guard) is no batch: Ctrl-C acts at once
        self._stop_if_pressed()  # pressed during the last batch

    def _restore(self) -> None:
        """Python's handler back, unless another took over since: Lightning ignores SIGINT
        while a run stopped by Ctrl-C shuts down, where a press put the handler back on raised
        in its loggers' closing (``ffade: interrupted``, exit 130, the TensorBoard log left open).
        The command (or the API call) gives the caller's handler back once the run is over."""
        if self._installed and signal.getsignal(signal.SIGINT) == self._press:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self._installed = False

    @override
    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._restore()

    @override
    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self._restore()


def saved_config(config: Any, module: Any) -> Any:
    """What config.yaml records of a run's ``config``: ``ckpt_path`` null (a rerun of a resumed run
    runs it anew), and the module's :attr:`RunModule.path_arguments` and its task's plugins' path
    arguments (:meth:`RunModule.absolute_task_paths`) as its hparams hold them."""
    config = config.clone()
    if "ckpt_path" in config:
        config.ckpt_path = None
    init = config.get("model.init_args") if "model" in config else None
    for key in getattr(module, "path_arguments", ()):
        if init is not None and key in init:
            init[key] = module.hparams.get(key)
    for keys, value in getattr(module, "task_paths", {}).items():
        node = init.get("task") if init is not None else None
        try:
            for key in keys[:-1]:
                node = node[key] if isinstance(node, list | dict) else node.get(key)
            node[keys[-1]] = value
        except (AttributeError, LookupError, TypeError):  # not the config's task: as given
            continue
    return config


TEMPORARY_RUNS: ContextVar[bool] = ContextVar("ffade_temporary_runs", default=False)
"""True where the caller deletes its runs' directories as it ends (a benchmark's temporary
folders): a stopped run's line would name a folder gone by then, and a resume that cannot be, so
the run says nothing and the caller says, once, that nothing was kept."""


ENDED_STATUSES = ("finished", "accepted", "rejected")
"""Statuses of a run whose results are complete and recorded (a search's, a fine-tune's verdict):
a Ctrl-C or SIGTERM after them cuts only what is left (pictures, the logger's closing)."""

ENDED_WHEN_STOPPED: ContextVar[RunModule | None] = ContextVar("ffade_ended_run", default=None)
"""The run a Ctrl-C or SIGTERM stopped after it had ended, or one that ended with a SIGTERM
Lightning held: the command then prints its closing lines and exits with its own status, not
Lightning's 1 of a stopped run; a Python call or ``ffade loop`` stops after it (the signal asked
them to), with the run kept as it ended."""


class RunModule(LightningModule):
    """Base of explorers and fine-tuners: seed, run directory, wall clock, status and summary.

    Subclasses call :meth:`start_run` in ``setup``, say what their summary holds
    (:meth:`summary`), and extend :meth:`end_run` when ending means more than a last summary.

    Attributes:
        seed: the seed ``seed_everything`` set (``ffade fit``'s ``seed_everything``), else 0.
        run_dir: the run directory (the logger's), None until :meth:`start_run`.
        status: how far the run got; summary.json says it.
        wall_seconds: time counted before the clock last started (e.g. by a resumed run).
    """

    replays_log: ClassVar[bool] = False
    """Whether the run resumes by replaying its evaluations log (``replay_from``), as an
    explorer does, rather than only from a checkpoint, as a fine-tuner does: said by the class,
    not guessed from a method's name that any module may have."""

    path_arguments: tuple[str, ...] = ()
    """Arguments naming files or run directories: :meth:`absolute_paths` makes them absolute in
    ``hparams``, and so in config.yaml and the checkpoint, which then name the same files from
    any directory (the interrupted line's resume command is run from anywhere)."""

    def __init__(self) -> None:
        super().__init__()
        self.seed = 0
        self.run_dir: Path | None = None
        self.run_dir_identity: FolderIdentity | None = None  # the folder taken (ffade.log_guard)
        self.status = "created"
        self.error: str | None = None  # why a failed run failed, in one line (summary.json)
        self.extras_cut: str | None = None  # what a Ctrl-C after the results left unwritten
        # ``--ckpt_path`` (or ``resume=``) as resolved: a checkpoint, or a run replayed
        self.resumed_from: Path | None = None
        self.resume_note: str | None = None  # how far it goes on (Resume.allow_the_rest)
        self.wall_seconds = 0.0
        self._started = 0.0
        self.task_paths: dict[tuple[Any, ...], str] = {}
        self._environment: dict[str, Any] | None = None
        self._environment_where: tuple[torch.device, int | None, int] | None = None

    def absolute_paths(self) -> None:
        """Record each of :attr:`path_arguments` given (a leading ``~`` read) as an absolute path;
        called once the module has checked them, whose errors name them as they were given. The
        initial copy too: Lightning's logger writes hparams.yaml from it."""
        initial = getattr(self, "_hparams_initial", {})
        for key in self.path_arguments:
            if self.hparams.get(key) is not None:
                self.hparams[key] = str(Path(self.hparams[key]).expanduser().resolve())
                if key in initial:
                    initial[key] = self.hparams[key]

    def absolute_task_paths(self) -> Any:
        """hparams' ``task``, copied, with its plugins' path arguments absolute (see
        :func:`ffade.task.absolute_plugin_paths`), the initial copy too (hparams.yaml); what
        changed is kept in ``task_paths`` for config.yaml. Returns the task."""
        task = copy.deepcopy(self.hparams["task"])
        self.task_paths = absolute_plugin_paths(task)
        self.hparams["task"] = task
        initial = getattr(self, "_hparams_initial", {})
        if "task" in initial:
            initial["task"] = copy.deepcopy(task)
        return task

    def hyperparameters(self) -> dict[str, Any]:
        """The module's arguments as summary.json records them."""
        return {k: v for k, v in self.hparams.items() if not k.startswith("_")}

    def start_run(self) -> Path:
        """Take the seed Lightning was given and create the run directory (the logger's).

        Under data parallelism every rank knows the directory (Lightning broadcasts rank 0's);
        rank 0 alone creates it and writes in it.
        """
        self.seed = int(os.environ.get("PL_GLOBAL_SEED", 0))
        self.run_dir = Path(self.trainer.log_dir or self.trainer.default_root_dir)
        if self.global_rank == 0:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        return self.run_dir

    def tell(self, notes: list[str]) -> None:
        """Print each note (e.g. a task's, :attr:`ffade.task.Task.notes`) as one stderr line, on
        rank 0 only: a run under data parallelism says it once."""
        if self.global_rank == 0:  # a loop's later stages build the same task: said once
            say_notes(notes)  # may come as the bar runs

    def start_clock(self) -> None:
        self._started = time.monotonic()

    def stop_clock(self) -> None:
        """Bank the running time in ``wall_seconds``: what follows is not the run's own work."""
        self.wall_seconds = self.elapsed_seconds()
        self._started = 0.0

    def elapsed_seconds(self) -> float:
        """Wall seconds of the run so far: banked time plus the running clock."""
        return self.wall_seconds + (time.monotonic() - self._started if self._started else 0.0)

    def summary(self) -> dict[str, Any]:
        """What summary.json says of the run now."""
        raise NotImplementedError

    def model_device(self) -> torch.device:
        """Where the model under test runs: its target's device (an explorer's target may sit
        elsewhere than the explorer), else this module's."""
        target = getattr(getattr(self, "task", None), "target", None)
        return torch.device(getattr(target, "device", None) or self.device)

    def write_summary(self, status: str | None = None) -> None:
        """Write summary.json, after setting ``status`` if given; nothing before the run starts,
        and nothing on ranks other than 0. It ends with the run's ``environment``."""
        if status is not None:
            self.status = status
        if self.run_dir is not None and self.global_rank == 0:
            device = self.model_device()  # the module's until the task's target is built
            target = getattr(getattr(self, "task", None), "target", None)
            threads = getattr(target, "cpu_threads", None)  # what the model runs on
            processes = int(getattr(self._trainer, "world_size", 1))
            where = (device, threads, processes)
            if self._environment is None or self._environment_where != where:
                self._environment = run_environment(*where)  # lists plugins: once
                self._environment_where = where
            error = {"error": self.error} if self.error and self.status == "failed" else {}
            summary = {**self.summary(), **error, "environment": self._environment}
            check_run_folder(self, self.run_dir, self.run_dir / SUMMARY_FILE)  # removed? say so
            write_json_atomic(self.run_dir / SUMMARY_FILE, summary)

    def end_run(self, status: str) -> None:
        """Record how the run ended ("finished", "interrupted", "failed", or a verdict)."""
        self.write_summary(status)

    @override
    def configure_callbacks(self) -> list[Callback]:
        return [
            _EndRunOnException(),
            _CtrlCAtABatchEnd(),
            SigtermAtAStep(),
            QuietInSpawnedRanks(),
            SayResumedFrom(),
        ]
