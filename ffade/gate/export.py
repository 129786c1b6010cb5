"""``ffade export RUN_DIR --to suite.yaml``: a discovery run's failures as a regression suite.

Each failure group of the run becomes a case: a seeded uniform sample of (input, state) pairs
over the group's concept states, from the **discovery** split (the inputs the run searched) and
the **heldout** split (inputs no search or fine-tune ever saw), measured on the run's own target
here, with a pass threshold that depends on the case's goal:

- ``fix``: the model must fail there clearly less often than the model the run searched: at most
  the lower end of the 95% Wilson interval of the measured failure rate. The original model fails
  such a case; a real fix passes it.
- ``hold``: a slice a person chose to leave alone (priority ``skip`` in the run's feedback.yaml):
  the model must not fail there clearly more often: at most the interval's upper end.

Without a feedback.yaml every slice is a ``fix`` case. ``--max-failure-rate`` sets one threshold
for every case instead; the file is meant to be edited.

Failure groups (:func:`failure_groups`) are the run's failure slices as ``--slices`` says, the
same as ``ffade report`` and ``ffade feedback``: rules by default, or connected regions. With a
feedback.yaml they are the slices the person judged, so the file must describe the same kind of
slices as ``--slices``: a mismatch is an error, never a silent switch to the other kind.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ffade.concepts import ConceptSpace
from ffade.disjoint import check_searched
from ffade.environment import package_versions
from ffade.errors import FfadeError
from ffade.evaluation_log import log_counts, log_problems, say_run_state
from ffade.feedback.from_file import nothing_to_review, regions_instead
from ffade.feedback.ownership import check_feedback_ranks_run
from ffade.feedback.priorities import FEEDBACK_FILE, load_regions, read_feedback
from ffade.gate.evaluate import evaluate_cases, split_tasks, target_setup_errors
from ffade.gate.export_next import export_next
from ffade.gate.heldout import heldout_input_ids
from ffade.gate.options import DEFAULT_PAIRS
from ffade.gate.suite import (
    SUITE_SUFFIXES,
    Case,
    Suite,
    is_suite_file,
    write_suite,
)
from ffade.gate.suite_values import check_task, with_args
from ffade.records import SUMMARY_FILE, check_run_dir, read_summary
from ffade.said_once import say_notes
from ffade.shell_words import shell_path
from ffade.summarize.landscape import check_log_fits, wilson_interval
from ffade.summarize.regions import (
    DEFAULT_MIN_EVALUATIONS,
    DEFAULT_THRESHOLD,
    SLICE_KINDS,
    region_arguments,
)
from ffade.writable import removed_if_refused, writable_file, written


@dataclass(frozen=True)
class FailureGroup:
    """A named set of concept states where the target fails: what a case is made from.

    Attributes:
        name: stable name: a rule's id (``S-...``) or a region's (``R-...``).
        conditions: the group in words.
        states: grid indices of its states (m, k).
        goal: "fix" (must fail clearly less than now) or "hold" (must not fail clearly more).
    """

    name: str
    conditions: str
    states: np.ndarray
    goal: str = "fix"


@dataclass
class FailureSlices:
    """The slices a suite guards, and the failure criterion that found them."""

    groups: list[FailureGroup]
    threshold: float
    min_evaluations: int


def failure_groups(
    run_dir: Path,
    threshold: float | None = None,
    min_evaluations: int | None = None,
    feedback: Path | None = None,
    slices: str = "rules",
) -> FailureSlices:
    """The run's failure slices in rank order (rules or regions, as ``slices`` says).

    From the feedback file when there is one (``feedback``, else RUN_DIR/feedback.yaml): its
    slices, with skipped ones as ``hold`` cases, found at the file's threshold and minimum
    evaluations. Otherwise found here at ``threshold`` (default 0.5) and ``min_evaluations``
    (default 1), all ``fix`` cases.

    Raises:
        FfadeError: ``feedback`` was given but is not a file, or the feedback file holds the
            other kind of slices than ``slices``, or was found at another threshold or minimum
            than one given (its answers would not be the slices asked for), or answers none.
    """
    if feedback is not None and not feedback.is_file():
        # a directory (or /dev/null) was "not found", where the path is there
        found = "is a directory; give a YAML file" if feedback.is_dir() else "not found"
        if feedback.exists() and not feedback.is_dir():
            found = "is no regular file (a device or a pipe); give a YAML file"
        raise FfadeError(f"--feedback: feedback file {shell_path(feedback)} {found}")
    feedback = feedback or run_dir / FEEDBACK_FILE
    if not feedback.is_file():
        threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        min_evaluations = DEFAULT_MIN_EVALUATIONS if min_evaluations is None else min_evaluations
        _, found = load_regions(run_dir, threshold, min_evaluations, slices)
        groups = [FailureGroup(r.id, r.conditions, r.states) for r in found]
        return FailureSlices(groups, threshold, min_evaluations)
    answered = read_feedback(feedback, run_dir)
    check_feedback_ranks_run(
        feedback,
        answered,
        run_dir,
        option="--feedback",
        run_name=str(run_dir),
        other_fix="export that run",
    )
    check_log_fits(run_dir)  # as report and feedback refuse it, which load the landscape
    run = shell_path(run_dir)  # in the commands below, as typed into a shell
    if answered.slices != slices:
        raise FfadeError(
            f"{shell_path(feedback)} holds priorities for {answered.slices}, not {slices}: pass "
            f"--slices {answered.slices} to export them, or make one for {slices} (`ffade "
            f"feedback {run} --slices {slices} --out FILE`) and pass --feedback FILE"
        )
    for option, given, used in (
        ("--threshold", threshold, answered.threshold),
        ("--min-evaluations", min_evaluations, answered.min_evaluations),
    ):
        if given is not None and given != used:
            raise FfadeError(
                f"{option} {given}: {shell_path(feedback)} holds slices found at {option} {used}; "
                f"leave {option} out to export them, or make a feedback file at {given} (`ffade "
                f"feedback {run} {option} {given} --out FILE`) and pass --feedback FILE"
            )
    if not answered.regions:  # not "the run has no failure rule": the file answers none
        unanswered(run_dir, feedback, answered.threshold, answered.min_evaluations, slices)
        raise FfadeError(
            f"{feedback} gives none of the run's {slices} a priority: nothing to guard; answer "
            f"them with `ffade feedback {run}`, or pass --feedback FILE"
        )
    groups = [
        FailureGroup(
            r.id,
            r.conditions,
            np.asarray(r.states, np.int64),
            "hold" if r.priority == "skip" else "fix",
        )
        for r in answered.regions
    ]
    return FailureSlices(groups, answered.threshold, answered.min_evaluations)


def unanswered(
    run_dir: Path, feedback: Path, threshold: float, min_evaluations: int, slices: str
) -> None:
    """Refuse a feedback file with no priorities because the run had nothing to review, saying
    why as ``ffade feedback`` said it when it saved the file ("nothing to review: no failure was
    found"); "gives none of the run's rules a priority" sent the user to answer rules there are
    none of. Returns when the run has slices (the file just answers none of them)."""
    landscape, found = load_regions(run_dir, threshold, min_evaluations, slices)
    if found:
        return
    # the command that makes this very file again, with regions: at the feedback's threshold and
    # minimum, and --out where it is not the run's own (without them it wrote another file)
    options = region_arguments(threshold, min_evaluations, "regions")
    if feedback != run_dir / FEEDBACK_FILE:
        options += f" --out {shell_path(feedback)}"
    how = f"run `ffade feedback {shell_path(run_dir)}{options}`"
    settings = f"the feedback's threshold {threshold:g} and min evaluations {min_evaluations}"
    why = nothing_to_review(run_dir, threshold, min_evaluations, slices, how, landscape, settings)
    raise FfadeError(
        f"{shell_path(feedback)} holds no priorities, as the run had nothing to review: {why}; "
        "nothing to guard"
    )


def sample_pairs(
    input_ids: list[int], num_states: int, count: int, rng: np.random.Generator
) -> list[list[int]]:
    """``count`` distinct (input id, state index) rows, uniform over all of them, sorted."""
    total = len(input_ids) * num_states
    flat = np.sort(rng.choice(total, min(count, total), replace=False))
    rows = zip(flat // num_states, flat % num_states, strict=True)
    return [[int(input_ids[i]), int(s)] for i, s in rows]


def make_cases(
    groups: list[FailureGroup],
    input_ids: dict[str, list[int]],
    space: ConceptSpace,
    pairs: int,
    seed: int,
) -> list[Case]:
    """One case per group, its pairs drawn with a generator seeded by the suite seed and rank,
    from ``input_ids`` of each split."""
    cases = []
    for rank, group in enumerate(groups):
        rng = np.random.default_rng([seed, rank])
        drawn = {
            split: sample_pairs(ids, len(group.states), pairs, rng)
            for split, ids in input_ids.items()
        }
        states = [space.values(state) for state in group.states]
        cases.append(Case(group.name, group.conditions, states, drawn, 1.0, group.goal))
    return cases


def default_threshold(failures: int, pairs: int, goal: str) -> float:
    """A fix case's interval's lower end rounded down, a hold case's upper end rounded up.

    Rounded to a tenth of a percent away from the measured rate, so the model the run searched
    fails every fix case with a failure and passes every hold case.
    """
    low, high = wilson_interval(failures, pairs)
    if goal == "fix":
        return float(np.floor(float(low) * 1000) / 1000)
    return float(np.ceil(float(high) * 1000) / 1000)


def export_suite(
    run_dir: str | Path,
    to: str | Path,
    threshold: float | None = None,
    min_evaluations: int | None = None,
    pairs_per_split: int = DEFAULT_PAIRS,
    seed: int = 0,
    max_failure_rate: float | None = None,
    batch_size: int = 256,
    feedback: str | Path | None = None,
    slices: str = "rules",
) -> Suite:
    """Build, measure and write the suite; see the module docstring.

    Raises:
        FfadeError: the run's summary.json has no task, the run has no failure slice (a suite
            would guard nothing), the pair count, seed or threshold is out of range, ``to`` cannot
            be written or is not named .yaml or .yml, or the feedback file is missing or holds
            other slices (:func:`failure_groups`).
    """
    run_dir = Path(run_dir)
    if pairs_per_split < 1:
        raise FfadeError(f"--pairs must be at least 1, got {pairs_per_split}")
    if seed < 0:  # numpy's generators take no negative seed
        raise FfadeError(f"--seed must be at least 0, got {seed}")
    if Path(to).is_file() and not is_suite_file(Path(to)):  # say, the run's own summary.json
        raise FfadeError(
            f"--to {to}: a file that is no ffade suite is there; export overwrites only a suite "
            "it wrote: give another file name"
        )
    if not Path(to).is_dir() and Path(to).suffix.lower() not in SUITE_SUFFIXES:
        raise FfadeError(  # s.json would hold YAML under a JSON name
            f"--to {to}: a suite is a YAML file (commented, meant to be edited); name it "
            f"{' or '.join(SUITE_SUFFIXES)}"
        )
    writable_file(to, "--to")  # before the pairs are evaluated, not after
    if max_failure_rate is not None and not 0 <= max_failure_rate <= 1:
        raise FfadeError(f"--max-failure-rate must be in [0, 1], got {max_failure_rate}")
    if slices not in SLICE_KINDS:
        raise FfadeError(f"--slices must be one of {', '.join(SLICE_KINDS)}, got {slices!r}")
    summary = read_summary(run_dir)
    task = summary.get("task")
    if not isinstance(task, dict):
        raise FfadeError(
            f"{run_dir / SUMMARY_FILE}: key 'task' is missing (or not a mapping); it names the "
            "task a suite rebuilds: export a run written by `ffade fit`"
        )
    found = failure_groups(  # a fine-tune's run directory is said as what it is here
        run_dir, threshold, min_evaluations, None if feedback is None else Path(feedback), slices
    )
    check_task(task, f"{run_dir / SUMMARY_FILE}: task")  # what check will read, said now
    task = with_args(task)  # a plugin without args ran with its defaults: write them as {}
    say_run_state(run_dir, summary, log_problems(run_dir, summary, "the suite counts the log's"))
    if not found.groups:
        raise FfadeError(_nothing_to_guard(run_dir, found, slices))
    with target_setup_errors():
        tasks = split_tasks(task)
        digest = summary.get("inputs_digest")  # the pairs sampled are the ones searched
        check_searched(tasks["discovery"].inputs, digest, task["dataset"]["name"])
        say_notes(tasks["discovery"].notes)  # the run's notes hold for the pairs measured here
        input_ids = {split: list(range(len(t.inputs))) for split, t in tasks.items()}
        heldout = heldout_input_ids(tasks, task, batch_size)  # none left is said in a note
        if "heldout" in tasks:  # inputs no search and no fine-tune saw, whatever the dataset
            input_ids["heldout"] = heldout
        space = tasks["discovery"].space
        cases = make_cases(found.groups, input_ids, space, pairs_per_split, seed)
        results = evaluate_cases(cases, tasks, batch_size)
    for result in results:
        case = result.case
        case.measured = result.measured()
        case.max_failure_rate = (
            default_threshold(result.failures, result.pairs, case.goal)
            if max_failure_rate is None
            else max_failure_rate + 0.0  # --max-failure-rate -0 is written 0.0, not -0.0
        )
    source: dict[str, Any] = {
        "run": str(run_dir.resolve()),  # absolute, as the task's paths: the suite moves to CI
        "explorer": summary.get("explorer"),
        "seed": summary.get("seed"),
        "threshold": found.threshold,
        "min_evaluations": found.min_evaluations,
        "slices": slices,
        "pairs_per_split": pairs_per_split,
        # the searched inputs the discovery pairs index: check refuses a dataset changed since
        "inputs_digest": summary.get("inputs_digest"),
        # what measured these rates: check says when a plugin or torch has changed since
        "packages": package_versions(),
    }
    suite = Suite(task=task, cases=cases, source=source, seed=seed)
    with written(to, "--to"):  # /proc passes the checks before the work, then refuses
        write_suite(suite, to)
    return suite


def _nothing_to_guard(run_dir: Path, found: FailureSlices, slices: str) -> str:
    """Why a run without slices makes no suite: at which criterion, and what would find some.

    A run whose rules need more evidence than it has, but which has failure regions (a
    microscopic run, or ``--threshold 1``), is told to export those, as ``ffade feedback`` says.
    A run with no failure at all (none found, or no evaluation made: a ``stop_when`` that held at
    once) is told so: no lower ``--threshold`` finds a slice there.
    """
    landscape, _ = load_regions(run_dir, found.threshold, found.min_evaluations, slices)
    if not landscape.visited_failures.sum():
        counts = log_counts(run_dir, [], distinct=False)  # invalid ones are in no landscape
        made, invalid = counts["evaluations"], counts["invalid"]
        if not made:
            searched = "it made no evaluation"
        elif invalid == made:
            searched = (
                f"all {made} of its evaluations were invalid (a NaN score: neither a pass nor "
                "a failure)"
            )
        else:
            searched = f"none of its {made} evaluations failed"
            searched += f" ({invalid} invalid)" if invalid else ""
        return (
            f"{shell_path(run_dir)} has no failure to guard: {searched}; search longer (a larger "
            "budget, another seed) or export a run that found failures"
        )
    if slices == "rules":
        hint = regions_instead(run_dir, found.threshold, found.min_evaluations, to="export")
        if hint:
            return f"{shell_path(run_dir)}: {hint}"
    kind = "rule" if slices == "rules" else "region"
    return (
        f"{shell_path(run_dir)} has no failure {kind} at --threshold {found.threshold:g} and "
        f"--min-evaluations {found.min_evaluations}: nothing to guard; a lower --threshold or "
        "--min-evaluations finds slices of rarer or less evaluated failures"
    )


def main(args: argparse.Namespace) -> int:
    """The ``ffade export`` command, on what :func:`ffade.gate.options.export_parser` read."""
    check_run_dir(args.run_dir)
    with removed_if_refused(Path(args.to).parent):
        suite = export_suite(
            args.run_dir,
            args.to,
            args.threshold,
            args.min_evaluations,
            args.pairs,
            args.seed,
            args.max_failure_rate,
            args.batch_size,
            args.feedback,
            args.slices,
        )
    pairs = sum(case.measured["pairs"] for case in suite.cases)
    cases = f"{len(suite.cases)} case{'' if len(suite.cases) == 1 else 's'}"
    to = args.to.rstrip("/") or args.to  # as typed (./-s.yaml), but out.yaml/ is out.yaml
    print(f"{cases}, {pairs} pairs -> {shell_path(to)}", file=sys.stdout)
    print(export_next(shell_path(to), suite.cases, args.run_dir), file=sys.stdout)
    return 0
