"""``--ckpt_path``: check what a run resumes from before anything is created or loaded.

A checkpoint is a pickle: read carelessly, a damaged or hostile file ends in a traceback deep in
torch (or runs code). Here it is read once with ``weights_only=True`` and checked, before the
Trainer makes a run directory, so every mistake is one line naming the file and the fix:

- a missing, empty, truncated, random or non-checkpoint file is refused;
- a checkpoint saved by another model class, or with other model arguments (task, concepts,
  budget, any ``model.init_args``) than the config's, is refused, naming the first difference
  (:mod:`ffade.same_run`):
  a resume continues *that* run, so it keeps every argument it was started with;
- a run that already finished is not run again: it is said, and nothing is created (a search a
  trainer limit stopped before its budget has not finished: it goes on, see :class:`Resume`);
- ``--ckpt_path RUN_DIR`` (a run directory) resumes from its ``checkpoints/last.ckpt``, or, for an
  explorer killed before its first checkpoint, replays its ``evaluations.jsonl``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ffade.checkpoint import LAST_CHECKPOINT, SEED_KEY, checkpoint_run_dir, load_checkpoint_file
from ffade.errors import FfadeError
from ffade.explore.replay import check_checkpointed_log
from ffade.explore.stopping import stopped_by_trainer
from ffade.records import EVALUATIONS_FILE, SUMMARY_FILE, partial_write
from ffade.same_run import check_same_run
from ffade.shell_words import backslash_hint, option_path, shell_path
from ffade.written import a_type

LIGHTNING_VERSION_KEY = "pytorch-lightning_version"
"""A key every Lightning checkpoint holds: Lightning's restore reads it first."""
RUNNING_STATUSES = ("created", "running", "measuring", "training", "interrupted", "failed")
"""summary.json statuses of a run that has not ended; any other status is how it ended."""


@dataclass
class Resume:
    """What ``fit`` should do with a ``--ckpt_path``.

    Attributes:
        ckpt_path: the checkpoint file Lightning restores (None: start without one).
        replay_dir: a run directory whose evaluations log the explorer replays first.
        finished: set when the run already ended: the line to say instead of running it again.
        finished_dir: that ended run's directory (a checkpoint given names it only through
            its checkpoint): what ``ffade.discover(..., resume=...)`` returns.
        cut_short: set when the checkpoint is the end of a search a trainer limit stopped
            before its budget: it goes on (:meth:`allow_the_rest`), and this says so.
        epochs_done, steps_done: that checkpoint's epochs and (optimizer) steps.
        search: False for a fine-tune cut short, whose ``max_epochs`` is its length, not one
            epoch more (a search is one epoch).
    """

    ckpt_path: str | None = None
    replay_dir: Path | None = None
    finished: str | None = None
    finished_dir: Path | None = None
    cut_short: str | None = None
    epochs_done: int = 0
    steps_done: int = 0
    search: bool = True

    def check_epochs(self, trainer: Any) -> None:
        """Refuse a ``max_epochs`` below the epochs the checkpoint has trained: Lightning's own
        refusal came as a traceback once the run's directory was made (status failed)."""
        limit = trainer.max_epochs
        if self.ckpt_path is None or limit in (None, -1) or self.epochs_done <= limit:
            return
        raise FfadeError(
            f"{option_path('--ckpt_path', self.ckpt_path)} has trained {self.epochs_done} epochs "
            f"already, more than the trainer's max_epochs {limit}; give max_epochs "
            f"{self.epochs_done} or more, or drop --ckpt_path to start a new run"
        )

    def allow_the_rest(self, trainer: Any) -> str | None:
        """A search stopped by a trainer limit ended Lightning's epoch, which is the whole search
        (``max_epochs`` 1): one more lets it go on to its budget, under this command's limits.

        Returns the note that says so (None: nothing cut short), for the run to say once it
        starts (:class:`ffade.run_lines.SayResumedFrom`): said here, it came before a refusal
        found as the run is set up (its data changed since), of a run that then never went on.
        """
        if self.cut_short is None:
            return None
        loop = trainer.fit_loop
        if self.search and loop.max_epochs not in (None, -1):  # a fine-tune's are its length
            loop.max_epochs = max(loop.max_epochs, self.epochs_done + 1)
        if 0 <= trainer.max_steps <= self.steps_done:  # e.g. the run's own config.yaml's
            limit = "trainer's max_steps" if _python_call() else "--trainer.max_steps"
            then = (
                f"{limit} {trainer.max_steps} is reached already "
                f"({self.steps_done} optimizer steps taken), so it stops again at once: give a "
                "larger one, or -1 for none"
            )
        else:
            goal = "its budget" if self.search else "its max_epochs"
            then = f"it goes on to {goal} or this command's trainer limits"
        return f"{self.cut_short}: {then}"


def plan_resume(ckpt_path: str | Path | None, model: Any) -> Resume:
    """Check ``ckpt_path`` against the model the config built; see the module docstring.

    Raises:
        FfadeError: the path is missing or unreadable, or not a checkpoint of this run.
    """
    if ckpt_path is None:
        return Resume()
    path = Path(ckpt_path).expanduser()  # a quoted '~/runs/x', as --config reads its own
    if not path.exists():
        raise FfadeError(
            f"{option_path('--ckpt_path', ckpt_path)} not found{backslash_hint(path)}; give a run "
            "directory or its checkpoints/last.ckpt"
        )
    if path.is_dir():  # a run directory, or its checkpoints folder (tab-completed there)
        kept = [p for p in (path / LAST_CHECKPOINT, path / LAST_CHECKPOINT.name) if p.is_file()]
        if not kept:
            return _plan_replay(path, model)
        path = kept[0]
    checkpoint = read_checkpoint(path)
    where = option_path("--ckpt_path", path)
    check_same_run(checkpoint.get("hyper_parameters") or {}, model, where)
    run_dir = _run_dir_of(path, checkpoint)
    summary = _summary(run_dir) if run_dir else None
    seed = summary.get("seed") if summary else None  # summary.json lost: the checkpoint's
    _check_same_seed(checkpoint.get(SEED_KEY) if seed is None else seed, where)
    partial_write(path).unlink(missing_ok=True)  # a newer save a kill cut short: never completed
    epochs = checkpoint.get("epoch", 0)
    if run_dir is None or summary is None or not _is_final_state(checkpoint, summary):
        check_checkpointed_log(path, checkpoint)
        return Resume(ckpt_path=str(path), epochs_done=epochs)
    if "finetuner" in summary and not (run_dir / "mitigation.json").is_file():
        return Resume(str(path), epochs_done=epochs)  # its verdict was lost: rebuilt from it
    if stopped_by_trainer(summary.get("stop_reason")):  # its budget is not spent: it goes on
        fine_tune = "finetuner" in summary
        epochs, steps = checkpoint.get("epoch", 0), checkpoint.get("global_step", 0)
        check_checkpointed_log(path, checkpoint)
        done = {"epochs_done": epochs, "steps_done": steps, "search": not fine_tune}
        return Resume(str(path), cut_short=_cut_short_line(run_dir, summary), **done)
    return Resume(str(path), finished=_finished_line(run_dir, summary), finished_dir=run_dir)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's data, read with ``weights_only=True``: tensors and plain data, no code."""
    fix = "point --ckpt_path at a run's checkpoints/last.ckpt (or its run directory)"
    where = option_path("--ckpt_path", path)
    if path.stat().st_size == 0:
        raise FfadeError(f"{where}: the file is empty; {fix}")
    checkpoint = load_checkpoint_file(path, "--ckpt_path", fix)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise FfadeError(f"{where}: not a Lightning checkpoint; {fix}")
    # a foreign trainer's {"state_dict": ...} passed the check above, then Lightning's restore
    # raised KeyError 'pytorch-lightning_version' (or an explorer's 'ffade') in a failed run
    if LIGHTNING_VERSION_KEY not in checkpoint:
        raise FfadeError(f"{where}: not a Lightning checkpoint; {fix}")
    if not isinstance(checkpoint.get("ffade"), dict):
        raise FfadeError(
            f"{where}: a Lightning checkpoint, but not one an ffade run saved "
            f"(it holds no ffade state); {fix}"
        )
    return checkpoint


def _run_dir_of(path: Path, checkpoint: dict[str, Any]) -> Path | None:
    state = checkpoint.get("ffade")
    return checkpoint_run_dir(path, state.get("run_dir") if isinstance(state, dict) else None)


def _is_final_state(checkpoint: dict[str, Any], summary: dict[str, Any]) -> bool:
    """Whether the checkpoint is the last state of a run that ended (not an earlier checkpoint
    of a run that went on, which resumes as any other)."""
    if summary.get("status") in RUNNING_STATUSES:
        return False
    state = checkpoint.get("ffade")
    explorer = isinstance(state, dict) and "evaluator" in state
    return not explorer or state["evaluator"].get("evaluations") == summary.get("evaluations")


def _finished_line(run_dir: Path, summary: dict[str, Any]) -> str:
    """The line to say instead of running an ended run again."""
    done = (
        f"{shell_path(run_dir)} already finished (status {summary.get('status')}); nothing to "
        "resume."
    )
    if "finetuner" in summary:  # ffade report reads discoveries; a fine-tune's verdict is here
        verdict = shell_path(run_dir / "mitigation.json")
        return f"{done} Its verdict and held-out numbers are in {verdict}"
    if _python_call():  # the call returns it; a shell command is no line of a Python script
        return f"{done} Read it with: ffade.report({str(run_dir)!r})"
    return f"{done} Read it with: ffade report {shell_path(run_dir)}"


def _cut_short_line(run_dir: Path, summary: dict[str, Any]) -> str:
    """What a trainer limit left undone of an ended run that goes on (:meth:`Resume.allow_the_rest`
    says how far)."""
    if "finetuner" in summary:
        return (
            f"{shell_path(run_dir)} was stopped by a trainer limit before its max_epochs "
            f"({summary.get('stop_reason')})"
        )
    return (
        f"{shell_path(run_dir)} was stopped by a trainer limit before its budget "
        f"({summary.get('evaluations')} of {summary.get('budget')} evaluations)"
    )


def _budget_left(summary: dict[str, Any]) -> bool:
    """Whether a search that ended was stopped by a trainer limit (its ``stop_reason``) before
    its ``budget`` of evaluations: it has not finished, and goes on."""
    done, budget = summary.get("evaluations"), summary.get("budget")
    counted = all(isinstance(n, int) and not isinstance(n, bool) for n in (done, budget))
    return stopped_by_trainer(summary.get("stop_reason")) and (not counted or done < budget)


def _python_call() -> str | None:
    """The Python API call resuming (``ffade.discover``), whose lines name what its caller types
    (``ffade.report(...)``, ``trainer``'s ``max_steps``), not the shell's (``ffade report``,
    ``--trainer.max_steps``), as its errors name ``budget``, not ``model.init_args.budget``."""
    from ffade.run_lines import PYTHON_CALL  # Lightning's Callback: only once a run resumes

    return PYTHON_CALL.get()


def _summary(run_dir: Path) -> dict[str, Any] | None:
    try:
        summary = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def _plan_replay(run_dir: Path, model: Any) -> Resume:
    """A run directory without a checkpoint: an explorer replays its evaluations log."""
    where = option_path("--ckpt_path", run_dir)
    summary = _summary(run_dir)
    if not (run_dir / EVALUATIONS_FILE).is_file() and summary and summary.get("concepts") == []:
        raise FfadeError(  # stopped while its task was built (see ffade.explore.base.setup)
            f"{where}: the run (status '{summary.get('status')}') stopped before it evaluated "
            "anything; there is nothing to resume: drop --ckpt_path to run it again"
        )
    if summary is None and (run_dir / "config.yaml").is_file():
        raise FfadeError(  # killed at start-up: Lightning saved the config, ffade nothing yet
            f"{where}: the run stopped at start-up, before it wrote {SUMMARY_FILE} or evaluated "
            "anything; there is nothing to resume: drop --ckpt_path to run it again"
        )
    replays = getattr(model, "replays_log", False)  # an explorer (RunModule.replays_log)
    if not replays and summary is not None:
        raise FfadeError(  # a fine-tune stopped within its first steps: once a generic error
            f"{where}: the run (status '{summary.get('status')}') stopped before its first "
            f"checkpoint (saved every 10 steps), and {a_type(model)} resumes only from "
            "a checkpoint: drop --ckpt_path to run it again"
        )
    if not (run_dir / EVALUATIONS_FILE).is_file():
        raise FfadeError(
            f"{where}: a directory with neither {LAST_CHECKPOINT} nor {EVALUATIONS_FILE}; "
            "point it at an ffade run directory or its checkpoint"
        )
    if not replays:
        raise FfadeError(
            f"{where} has no {LAST_CHECKPOINT}; {a_type(model)} resumes only from a checkpoint"
        )
    if summary is None:
        raise FfadeError(f"{where}: {SUMMARY_FILE} is missing or damaged; cannot tell its task")
    cut_short = None  # a search a trainer limit stopped, resumed from its log: it goes on
    if summary.get("status") not in RUNNING_STATUSES:
        # one a trainer limit stopped may lack a checkpoint (older ffade saved none): replayed
        if not _budget_left(summary):
            return Resume(finished=_finished_line(run_dir, summary), finished_dir=run_dir)
        cut_short = _cut_short_line(run_dir, summary)
    saved = {"task": summary.get("task"), **(summary.get("hyperparameters") or {})}
    if summary.get("explorer") != getattr(model, "name", None):
        raise FfadeError(
            f"{where} was run by the {summary.get('explorer')} explorer, but the config runs "
            f"{getattr(model, 'name', type(model).__name__)}; resume with that run's own "
            "config.yaml, or drop --ckpt_path to start a new run"
        )
    check_same_run(saved, model, where)
    _check_same_seed(summary.get("seed"), where)
    return Resume(replay_dir=run_dir, cut_short=cut_short)


def _check_same_seed(seed: Any, where: str) -> None:
    """Refuse another ``seed_everything`` than the run's (``seed``, None if unknown): its first
    part was drawn with the run's seed, so the summary (and a rerun of the new config.yaml) would
    name the wrong one."""
    now = int(os.environ.get("PL_GLOBAL_SEED", 0))  # what the resumed run records (run_base)
    if isinstance(seed, int) and not isinstance(seed, bool) and seed != now:
        raise FfadeError(
            f"{where} was run with seed_everything = {seed}, but the config says {now}; a "
            "resume keeps every argument of its run: resume with that run's own config.yaml, "
            "or drop --ckpt_path to start a new run"
        )
