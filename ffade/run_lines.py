"""The lines a stopped or crashed run ends with: where it is, and the command that resumes it.

A run stopped by Ctrl-C, SIGTERM or a crash prints one line naming its directory and, when it
can go on, the command (or the Python call) that resumes it, by absolute paths. A resumed run
stopped again before it kept anything of its own names what it was itself resumed from; a
resumed run says what it goes on from (:class:`SayResumedFrom`).
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from lightning.pytorch import Callback
from typing_extensions import override

from ffade.checkpoint import LAST_CHECKPOINT
from ffade.errors import print_line
from ffade.records import EVALUATIONS_FILE
from ffade.shell_words import absolute, shell_path

RunModule = Any
"""A :class:`ffade.run_base.RunModule`, which imports this module: not imported back, even for
type checking (tests/test_layers.py counts such an import as a cycle)."""

PYTHON_CALL: ContextVar[str | None] = ContextVar("ffade_python_call", default=None)
"""The Python API call making the run (``ffade.discover``, ``ffade.mitigate``), else None: a
model or plugin passed to it lives in that process only, so the shell command ``ffade fit
--ckpt_path`` that resumes a command's run could not load it; the call's ``resume`` keyword can."""


def ended_line(module: RunModule, cut: str | None = None) -> str:
    """The one line of a run stopped after its results were recorded: what was cut (``cut``, for
    a SIGTERM that cut nothing; else the run's own ``extras_cut``), what stays."""
    cut = cut or module.extras_cut or "only its teardown was cut short"
    return (
        "ffade: stopped after the run had ended; its results are complete in "
        f"{shell_path(module.run_dir)} (summary.json: status {module.status}); {cut}"
    )


def interrupted_line(module: RunModule, status: str = "interrupted", saved: bool = True) -> str:
    """Where a run stopped by Ctrl-C (or a crash) is, and the command that resumes it when one
    can, with absolute paths (run from any directory): a crash's user fixes its cause and goes on
    from there, paying nothing twice. ``saved`` is False when the full disk refused the run's
    last summary.json, which then still says what it said before."""
    run_dir = shell_path(module.run_dir)  # quoted as the resume command is
    said = "interrupted" if status == "interrupted" else "the run failed"
    summary = f"summary.json: status {status}" if saved else "summary.json not updated: no space"
    source = _resumed_from(module)
    if source is not None:  # resumed, stopped again before it kept anything of its own
        return (
            f"ffade: {said}; its run directory is {run_dir} ({summary}), with nothing of its own "
            f"to resume from; resume it from where it was resumed from with: "
            f"{_resume_command(module, source)}"
        )
    if not kept_work(module):  # a crash or Ctrl-C before any work: no "run so far"
        return (
            f"ffade: {said}; its run directory is {run_dir} ({summary}), "
            "with nothing to resume from"
        )
    line = f"ffade: {said}; the run so far is in {run_dir} ({summary})"
    if not _all_invalid(module):
        line += f"; resume it with: {_resume_command(module, module.run_dir)}"
    return line


def _resume_command(module: RunModule, source: Path) -> str:
    """The command (or Python call) that resumes the run from ``source``, a run directory or a
    checkpoint, by absolute paths (run from any directory), with the run's own config.yaml."""
    call = PYTHON_CALL.get()
    if call:  # its model may live only in the calling process; resume= takes a run directory
        run = source.parent.parent if source.is_file() else source
        return f"{call}(<the same arguments>, resume={str(absolute(run))!r})"
    config = shell_path(absolute(module.run_dir) / "config.yaml")
    return f"ffade fit --config {config} --ckpt_path {shell_path(absolute(source))}"


def _resumed_from(module: RunModule) -> Path | None:
    """The checkpoint (or replayed run) a resumed run started from, when it has nothing better
    of its own to resume from: no checkpoint, and no evaluations logged since (a search stopped
    before its first step, a fine-tune in its check after training). Its own directory then
    says "nothing to resume from", while what it was resumed from still resumes it."""
    source, run_dir = module.resumed_from, module.run_dir
    if source is None or run_dir is None or (run_dir / LAST_CHECKPOINT).is_file():
        return None
    if _all_invalid(module) or not source.exists():
        return None
    log = run_dir / EVALUATIONS_FILE
    logged = module.replays_log and log.is_file() and log.stat().st_size > 0
    if source.is_dir():  # a replay: once this run has the log, its own holds as much or more
        return None if logged or source.resolve() == run_dir.resolve() else source
    restored = getattr(module, "_restored", None)  # an explorer's checkpointed state
    done = getattr(module, "iterations", 0)
    stepped = isinstance(restored, dict) and done > restored.get("iterations", 0)
    return None if logged and stepped else source


def _all_invalid(module: RunModule) -> bool:
    """Whether every evaluation a search made was invalid: a resume would replay them and stop
    at once again (:func:`ffade.explore.stopping.check_some_valid`); the fix needs a new run."""
    evaluator = getattr(module, "evaluator", None) if module.replays_log else None
    return evaluator is not None and 0 < evaluator.evaluations == evaluator.invalid


def kept_work(module: RunModule) -> bool:
    """Whether the run has something to resume from: a checkpoint, or an explorer's log."""
    run_dir = module.run_dir
    log = run_dir / EVALUATIONS_FILE
    logged = log.is_file() and log.stat().st_size > 0
    replays = module.replays_log and logged  # an explorer replays its log
    return (run_dir / LAST_CHECKPOINT).is_file() or replays


class SayResumedFrom(Callback):
    """``ffade: resuming from CHECKPOINT`` (or ``... RUN (replaying its evaluations.jsonl)``) once
    the run has restored it, in place of Lightning's "Restoring states ..." and "Restored all
    states ..." lines (ffade.progress.NOISE): at train start, so a resume refused while its
    checkpoint loads (other priorities, say) stays the one line of its error; else at fit end,
    for a checkpoint saved as its run ended, whose fit loop has nothing left to run (Lightning
    then skips train start) while the run completes its summary. How far a search a trainer
    limit cut short goes on (:meth:`ffade.resume.Resume.allow_the_rest`) follows it, after any
    refusal as the run is set up, which then stays the one line said."""

    def __init__(self) -> None:
        self._said = False

    @override
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._say(trainer, pl_module)

    @override
    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self._say(trainer, pl_module)

    def _say(self, trainer: Any, pl_module: Any) -> None:
        if trainer.global_rank != 0 or self._said:  # every rank of a ddp run resumes: said once
            return
        self._said = True
        source = getattr(pl_module, "resumed_from", None)
        if source is not None:
            how = " (replaying its evaluations.jsonl)" if source.is_dir() else ""
            print_line(f"ffade: resuming from {shell_path(source)}{how}")
        note = getattr(pl_module, "resume_note", None)  # a search a trainer limit cut short
        if note is not None:
            print_line(f"ffade: note: {note}")
