"""``ffade.discover``, ``ffade.report`` and ``ffade.mitigate``: the CLI's commands as functions.

Each builds the config ``ffade fit`` would read and hands it to the same LightningCLI
(:func:`ffade.lightning_run.run_lightning`), so a run made from Python is the run the command
makes: same checks, same one-line errors (raised as :class:`~ffade.errors.FfadeError`), same
progress bar, same run directory, the same evaluations for the same seed. Nothing reads
``sys.argv`` and nothing starts a subprocess, so they work in a notebook.
"""

from __future__ import annotations

import os
import signal
import warnings
from pathlib import Path
from typing import Any

from ffade.api.applied import check_applied
from ffade.api.feedback_files import (
    FeedbackFiles,
    check_same_priorities,
    entries,
    given_priorities,
)
from ffade.api.generators import keeps_generators
from ffade.api.keywords import as_keywords, as_python, check_module_args, integers, resume_path
from ffade.api.pieces import (
    EXPLORERS,
    FINETUNERS,
    check_mode,
    check_plugins_known,
    detach_model_logging,
    logger_config,
    module_config,
    plain,
    task_config,
    unrecorded_callbacks,
)
from ffade.api.run import Run, check_dir_path, check_flag, check_slices
from ffade.errors import (
    FfadeError,
    FfadeWarning,
    PluginError,
    calling_line,
    plain_key,
    require_region_options,
    shown,
    shown_as_ffade_lines,
)

SEED_ENV = ("PL_GLOBAL_SEED", "PL_SEED_WORKERS")
"""What Lightning's seed_everything leaves in os.environ; a later seed_everything(None) reads it."""


def fit(config: dict[str, Any], call: str | None = None) -> Run:
    """``ffade fit`` on a config given as a dict; returns the run it wrote.

    Ctrl-C raises KeyboardInterrupt, as anywhere in Python: Lightning ends a run stopped by it
    with ``sys.exit(1)``, which ``except KeyboardInterrupt`` misses and which ended the caller's
    script. SIGTERM (``kill``, a scheduler) ends the process with status 1, as the command does:
    Lightning's SIGTERMException has no code, so the script ended with 0, a success. Either way
    the run's own line has said where it is (status interrupted, nothing lost). Once the run's
    results are recorded (summary.json ``finished``, a fine-tune's verdict), either still stops
    the script, which asked to stop, but the run keeps its status and its line says so. The caller's
    SIGINT and SIGTERM handlers (Lightning leaves SIGINT ignored after a Ctrl-C), seed
    variables, grad mode (a ``torch.no_grad()`` block around the call stays one), warnings
    filters and Lightning's loggers are left as they were (its random generators: see
    :func:`~ffade.api.generators.keeps_generators`). ``call`` (``ffade.discover``,
    ``ffade.mitigate``) is the call whose ``resume`` keyword a stopped run's line names instead
    of the shell command. An :class:`~ffade.errors.FfadeWarning` shows as the command's one
    ``ffade: warning:`` line.
    """
    import torch
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from ffade.distributed import wait_for_rank_0
    from ffade.interrupts import Terminated, handlers_kept, sigterm_as_ctrl_c
    from ffade.lightning_run import run_lightning
    from ffade.log_bars import monitors_closed
    from ffade.progress import lightning_quieted
    from ffade.run_base import ENDED_WHEN_STOPPED, PYTHON_CALL

    env = {key: os.environ.get(key) for key in SEED_ENV}
    grad = torch.is_grad_enabled()  # Lightning's fit turns it on and leaves it on
    token = PYTHON_CALL.set(call)
    try:
        # tqdm's thread would outlive the run in the caller's process, and Lightning's loggers
        # and warnings filters would stay quieted there
        # SIGTERM before Lightning holds it (the model loading) or after (its teardown): the
        # run stopped as Ctrl-C stops it, not Python's default end (143, no line); a caller's
        # own handler is kept
        own = signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        with (
            handlers_kept() if own else sigterm_as_ctrl_c(),  # Ctrl-C leaves SIGINT ignored
            monitors_closed(),
            lightning_quieted(),
            shown_as_ffade_lines(unless_recorded=True, caller=calling_line()),
            warnings.catch_warnings(),
        ):
            for line in unrecorded_callbacks(config.get("trainer") or {}):
                warnings.warn(line, FfadeWarning, stacklevel=2)  # said, not jsonargparse's
            warnings.filterwarnings("ignore", r"\s*Unable to serialize instance")
            detach_model_logging(config.get("trainer") or {})  # one given after a run of its own
            model = run_lightning({"fit": config})
            wait_for_rank_0(model)  # the other ranks' Run: the run rank 0 finished writing
            if ENDED_WHEN_STOPPED.get() is model:  # a SIGTERM as it ended: the script ends too
                raise SystemExit(1)
    except (SIGTERMException, Terminated):
        raise SystemExit(1) from None
    except FfadeError as error:  # said as the command says it, "did you mean" a class too,
        from ffade.fit_help import class_path_hint  # with the keys as this call's keywords

        said = str(error) if isinstance(error, PluginError) else class_path_hint(str(error))
        error.args = (as_keywords(plain_key(said)),)
        raise
    except SystemExit as exc:
        if isinstance(exc.__context__, Terminated):
            raise SystemExit(1) from None
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise exc.__context__ from None
        raise
    finally:  # seed_everything left PL_GLOBAL_SEED set
        detach_model_logging(config.get("trainer") or {})  # the caller's callbacks, as given
        torch.set_grad_enabled(grad)
        PYTHON_CALL.reset(token)
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    finished = getattr(model, "finished_run_dir", None)
    if model.run_dir is None and finished is not None:  # a finished run: not run again; its
        return Run(finished)  # directory, also when resume named its checkpoint file
    return Run(Path(model.run_dir))


@keeps_generators
def discover(
    task: Any = None,
    *,
    target: Any = None,
    dataset: Any = None,
    reward: Any = None,
    concepts: Any = None,
    mode: str | None = None,
    max_inputs: int | None = None,
    explorer: Any = "dqn",
    budget: int = 1000,
    seed: int = 0,
    save_dir: str | Path = "runs",
    name: str = "ffade",
    trainer: dict[str, Any] | None = None,
    resume: Run | str | Path | None = None,
    **explorer_args: Any,
) -> Run:
    """Search where a target fails, as ``ffade fit --config`` with an explorer config does.

    Args:
        task: the config's ``task`` section (a dict or a TaskSpec); the keywords below fill in
            or override its keys.
        target, dataset, reward: a plugin name, ``{name, args}``, or a plugin class or instance
            (registered for this process, see :func:`ffade.register`); ``target`` may also be a
            ``torch.nn.Module`` or a ``predict`` function, wrapped in ``CallableTarget``.
        concepts: a list of those, one per concept axis.
        mode: "macroscopic" or "microscopic".
        max_inputs: search only the first N inputs of the discovery split.
        explorer: "dqn", "random", "grid", "epsilon_greedy", a class name or path, an Explorer
            class, or ``{class_path, init_args}`` (``task``, ``budget``: the keywords).
        budget: target evaluations to spend.
        seed: ``seed_everything``; the same seed gives the same evaluations as the CLI.
        save_dir, name: the run lands in ``save_dir/name/version_N``.
        trainer: Lightning Trainer arguments, as the config's ``trainer`` section.
        resume: a run stopped by Ctrl-C or a crash (its directory, checkpoint or Run), continued
            with the same other arguments, as ``ffade fit --config RUN/config.yaml --ckpt_path RUN``
            does: a model that lives in this process has no config a shell could run.
        **explorer_args: the explorer's other arguments (``num_envs``, ``start_e``, ...).

    Returns:
        the run (:class:`ffade.Run`): ``dir``, ``summary``, ``evaluations``, ``rules``,
        ``regions``, ``examples``, ``report()``. The caller's random generators (Python's,
        NumPy's, torch's), torch's grad mode, warnings filters and Lightning's loggers are
        left as they were.

    Raises:
        FfadeError: what ``ffade fit`` reports in one line (an unknown plugin, a value off the
            grid, a misspelled argument).
        KeyboardInterrupt: Ctrl-C, once the run has said where it is (status interrupted,
            every evaluation kept; ``finished`` kept once the search had finished). An
            exception out of your own model or plugin is raised as it is, with a note naming it.
    """
    pieces = {"target": target, "dataset": dataset, "reward": reward, "concepts": concepts}
    pieces.update(mode=mode, max_inputs=max_inputs)
    check_mode(mode)
    seed, budget, pieces["max_inputs"] = integers(seed=seed, budget=budget, max_inputs=max_inputs)
    model = module_config(explorer, EXPLORERS, "ffade.explore", "explorer")
    check_module_args(discover, model, explorer_args, {"task": "task", "budget": "budget"})
    section = task_config(task, pieces)
    model["init_args"].update(task=section, budget=budget, **plain(explorer_args))
    config = _config(model, seed, save_dir, name, trainer)
    if resume is not None:  # `ffade fit --ckpt_path`: the same arguments continue the run
        config["ckpt_path"] = resume_path(resume)
    try:
        return _fit_resumable(config, "ffade.discover", resume is not None)
    except FfadeError as error:  # "set task.mode: macroscopic" to a caller who typed mode=
        from ffade.explore.arguments import ModeError  # imported by the run: no cost here

        if isinstance(error, ModeError):  # explorers as explorer='dqn', not by class path
            error.args = (as_keywords(error.task_line if mode is None else error.keyword_line),)
        raise


def _fit_resumable(config: dict[str, Any], call: str, resuming: bool) -> Run:
    """:func:`fit`, its stopped run's line naming ``call``'s ``resume``; a resume's refusal is
    said as the call's keywords, not ``--ckpt_path`` and config.yaml."""
    try:
        return fit(config, call)
    except FfadeError as error:
        if resuming:
            error.args = (as_python(str(error)),)
        raise


def _max_epochs(max_epochs: int | None, trainer: Any) -> int | None:
    """The fine-tune's epochs: the keyword's, else ``trainer``'s ``max_epochs``, else None: the
    fine-tuner's own ``default_epochs``, which ``ffade fit`` fills in (:mod:`ffade.run_length`;
    the classifier's 10), so a call and the bare command train alike. Both given and different
    is refused: ``trainer={"max_epochs": 3}`` quietly won over the keyword the README shows.
    (Alone, it was refused unless 10, the keyword's default then.)"""
    if not isinstance(trainer, dict) or "max_epochs" not in trainer:
        return max_epochs
    in_trainer = trainer["max_epochs"]
    if max_epochs is None:
        return in_trainer  # a bad value: the trainer's checks say what is allowed
    if in_trainer != max_epochs:
        raise FfadeError(
            f"trainer: max_epochs {shown(in_trainer)} differs from mitigate's "
            f"max_epochs={max_epochs}; give the epochs once, as max_epochs=N or in trainer"
        )
    return max_epochs


@keeps_generators
def mitigate(
    run: Run | str | Path,
    priorities: dict[str, Any] | str | Path | None = None,
    *,
    finetuner: Any = "classifier",
    max_epochs: int | None = None,
    seed: int = 0,
    save_dir: str | Path = "runs",
    name: str = "mitigate",
    trainer: dict[str, Any] | None = None,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    slices: str = "rules",
    redo: bool = False,
    resume: Run | str | Path | None = None,
    **finetuner_args: Any,
) -> Run:
    """Fine-tune a run's target on its prioritized failure regions, as ``ffade fit`` with a
    fine-tuner config does, after ``ffade feedback RUN --from PRIORITIES``.

    Args:
        run: the discovery run whose failures to fix.
        priorities: a priorities file or the same as a dict (``{"regions": [{"rank": 1,
            "priority": "high"}], "default": "skip"}``), saved as the run's feedback.yaml;
            default: the run's feedback.yaml if ``ffade feedback`` wrote one, else the first
            failure rule, high.
        finetuner: "classifier", a class path (``ffade_text.mitigate.Seq2SeqFineTuner``), a
            FineTuner class, or ``{class_path, init_args}`` (without ``run``, ``feedback``).
        max_epochs: fine-tuning epochs (the Trainer's); default ``trainer``'s ``max_epochs``
            if it has one, else the fine-tuner's ``default_epochs`` (the classifier's 10, the
            summarizer's 3, the LoRA's 150), as ``ffade fit`` trains it; ``trainer`` may repeat
            it, not differ.
        seed, save_dir, name, trainer: as for :func:`discover`.
        threshold, min_evaluations, slices: how regions are found, as ``ffade report``'s
            options (``slices="regions"`` for a run with no failure rule, microscopic ones often).
        redo: replace a feedback.yaml whose answers ``priorities`` would change (a person's
            ranking is never replaced without it, as ``ffade feedback --from`` needs ``--redo``).
            A fine-tune refused before it starts puts feedback.yaml and its pictures back.
        resume: a fine-tune stopped by Ctrl-C or a crash (its directory or Run), continued
            from its last checkpoint with the same other arguments, as ``ffade fit --ckpt_path``
            does. The same priorities again change nothing; other ones are refused (the
            resumed fine-tune trains on what its first part did), and so is a ``max_epochs``
            below the epochs its checkpoint has trained (a larger one trains on to it).
        **finetuner_args: the fine-tuner's arguments (``learning_rate``, ``clean_share``, ...).

    Returns:
        the fine-tuning run; its ``mitigation`` holds mitigation.json (before and after
        failure rates on held-out inputs, accepted or rejected).

    Raises:
        FfadeError: a mistake, in the one line ``ffade fit`` prints (priorities that would
            change a person's answers without ``redo=True`` too); KeyboardInterrupt: Ctrl-C.
    """
    from ffade.evaluation_log import one_read_per_log
    from ffade.feedback.from_file import feedback_from_file
    from ffade.feedback.priorities import FEEDBACK_FILE

    run = Run.of(run)
    seed, max_epochs = integers(seed=seed, max_epochs=max_epochs)
    _check_trainer(trainer)
    if max_epochs is not None and (max_epochs == 0 or max_epochs < -1):  # before priorities
        # are applied and their pictures drawn; was "trainer.max_epochs 0 trains nothing", of a
        # key this call's caller never typed (-1, Lightning's "no end", goes with max_steps)
        raise FfadeError(f"max_epochs: expected a whole number from 1, got {max_epochs}")
    check_slices(slices)
    require_region_options(threshold, min_evaluations)  # even when feedback.yaml is what it fixes
    check_flag("redo", redo)
    model = module_config(finetuner, FINETUNERS, "ffade.mitigate", "finetuner")
    check_module_args(mitigate, model, finetuner_args, {"run": "run", "feedback": "priorities"})
    ckpt_path = None if resume is None else resume_path(resume)
    feedback = run.dir / FEEDBACK_FILE
    apply = priorities is not None or not feedback.is_file()
    given = given_priorities(priorities) if apply else None  # a mapping is applied as it is
    if apply and ckpt_path is not None and feedback.is_file():
        check_same_priorities(run.dir, given, threshold, min_evaluations, slices)
        apply = False  # what feedback.yaml holds: nothing to write
    # before feedback.yaml is written: a run of a plugin this process no longer knows is one
    # line, not priorities applied and "no example pictures: unknown target ..." said first
    check_plugins_known(run.summary.get("task") or {}, run.dir)
    model["init_args"].update(run=str(run.dir), feedback=str(feedback), **plain(finetuner_args))
    trainer = {**(trainer or {}), "max_epochs": _max_epochs(max_epochs, trainer)}  # None: its own
    config = _config(model, seed, save_dir, name, trainer)  # its mistakes before any writing
    if ckpt_path is not None:
        config["ckpt_path"] = ckpt_path
    runs = Path(save_dir).expanduser() / name  # where the logger puts it: "~" is home
    runs_before = entries(runs)
    as_it_was = FeedbackFiles.of(run.dir) if apply else None
    if apply:
        apply_given = priorities is not None
        hint = "pass redo=True to replace {them}, or priorities=None to fix what it holds"
        try:
            with one_read_per_log():  # the slices and the pictures' worst failures: one read
                applied = feedback_from_file(
                    run.dir,
                    given,
                    feedback,
                    threshold,
                    min_evaluations,
                    None,
                    slices,
                    redo,
                    hint,
                    given=apply_given,  # no note on a default the caller never typed
                )
                try:
                    check_applied(applied, run.dir, threshold, min_evaluations, given=apply_given)
                except FfadeError:  # feedback.yaml put back as it was
                    as_it_was.restore()
                    raise
        except FfadeError as error:  # said as the argument a Python caller types
            raise FfadeError(str(error).replace("--slices regions", "slices='regions'")) from None
    try:
        return _fit_resumable(config, "ffade.mitigate", ckpt_path is not None)
    except FfadeError:
        # a fine-tune refused (a bad value, a resume of another run) left no run: the
        # priorities applied for it are taken back too, so answers that redo=True replaced stay
        if as_it_was is not None and entries(runs) == runs_before:
            as_it_was.restore()
        raise


def _check_trainer(trainer: Any) -> None:
    """``trainer`` is the config's ``trainer`` section, a mapping or None: mitigate merges its
    ``max_epochs`` into it, where ``trainer="cpu"`` was "TypeError: 'str' object is not a
    mapping", so it is checked before that, and before any priorities are applied."""
    if trainer is not None and not isinstance(trainer, dict):
        raise FfadeError(f"trainer: expected a mapping of Trainer arguments, got {shown(trainer)}")


def _config(
    model: dict[str, Any], seed: int, save_dir: str | Path, name: str, trainer: dict | None
) -> dict[str, Any]:
    """The whole ``ffade fit`` config around a model section."""
    _check_trainer(trainer)
    check_dir_path("save_dir", save_dir)
    if not isinstance(name, str) or not name.strip():  # "" put version_N in save_dir itself
        raise FfadeError(
            f"name: expected a non-empty str (the runs' folder in save_dir), got {shown(name)}"
        )
    return {
        "seed_everything": seed,
        "model": model,
        # plain: trainer={"max_steps": np.int64(5)} was "trainer.max_steps: expected int, got 5"
        "trainer": {"logger": logger_config(str(save_dir), name), **plain(trainer or {})},
    }
