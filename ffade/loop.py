"""``ffade loop --config configs/loop_digits.yaml``: discover, prioritize, fix, rediscover, compare.

The whole loop the paper promises, in one process and one run directory per loop
(``OUT/version_N/``):

1. ``discover/``: ``ffade fit`` with the discovery config (it keeps its checkpoint).
2. ``discover/feedback.yaml``: the priorities file applied to its failure regions.
3. ``mitigate/``: ``ffade fit`` with the fine-tuner config, pointed at that run and feedback;
   writes mitigation.json and, if the guard accepts the fix, model.pt.
4. ``rediscover/``: the discovery config again, on the task step 1 ran (its summary.json) with
   the fixed model (the target's ``weights``), warm-started from the first explorer's Q-network
   when the explorer takes ``warm_start``.
5. ``report/``: ``report/suite.yaml``, the judged rules as a regression suite (``ffade
   export``), each rule's seeded sample of pairs measured on the original model and on the fix
   (``ffade check``; :mod:`ffade.loop_retest`), so loop.json's ``retest`` gives every rule's
   failure rate before and after on the very same pairs (rediscovery seeks out what still fails,
   so its rates cannot say that); then ``ffade report discover --compare rediscover`` (regions
   fixed, still failing, new), whose report.html shows the retest as well.

The loop config::

    discover: configs/quickstart.yaml        # an `ffade fit` config for an explorer
    feedback: configs/feedback_digits.yaml   # a priorities file (see `ffade feedback --from`)
    mitigate: configs/mitigate_digits.yaml   # an `ffade fit` config for a fine-tuner
    rediscover: {start_e: 0.5}               # optional: explorer init_args for step 4
    out: runs/loop_digits                    # optional (default runs/loop)
    threshold: 0.5                           # optional: as in `ffade report`
    min_evaluations: 1                       # optional: as in `ffade report`
    slices: rules                            # optional: or regions, as `ffade feedback --slices`

Every stage runs in this process (LightningCLI, as ``ffade fit`` does). Before the first stage,
every file is read, both ``ffade fit`` configs validated (model arguments, trainer settings) and
the priorities file checked as far as it can be without the run (keys, priorities, ranks, the
states its ``contains`` name), so a mistake stops the loop at once, in one line naming the file.

A stage whose run does not end as it should (Ctrl-C, a crash: its summary.json says
``interrupted`` or ``failed``) stops the loop with :class:`StageStopped`: loop.json's status
becomes ``stopped`` and its ``stopped`` names the stage, the run and that status, and ``ffade
loop`` exits 1 (as ``ffade fit`` does on Ctrl-C), not 2, which is for a mistake in what was typed.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from shlex import quote
from typing import Any

import yaml

from ffade.errors import FfadeError, OneLineParser, as_written, plain_key
from ffade.loop_closing import closing_summary
from ffade.loop_config import (
    LoopConfig,
    check_discovery_split,
    check_feedback,
    check_no_resume,
    check_not_a_loop,
    check_stage_kinds,
    check_warm_start_shape,
    loop_folder,
    next_loop_dir,
    read_loop_config,
    takes_warm_start,
)
from ffade.loop_feedback import prioritize
from ffade.loop_kinds import check_finetuner_kind, check_stage_splits, check_target_trainable
from ffade.loop_retest import retest
from ffade.loop_stop import (
    STAGE_AFTER,
    OutputClosed,
    StageStopped,
    run_ended_when_stopped,
    said_after_verdict,
    said_while_read,
)
from ffade.model_arguments import check_model_arguments
from ffade.records import MITIGATION_FILE, SUMMARY_FILE, read_summary, write_json_atomic
from ffade.shell_words import model_overrides
from ffade.writable import missing_dirs, remove_if_empty, writable_dir

STAGES = ("discover", "mitigate", "rediscover", "report")


def fit(
    config: Path, run_dir: Path, overrides: dict[str, Any], check: bool = False, where: str = ""
) -> dict[str, Any]:
    """``ffade fit --config config`` in this process, logging to ``run_dir``.

    ``check``: only parse and validate the config as ``ffade fit`` would (``--print_config``)
    and run its module's argument checks (:mod:`ffade.model_arguments`), so a mistake in a later
    stage's file stops the loop before the first stage spends minutes; returns the config as
    resolved (else nothing). ``where``: what a config error names (default: ``config``).
    """
    from ffade.lightning_run import ConfigError, run_lightning  # not for ``ffade loop --help``
    from ffade.trainer import check_trainer_config, check_trainer_hardware

    logger = {
        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
        "init_args": {"save_dir": str(run_dir.parent), "name": "", "version": run_dir.name},
    }
    args = ["fit", "--config", str(config), "--trainer.logger", json.dumps(logger)]
    args += model_overrides(overrides)
    try:
        if check:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed), contextlib.suppress(SystemExit):
                run_lightning([*args, "--print_config"])
            resolved = yaml.safe_load(printed.getvalue())
            cls = check_model_arguments(resolved.get("model") or {})
            check_trainer_config(resolved.get("trainer") or {}, cls or object)
            check_trainer_hardware(resolved.get("trainer") or {}, one_process=True)
            return resolved
        run_lightning(args)
    except FfadeError as exc:  # say which of the loop's configs it was, unless a stage runs
        if check or isinstance(exc, ConfigError):  # the key as ffade fit would name it
            said = plain_key(str(exc)).removeprefix(f"{config}: ")  # a line naming it already
            raise FfadeError(f"{where or config}: {said}") from exc
        raise
    return {}


def run_loop(config: LoopConfig, say=print) -> dict[str, Any]:
    """Run the five stages; returns what loop.json records (paths, numbers, verdict).

    loop.json is rewritten after every stage, so an interrupted loop still says how far it got.
    """
    started, say = time.monotonic(), said_while_read(say)  # `| head -1`: as Ctrl-C
    placeholders = {"run": "DISCOVER_RUN", "feedback": "DISCOVER_RUN/feedback.yaml"}
    with_rediscover = str(config.discover)  # no rediscover: the file alone is at fault
    if config.rediscover:
        with_rediscover += f" with the loop's rediscover {as_written(config.rediscover)}"
    check_stage_kinds(config)
    check_no_resume(config)
    check_warm_start_shape(config)
    resolved = fit(config.discover, config.out / "check", config.rediscover, True, with_rediscover)
    fixing = fit(config.mitigate, config.out / "check", placeholders, check=True)
    fixing = (fixing.get("model") or {}).get("init_args") or {}  # the fine-tuner's, resolved
    task = ((resolved.get("model") or {}).get("init_args") or {}).get("task")
    check_discovery_split(config, task)
    check_feedback(config, task, fixing)
    check_finetuner_kind(config, task)  # a digits search with the seq2seq fine-tuner
    check_stage_splits(config, task, fixing)  # no held-out inputs, or all copies
    check_target_trainable(config, task, fixing)  # no preprocess, a LoRA module typo
    record: dict[str, Any] = {"loop_dir": None, "config": config.plain()}

    def save(status: str) -> None:
        record["status"] = status
        record["wall_seconds"] = round(time.monotonic() - started, 1)
        write_json_atomic(loop_dir / "loop.json", record)
        if status in STAGE_AFTER and run_ended_when_stopped():  # its stage is recorded as done
            raise KeyboardInterrupt  # a Ctrl-C or SIGTERM as a stage's run ended: stop here

    loop_dir = next_loop_dir(config.out)  # all made ready before: Ctrl-C from here is recorded
    try:
        try:
            record["loop_dir"] = str(loop_dir)  # in loop.json, not an empty version_N left unsaid
            return _run_stages(config, loop_dir, record, save, say)
        except StageStopped:  # a Lightning stage's run, named by _run_stage
            raise
        except (KeyboardInterrupt, Exception) as error:  # in a stage that is no Lightning run:
            # Ctrl-C, a mistake (an id that is no rule of the run) or a crash
            stage = STAGE_AFTER.get(record.get("status"), "discover")
            how = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            raise StageStopped(stage, None, how) from error
    except StageStopped as stop:
        record["stopped"] = stop.to_dict()
        save("stopped")
        if isinstance(stop.__cause__, FfadeError):
            raise stop.__cause__ from None  # a mistake found as the stage ran: one line, exit 2
        raise


def _run_stages(
    config: LoopConfig,
    loop_dir: Path,
    record: dict[str, Any],
    save: Callable[[str], None],
    say: Callable[[str], Any],
) -> dict[str, Any]:
    """The five stages, each recorded in ``record`` and saved to loop.json once done."""
    first = _discover(config, loop_dir, say)
    record["discover"] = str(first)
    save("discovered")
    say(_found(first))  # after the save, as the fix's numbers: closed, stopped at feedback

    record["feedback"] = str(prioritize(config, first, say))
    save("prioritized")

    fixed, mitigation = _mitigate(config, loop_dir, first, say)
    record["mitigate"] = str(fixed)
    record["mitigation"] = loop_mitigation(mitigation)
    save("mitigated" if mitigation["accepted"] else "rejected")  # before its lines: see below
    if not mitigation["accepted"]:  # loop.json says rejected: a closed output no longer changes it
        said_after_verdict(say, _numbers(mitigation))
        said_after_verdict(
            say, f"      fix rejected: {mitigation['reason']}; stopping before rediscovery"
        )
        return record
    say(_numbers(mitigation))  # closed: stopped at rediscover, its fix kept as done

    second = _rediscover(config, loop_dir, first, mitigation["fixed_target"], say)
    record["rediscover"] = str(second)
    save("rediscovered")
    say(_found(second))

    shift, record["retest"] = _report(config, loop_dir, first, second, fixed, say)
    record["report"] = str(loop_dir / "report" / "report.html")
    record["region_shift"] = {status: len(entries) for status, entries in shift.items()}
    save("finished")
    return record


def _discover(config: LoopConfig, loop_dir: Path, say) -> Path:
    """Stage 1: the discovery run on the original model."""
    say(f"[1/5] discover: {quote(str(config.discover))} -> {quote(str(loop_dir / 'discover'))}")
    return _run_stage("discover", config.discover, loop_dir / "discover", {})


def _mitigate(config: LoopConfig, loop_dir: Path, first: Path, say) -> tuple[Path, dict[str, Any]]:
    """Stage 3: the fine-tuner on the first run and its feedback; returns its run and verdict.

    Raises:
        StageStopped: the fine-tuner wrote no mitigation.json, so there is no verdict to act on.
    """
    say(f"[3/5] mitigate: {quote(str(config.mitigate))} -> {quote(str(loop_dir / 'mitigate'))}")
    fixed = _run_stage(
        "mitigate",
        config.mitigate,
        loop_dir / "mitigate",
        {"run": str(first), "feedback": str(first / "feedback.yaml")},
    )
    return fixed, json.loads((fixed / MITIGATION_FILE).read_text(encoding="utf-8"))


def _rediscover(
    config: LoopConfig, loop_dir: Path, first: Path, fixed_target: dict[str, Any], say
) -> Path:
    """Stage 4: discovery again, on the task the first run searched with the fixed target.

    Warm-started from the first run when the explorer takes ``warm_start``, so it begins from
    what the first explorer learned instead of from scratch.
    """
    say(f"[4/5] rediscover on the fixed model -> {quote(str(loop_dir / 'rediscover'))}")
    overrides = dict(config.rediscover)
    task = read_summary(first)["task"]  # the task discovery ran, as feedback and mitigate read it
    overrides["task"] = dict(task, target=fixed_target)
    if takes_warm_start(config.discover):
        overrides["warm_start"] = str(first)
    else:
        say("      (the explorer takes no warm_start; rediscovery starts from scratch)")
    return _run_stage("rediscover", config.discover, loop_dir / "rediscover", overrides)


def _report(
    config: LoopConfig, loop_dir: Path, first: Path, second: Path, fixed: Path, say
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Stage 5: the retest, then ``ffade report first --compare second`` showing it as well.

    Returns how the regions shifted and the retest (loop.json's ``region_shift`` and ``retest``).
    The retest comes first so that report.html can show it; it reads no report.
    """
    say(
        f"[5/5] report: {quote(str(first))} --compare {quote(str(second))}"
        f" -> {quote(str(loop_dir / 'report'))}"
    )
    from ffade.evaluation_log import one_read_per_log
    from ffade.summarize.report import build_report
    from ffade.writable import removed_if_refused

    # Ctrl-C in the retest's measurement left report/ made (for suite.yaml) and empty
    with removed_if_refused(loop_dir / "report"), one_read_per_log():  # one read of each log
        retested = retest(loop_dir, first, fixed, say)
        report = build_report(
            first,
            second,
            loop_dir / "report",
            config.threshold,
            config.min_evaluations,
            slices=config.slices,
            retest=retested,
        )
    return report["compare"]["region_shift"], retested


def _run_stage(stage: str, config: Path, run_dir: Path, overrides: dict[str, Any]) -> Path:
    """``fit`` for one stage; a run that does not end as it should raises :class:`StageStopped`.

    Lightning answers Ctrl-C with ``SystemExit(1)`` once the run's summary.json says
    ``interrupted``, and re-raises a crash once it says ``failed``; either way the summary says
    how the run ended, and the loop stops there. A fine-tune has ended when it wrote its verdict
    (mitigation.json), a discovery when its status is ``finished``.
    """
    try:
        fit(config, run_dir, overrides)
    except (Exception, KeyboardInterrupt, SystemExit) as exc:
        if not run_ended_when_stopped():  # else its results are recorded: see run_loop's save
            # Lightning ends a run stopped by Ctrl-C with a SystemExit raised while it handles it
            ctrl_c = any(isinstance(e, KeyboardInterrupt) for e in (exc, exc.__context__))
            raise StageStopped(stage, run_dir, _run_status(run_dir), ctrl_c) from exc
    status = _run_status(run_dir)
    ended = (run_dir / MITIGATION_FILE).is_file() if stage == "mitigate" else status == "finished"
    if not ended:
        raise StageStopped(stage, run_dir, status)
    return run_dir


def _run_status(run_dir: Path) -> str | None:
    """The status a run's summary.json gives, None if it wrote none (refused before it ran)."""
    if not (run_dir / SUMMARY_FILE).is_file():
        return None
    return read_summary(run_dir).get("status")


def _found(run_dir: Path) -> str:
    """A search's counts as ``ffade fit`` ends with them (its summary.json's), indented under its
    stage line as the feedback's and the fix's are: the stage line alone said only where it ran."""
    from ffade.run_endings import found_line

    return f"      {found_line(read_summary(run_dir))}"


def _numbers(m: dict[str, Any]) -> str:
    """The fix's held-out figures, and an unclear fall's line, indented as a stage's details."""
    from ffade.run_endings import held_out_text, unclear_fix_line

    return "\n".join(f"      {line}" for line in (held_out_text(m), unclear_fix_line(m)) if line)


def loop_mitigation(mitigation: dict[str, Any]) -> dict[str, Any]:
    """loop.json's ``mitigation``: mitigation.json but its ``training``, and of its ``guard`` only
    ``inputs``, the held-out inputs counted: the closing ``note:`` (:mod:`ffade.guard_grain`) needs
    it to say that one input is past the tolerance, as the fine-tune's own ending does."""
    kept = {k: v for k, v in mitigation.items() if k not in ("guard", "training")}
    inputs = (mitigation.get("guard") or {}).get("inputs")
    return kept if inputs is None else {**kept, "guard": {"inputs": inputs}}


def main(argv: list[str]) -> int:
    """The ``ffade loop`` command; returns 0 when the fix is accepted and verified, 1 when the
    guard rejects it or a stage's run stops (:class:`StageStopped`; its line names the stage)."""
    parser = OneLineParser(
        prog="ffade loop",
        description="Discover failures, apply priorities from a file, fine-tune, discover again "
        "on the fixed model and report what shifted, in one command.",
    )
    parser.add_argument("--config", required=True, metavar="LOOP.yaml", help="the loop config")
    parser.add_argument(  # an empty one is refused, not taken as "not given"
        "--out", metavar="DIR", type=loop_folder, help="where loops go (overrides the config's out)"
    )
    args = parser.parse_args(argv)
    config = read_loop_config(args.config)
    if args.out is not None:
        config.out = Path(args.out)
    option = "--out" if args.out is not None else f"{args.config}: out"
    check_not_a_loop(config.out, option)
    made = missing_dirs(config.out)  # removed again if the up-front checks refuse the loop
    writable_dir(config.out, option)
    try:
        record = run_loop(config)
    except (FfadeError, KeyboardInterrupt):  # refused, or Ctrl-C before the first stage
        remove_if_empty(made)
        raise
    except StageStopped as stop:
        cause = stop.__cause__
        if cause is not None and not isinstance(cause, (KeyboardInterrupt, SystemExit)):
            traceback.print_exception(cause)  # a crash is a bug: where it happened, then the line
        closed = " (its output was closed)" if isinstance(cause, OutputClosed) else ""
        print(f"ffade: error: {stop}{closed}", file=sys.stderr)
        return 1
    return closing_summary(record, config.slices, (config, args.config))
