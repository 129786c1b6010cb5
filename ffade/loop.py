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
5. ``report/``: ``ffade report discover --compare rediscover``: regions fixed, still failing, new;
   and ``report/suite.yaml``: the judged rules as a regression suite (``ffade export``), each
   rule's seeded sample of pairs measured on the original model and on the fix (``ffade
   check``), so loop.json's ``retest`` gives every rule's failure rate before and after on the
   very same pairs. Rediscovery seeks out what still fails, so its rates cannot say that.

The loop config::

    discover: configs/quickstart.yaml        # an `ffade fit` config for an explorer
    feedback: configs/feedback_digits.yaml   # a priorities file (see `ffade feedback --from`)
    mitigate: configs/mitigate_digits.yaml   # an `ffade fit` config for a fine-tuner
    rediscover: {start_e: 0.5}               # optional: explorer init_args for step 4
    out: runs/loop_digits                    # optional (default runs/loop)
    threshold: 0.5                           # optional: as in `ffade report`
    min_evaluations: 1                       # optional: as in `ffade report`

Every stage runs in this process (LightningCLI, as ``ffade fit`` does). Every file is read and
both ``ffade fit`` configs are validated before the first stage runs, so a mistake in any of them
stops the loop at once, with one line naming the key and the file.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ffade.errors import FfadeError, OneLineParser, writable_dir
from ffade.feedback.from_file import feedback_from_file
from ffade.lightning_run import ConfigError, run_lightning
from ffade.mitigate.base import MITIGATION_FILE
from ffade.records import read_summary, write_json_atomic
from ffade.yamlfile import read_yaml

STAGES = ("discover", "mitigate", "rediscover", "report")


@dataclass
class LoopConfig:
    """The loop config's keys; see the module docstring."""

    discover: Path
    feedback: Path
    mitigate: Path
    rediscover: dict[str, Any] = field(default_factory=dict)
    out: Path = Path("runs/loop")
    threshold: float = 0.5
    min_evaluations: int = 1


def read_loop_config(path: str | Path) -> LoopConfig:
    """Load and check a loop config before anything runs: every file named must exist."""
    path = Path(path)
    data = read_yaml(path, f"--config: loop config '{path}' not found")
    allowed = list(LoopConfig.__dataclass_fields__)
    if not isinstance(data, dict):
        raise FfadeError(f"{path}: expected a mapping with keys {', '.join(allowed)}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise FfadeError(f"{path}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
    for key in ("discover", "feedback", "mitigate"):
        if not data.get(key):
            raise FfadeError(f"{path}: key {key!r} is missing; it names a file")
        read_yaml(Path(data[key]), f"{path}: {key} file '{data[key]}' not found")
    rediscover = data.get("rediscover") or {}
    if not isinstance(rediscover, dict):
        raise FfadeError(f"{path}: 'rediscover' must map explorer arguments to values")
    return LoopConfig(
        discover=Path(data["discover"]),
        feedback=Path(data["feedback"]),
        mitigate=Path(data["mitigate"]),
        rediscover=rediscover,
        out=Path(data.get("out") or "runs/loop"),
        threshold=_threshold(data.get("threshold", 0.5), path),
        min_evaluations=_min_evaluations(data.get("min_evaluations", 1), path),
    )


def _threshold(value: Any, path: Path) -> float:
    """A failure rate in (0, 1], as ``ffade report --threshold`` takes."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise FfadeError(f"{path}: threshold {value!r} must be a failure rate in (0, 1]")
    return float(value)


def _min_evaluations(value: Any, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FfadeError(f"{path}: min_evaluations {value!r} must be a whole number from 1")
    return value


def next_loop_dir(out: Path) -> Path:
    """``out/version_N`` with the first N not taken, so a loop never appends to an older one."""
    n = 0
    while (out / f"version_{n}").exists():
        n += 1
    return out / f"version_{n}"


def fit(
    config: Path, run_dir: Path, overrides: dict[str, Any], check: bool = False, where: str = ""
) -> Path:
    """``ffade fit --config config`` in this process, logging to ``run_dir``; returns it.

    ``check``: only parse and validate the config as ``ffade fit`` would (``--print_config``,
    output discarded), so a mistake in a later stage's file stops the loop before the first
    stage spends minutes. ``where``: what a config error names (default: ``config``).
    """
    logger = {
        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
        "init_args": {"save_dir": str(run_dir.parent), "name": "", "version": run_dir.name},
    }
    args = ["fit", "--config", str(config), "--trainer.logger", json.dumps(logger)]
    for key, value in overrides.items():
        text = value if isinstance(value, str) else json.dumps(value)  # str as typed
        args += [f"--model.init_args.{key}", text]
    try:
        if check:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                run_lightning([*args, "--print_config"])
        else:
            run_lightning(args)
    except ConfigError as exc:  # say which of the loop's configs it was
        raise FfadeError(f"{where or config}: {exc}") from exc
    return run_dir


def takes_warm_start(config: Path) -> bool:
    """Whether the explorer a discovery config names accepts ``warm_start``."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    class_path = ((data.get("model") or {}).get("class_path")) or ""
    module, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module or "ffade.explore"), name)
    except (ImportError, AttributeError, ValueError):
        return False
    return "warm_start" in inspect.signature(cls.__init__).parameters


def run_loop(config: LoopConfig, say=print) -> dict[str, Any]:
    """Run the five stages; returns what loop.json records (paths, numbers, verdict).

    loop.json is rewritten after every stage, so an interrupted loop still says how far it got.
    """
    started = time.monotonic()
    placeholders = {"run": "DISCOVER_RUN", "feedback": "DISCOVER_RUN/feedback.yaml"}
    with_rediscover = f"{config.discover} with the loop's rediscover {config.rediscover}"
    fit(config.discover, config.out / "check", config.rediscover, True, with_rediscover)
    fit(config.mitigate, config.out / "check", placeholders, check=True)
    loop_dir = next_loop_dir(config.out)
    loop_dir.mkdir(parents=True)
    record: dict[str, Any] = {"loop_dir": str(loop_dir), "config": _plain(config)}

    def save(status: str) -> None:
        record["status"] = status
        record["wall_seconds"] = round(time.monotonic() - started, 1)
        write_json_atomic(loop_dir / "loop.json", record)

    first = _discover(config, loop_dir, say)
    record["discover"] = str(first)
    save("discovered")

    record["feedback"] = str(_prioritize(config, first, say))
    save("prioritized")

    fixed, mitigation = _mitigate(config, loop_dir, first, say)
    record["mitigate"] = str(fixed)
    record["mitigation"] = {k: v for k, v in mitigation.items() if k not in ("guard", "training")}
    say(f"      {_numbers(mitigation)}")
    if not mitigation["accepted"]:
        save("rejected")
        say(f"      fix rejected: {mitigation['reason']}; stopping before rediscovery")
        return record
    save("mitigated")

    second = _rediscover(config, loop_dir, first, mitigation["fixed_target"], say)
    record["rediscover"] = str(second)
    save("rediscovered")

    shift = _report(config, loop_dir, first, second, say)
    record["report"] = str(loop_dir / "report" / "report.html")
    record["region_shift"] = {status: len(entries) for status, entries in shift.items()}
    record["retest"] = _retest(loop_dir, first, fixed, say)
    save("finished")
    return record


def _discover(config: LoopConfig, loop_dir: Path, say) -> Path:
    """Stage 1: the discovery run on the original model."""
    say(f"[1/5] discover: {config.discover} -> {loop_dir / 'discover'}")
    first = fit(config.discover, loop_dir / "discover", {})
    _check_finished(first, "discover")
    return first


def _prioritize(config: LoopConfig, first: Path, say) -> Path:
    """Stage 2: the priorities file applied to the first run's regions; returns feedback.yaml."""
    say(f"[2/5] feedback: {config.feedback} -> {first / 'feedback.yaml'}")
    feedback = feedback_from_file(
        first, config.feedback, None, config.threshold, config.min_evaluations
    )
    counts = ", ".join(f"{n} {p}" for p, n in feedback.counts().items() if n)
    say(f"      {len(feedback.regions)} {feedback.slices}: {counts}")  # rules by default
    return first / "feedback.yaml"


def _mitigate(config: LoopConfig, loop_dir: Path, first: Path, say) -> tuple[Path, dict[str, Any]]:
    """Stage 3: the fine-tuner on the first run and its feedback; returns its run and verdict.

    Raises:
        FfadeError: the fine-tuner wrote no mitigation.json, so there is no verdict to act on.
    """
    say(f"[3/5] mitigate: {config.mitigate} -> {loop_dir / 'mitigate'}")
    fixed = fit(
        config.mitigate,
        loop_dir / "mitigate",
        {"run": str(first), "feedback": str(first / "feedback.yaml")},
    )
    mitigation_path = fixed / MITIGATION_FILE
    if not mitigation_path.is_file():
        raise FfadeError(f"loop step mitigate: {mitigation_path} was not written")
    return fixed, json.loads(mitigation_path.read_text(encoding="utf-8"))


def _rediscover(
    config: LoopConfig, loop_dir: Path, first: Path, fixed_target: dict[str, Any], say
) -> Path:
    """Stage 4: discovery again, on the task the first run searched with the fixed target.

    Warm-started from the first run when the explorer takes ``warm_start``, so it begins from
    what the first explorer learned instead of from scratch.
    """
    say(f"[4/5] rediscover on the fixed model -> {loop_dir / 'rediscover'}")
    overrides = dict(config.rediscover)
    task = read_summary(first)["task"]  # the task discovery ran, as feedback and mitigate read it
    overrides["task"] = dict(task, target=fixed_target)
    if takes_warm_start(config.discover):
        overrides["warm_start"] = str(first)
    else:
        say("      (the explorer takes no warm_start; rediscovery starts from scratch)")
    second = fit(config.discover, loop_dir / "rediscover", overrides)
    _check_finished(second, "rediscover")
    return second


def _report(
    config: LoopConfig, loop_dir: Path, first: Path, second: Path, say
) -> dict[str, list[dict[str, Any]]]:
    """Stage 5: ``ffade report first --compare second``; returns how the regions shifted."""
    say(f"[5/5] report: {first} --compare {second} -> {loop_dir / 'report'}")
    from ffade.summarize.report import build_report

    report = build_report(
        first, second, loop_dir / "report", config.threshold, config.min_evaluations
    )
    return report["compare"]["region_shift"]


def _retest(loop_dir: Path, first: Path, fixed: Path, say) -> dict[str, Any]:
    """Stage 5, unbiased: the judged rules' seeded pairs on the original model and on the fix.

    ``ffade export`` with the loop's feedback.yaml (prioritized rules are ``fix`` cases, skipped
    ones ``hold``), then ``ffade check --target`` the fine-tuner's run on the same pairs, from
    the discovery and held-out splits alike. The suite stays in ``report/`` for a CI gate.
    """
    from ffade.feedback.priorities import FEEDBACK_FILE, read_feedback
    from ffade.gate.check import run_check
    from ffade.gate.export import export_suite

    suite_path = loop_dir / "report" / "suite.yaml"
    feedback = first / FEEDBACK_FILE
    slices = read_feedback(feedback).slices
    say(f"      retest: the judged {slices}' sampled pairs, original vs fixed -> {suite_path}")
    suite = export_suite(first, suite_path, feedback=feedback, slices=slices)
    cases = []
    for case, after in zip(suite.cases, run_check(suite_path, target=str(fixed)), strict=True):
        cases.append(
            {
                "name": case.name,
                "conditions": case.conditions,
                "goal": case.goal,
                "pairs": after.pairs,
                "failure_rate_before": case.measured["failure_rate"],
                "failure_rate_after": round(after.failure_rate, 4),
                "max_failure_rate": case.max_failure_rate,
                "passed": after.passed,
            }
        )
    return {
        "suite": str(suite_path),
        "slices": slices,
        "passed": sum(c["passed"] for c in cases),
        "cases": cases,
    }


def _retest_line(case: dict[str, Any]) -> str:
    verdict = "pass" if case["passed"] else "FAIL"
    return (
        f"{case['goal']} {case['conditions']}: {case['failure_rate_before']:.1%} -> "
        f"{case['failure_rate_after']:.1%} of {case['pairs']} pairs ({verdict})"
    )


def _check_finished(run_dir: Path, stage: str) -> None:
    status = read_summary(run_dir).get("status")
    if status != "finished":
        raise FfadeError(f"loop step {stage}: {run_dir} ended with status '{status}'")


def _numbers(m: dict[str, Any]) -> str:
    from ffade.run_endings import held_out_text

    return held_out_text(m)


def _plain(config: LoopConfig) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in vars(config).items()}


def main(argv: list[str]) -> int:
    """The ``ffade loop`` command; returns 0 when the fix is accepted and verified, else 1."""
    parser = OneLineParser(
        prog="ffade loop",
        description="Discover failures, apply priorities from a file, fine-tune, discover again "
        "on the fixed model and report what shifted, in one command.",
    )
    parser.add_argument("--config", required=True, metavar="LOOP.yaml", help="the loop config")
    parser.add_argument("--out", metavar="DIR", help="where loops go (overrides the config's out)")
    args = parser.parse_args(argv)
    config = read_loop_config(args.config)
    if args.out:
        config.out = Path(args.out)
    writable_dir(config.out, "--out" if args.out else f"{args.config}: out")
    record = run_loop(config)
    print()
    print(f"loop {record['status']} in {record['wall_seconds']:.0f} s: {record['loop_dir']}")
    for stage in ("discover", "feedback", "mitigate", "rediscover", "report"):
        if stage in record:
            print(f"  {stage:<10} {record[stage]}")
    if "region_shift" in record:
        shift = record["region_shift"]
        print(
            "  regions: "
            + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in shift.items())
        )
    if "retest" in record:
        retest = record["retest"]
        passed, total = retest["passed"], len(retest["cases"])
        print(f"  retest: {passed} of {total} {retest['slices']} pass on the same sampled pairs")
        for case in retest["cases"]:
            print(f"    {_retest_line(case)}")
    return 0 if record["status"] == "finished" else 1
