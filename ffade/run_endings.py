"""What a finished ``ffade fit`` prints last: where the run is, what it found, what to type next.

Lightning's own last line ("`Trainer.fit` stopped: `max_epochs=1` reached") says nothing about
the run. A discovery ends with its evaluations, failures and top failure rule in words; a
fine-tune with its verdict and the held-out numbers, which were never searched nor trained on.
Read from the run directory, so the lines say what the files say; a finished fit's counts
per state, which its log holds line for line, come from its memo (:mod:`ffade.memo_counts`).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import numpy as np

from ffade.compare_command import report_arguments
from ffade.errors import FfadeError
from ffade.explore.stopping import stopped_by_trainer
from ffade.guard_grain import one_input_note
from ffade.records import MITIGATION_FILE, read_summary
from ffade.shell_words import absolute, model_overrides, shell_path
from ffade.shown_numbers import share, told_apart
from ffade.yamlfile import read_yaml


def run_ending(
    run_dir: str | Path, counted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> str:
    """The closing lines for the run in ``run_dir`` (a discovery or a fine-tune); ``counted``:
    its log's counts per state where already at hand (:mod:`ffade.memo_counts`)."""
    run_dir = Path(run_dir)
    mitigation = run_dir / MITIGATION_FILE
    if mitigation.is_file():
        return _fine_tune_ending(run_dir, json.loads(mitigation.read_text(encoding="utf-8")))
    return _discovery_ending(run_dir, read_summary(run_dir), counted)


def held_out_text(record: dict[str, Any]) -> str:
    """mitigation.json's verdict and held-out numbers in one line."""

    def change(name: str, shares: bool = True) -> str:
        return before_after(record.get(f"{name}_before"), record.get(f"{name}_after"), shares)

    metric = record.get("clean_metric", "accuracy")  # BLEU / 100, CLIP cosine: not shares
    return (
        f"{record['status']}: clean {metric} "
        f"{change('clean_accuracy', metric.endswith('accuracy'))}; targeted failure rate "
        f"{change('targeted_failure_rate')}; untargeted "
        f"{change('untargeted_failure_rate')} (held-out)"
    )


def unclear_fix_line(record: dict[str, Any]) -> str | None:
    """For an accepted fix whose targeted failure rate did not fall clearly (mitigation.json's
    ``targeted_change``, :mod:`ffade.mitigate.evidence`), the closing line that says so: the
    guard accepts any fall that keeps clean accuracy, which a reader takes for a fixed failure.
    None otherwise, and for a record written before ``targeted_change``."""
    change = record.get("targeted_change")
    if not record.get("accepted") or not isinstance(change, dict):
        return None
    if change.get("outcome") == "clear fall":
        return None
    rates = before_after(
        record.get("targeted_failure_rate_before"), record.get("targeted_failure_rate_after")
    )
    return (
        f"but: targeted failure rate {rates} of {change.get('pairs', 0):,} held-out pairs is no "
        f"clear change (an exact McNemar test at 95%): 'accepted' says clean "
        f"{record.get('clean_metric', 'accuracy')} was kept and the rate fell, not that the "
        "failure is fixed; for a clear fall, train more (a larger --trainer.max_epochs or "
        "--model.init_args.learning_rate)"
    )


def before_after(before: float | None, after: float | None, shares: bool = True) -> str:
    """``before -> after``: shares as percents with one decimal, scores with three, more where
    those would read a change as none ("95.0% -> 95.0%" for 95.04% -> 94.96%, a fall the guard
    weighed), a share short of all never as 100% (:mod:`ffade.shown_numbers`)."""
    decimals = 1 if shares else 3

    def show(x: float, digits: int) -> str:
        return share(x, digits, as_percent=True) if shares else f"{x:.{digits}f}"

    if before is None or after is None:
        return " -> ".join("n/a" if x is None else show(x, decimals) for x in (before, after))
    return " -> ".join(told_apart(before, after, decimals, show))


def found_line(summary: dict[str, Any]) -> str:
    """What a discovery found, from its summary.json alone: ``evaluations: N, failures: F (in S
    concept states)``, as ``ffade fit`` ends and as ``ffade loop`` says under each search's stage
    line (no log read: the loop goes on to the next stage)."""
    from ffade.summarize.run_figures import counts_line

    states = summary.get("failing_concept_states", "-")
    return counts_line(
        {"evaluations": 0, "failures": 0, **summary},
        f" (in {states} concept state{'' if states == 1 else 's'})",
    )


def _discovery_ending(
    run_dir: Path,
    summary: dict[str, Any],
    counted: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> str:
    from ffade.summarize.meaning import load_kept_landscape
    from ffade.summarize.rules import find_rules
    from ffade.summarize.run_figures import start_state
    from ffade.summarize.start_failures import failures_only_at_start

    lines = [f"run: {shell_path(run_dir)}", found_line(summary)]  # quoted as next: is
    reason = summary.get("stop_reason")
    if reason and reason != "budget spent":  # else a short count reads like a lost budget
        lines.append(f"stopped before the budget ({summary.get('budget', '-')}): {reason}")
    if stopped_by_trainer(reason):
        lines.append(f"continue it: {_continue_command(run_dir)}")
    try:
        landscape = load_kept_landscape(run_dir, counted)
        rules = find_rules(landscape)  # the report's top rule
        # a failure with no rule says why, as the report does: inputs that fail unchanged
        at_start = failures_only_at_start(landscape, start_state(summary, landscape))
    except Exception as error:  # the ending must never hide the run it reports on
        lines.append(f"no failure rules: {error}")
        # ffade report reads the same landscape, so it would stop on the same error
        log = shell_path(run_dir / "evaluations.jsonl")
        lines.append(f"next: read its evaluations in {log}; ffade report stops on this too")
    else:
        found = "no failure rule found" if summary.get("failures") else "no failures found"
        found = at_start or found
        top = rules.rules[0].description if rules.rules else f"none ({found})"
        lines.append(f"top failure rule: {top}")
        lines.append(f"next: ffade report {report_arguments(run_dir, summary)}")
    return "\n".join(lines)


def _continue_command(run_dir: Path) -> str:
    """``ffade fit --ckpt_path`` for a search a trainer limit stopped, lifting the limits its
    config.yaml keeps (a resume under the same limit would stop again at once)."""
    run_dir = absolute(run_dir)  # the command is copied and run from any directory
    run = shell_path(run_dir)
    command = f"ffade fit --config {shell_path(run_dir / 'config.yaml')} --ckpt_path {run}"
    try:
        trainer = read_yaml(run_dir / "config.yaml", "no config.yaml").get("trainer") or {}
    except (FfadeError, AttributeError):  # no config (a Python API run): no limit to name
        return command
    if trainer.get("max_steps") not in (None, -1):
        command += " --trainer.max_steps -1"
    if trainer.get("max_time") is not None:
        command += " --trainer.max_time null"
    return command


def _fine_tune_ending(run_dir: Path, record: dict[str, Any]) -> str:
    lines = [
        f"run: {shell_path(run_dir)}",  # quoted as the next: command is
        f"fix {held_out_text(record)}",
        f"why: {record.get('reason', '-')}",
    ]
    if record.get("stopped_early"):  # judged all the same, on fewer steps than its config asked
        lines.append(
            f"stopped early: {record.get('stop_reason')}; the guard judged the model as trained "
            f"so far, so '{record['status']}' is this shorter fine-tune's verdict"
        )
        lines.append(f"continue it: {_continue_command(run_dir)}")
    unclear = unclear_fix_line(record)
    if unclear is not None:  # accepted, yet the targeted fall may be noise: say so
        lines.append(unclear)
    target = record.get("fixed_target")
    if record.get("accepted") and target:
        lines.append(
            f"next: discover again on the fixed model: {_rediscovery(record.get('run'))} "
            f"--model.init_args.task.target {shlex.quote(json.dumps(target, ensure_ascii=False))}"
        )
    elif fixed_nothing(record):
        lines.append(
            "next: the original model is kept; train more (a larger --trainer.max_epochs or "
            "--model.init_args.learning_rate) and run again"
        )
    else:
        grain = one_input_note(record, "--model.init_args.clean_tolerance")
        if grain is not None:  # few held-out inputs: one is past the tolerance
            lines.append(grain)
        feedback = record.get("feedback")  # a file to open: one shell word, as the run's
        lines.append(  # it forgot the clean task: say which settings make it forget less
            "next: the original model is kept; to lose less clean accuracy, lower "
            "--model.init_args.learning_rate or raise --model.init_args.clean_share, or change "
            f"the priorities ({shell_path(feedback) if feedback else 'feedback.yaml'}), and run "
            "again"
        )
    return "\n".join(lines)


def fixed_nothing(record: dict[str, Any]) -> bool:
    """A fix rejected with clean accuracy kept: it did not lower the targeted failure rate, so
    the fine-tune trained too little to matter (the guard's verdict, ffade.mitigate.verdict)."""
    before = record.get("targeted_failure_rate_before")
    after = record.get("targeted_failure_rate_after")
    change = record.get("clean_accuracy_change")
    tolerance = record.get("clean_tolerance")
    if None in (before, after, change, tolerance):
        return False
    return after >= before and -change <= tolerance + 1e-12


def _rediscovery(run: str | None) -> str:
    """``ffade fit`` on the searched run's own config, warm-started from its Q-network when a
    DQN searched it (docs/mitigation.md#45-verify-discover-again-compare); a placeholder when
    the run is not at hand.

    A run whose ``only_passing_inputs`` chose its inputs gets them as ``task.input_ids``, as
    ``ffade loop``'s rediscovery does: its config alone would choose again, by the fixed model,
    and search other inputs than the run it is compared with."""
    config = Path(run) / "config.yaml" if run else None
    if config is None or not config.is_file():
        return "ffade fit --config DISCOVERY.yaml"
    command = f"ffade fit --config {shell_path(config)}"
    try:
        summary = read_summary(Path(run))
    except FfadeError:
        return command
    if summary.get("explorer") == "dqn":
        command += f" --model.init_args.warm_start {shell_path(run)}"
    task = summary.get("task") if isinstance(summary.get("task"), dict) else {}
    if task.get("only_passing_inputs") and isinstance(task.get("input_ids"), list):
        chosen = shlex.quote(json.dumps(task["input_ids"]))
        command += f" --model.init_args.task.input_ids {chosen}"
    return command + _new_run_dir(Path(run))


def _new_run_dir(run: Path) -> str:
    """What the rediscovery needs so that it is not refused as writing over ``run``: a config
    that pins its logger's ``version`` (each ``ffade loop`` stage's does) names ``run`` itself.

    A loop's own discovery gets the ``rediscover`` folder beside it and the loop's
    ``rediscover`` keys, as the loop's stage 4 runs it (a fine-tune stopped in a loop and
    resumed by hand then continues the loop by hand); any other pinned run a new ``version_N``.
    """
    try:
        trainer = read_yaml(run / "config.yaml", "no config.yaml").get("trainer") or {}
        version = ((trainer.get("logger") or {}).get("init_args") or {}).get("version")
    except (FfadeError, AttributeError):  # no readable config: nothing pinned to lift
        return ""
    if version is None:
        return ""
    try:  # the loop's record, when ``run`` is a loop's discovery
        loop = json.loads((run.parent / "loop.json").read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return " --trainer.logger.init_args.version null"
    keys = loop.get("rediscover") if run.name == "discover" else None
    if not isinstance(keys, dict):
        return " --trainer.logger.init_args.version null"
    words = ["--trainer.logger.init_args.version", "rediscover", *model_overrides(keys)]
    return "".join(f" {shlex.quote(word)}" for word in words)  # as ffade.loop.fit passes them
