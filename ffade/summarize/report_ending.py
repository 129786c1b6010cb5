"""The lines a finished ``ffade report`` closes with: where the report is, what it found, and
the next command to type (``ffade feedback`` with the report's own slice options), or why there
is nothing to rank (no slice, or only the neutral state: inputs that fail unchanged) and which
``ffade report`` options would find slices; with ``--compare``, how
this run's slices fared in the compared run, in the words ``ffade loop`` closes with (after
report.md's note, when the two runs searched other inputs)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ffade.shell_words import SLASHES_NOTE, shell_path, stray_backslash
from ffade.summarize.landscape import load_landscape
from ffade.summarize.regions import region_arguments
from ffade.summarize.report_notes import coverage_line, inputs_differ_note
from ffade.summarize.report_shift import compare_shift_line
from ffade.summarize.run_figures import counts_line
from ffade.summarize.start_failures import UNCHANGED_SLICE

SEARCH_PASSING = (
    "to search what the concepts break, run it again with --model.init_args.task."
    "only_passing_inputs true"
)
"""What to do where the inputs fail only unchanged: leave those inputs out of the search."""


def kept_options(
    slices: str, axes: Sequence[str] | None, out: str | Path | None, no_tensorboard: bool
) -> str:
    """The options of ``ffade report`` typed besides ``--threshold`` and ``--min-evaluations``
    (which a suggested command changes), as the user would type them again: a suggested
    ``ffade report`` without ``--out DIR`` wrote its report elsewhere, and one without
    ``--slices regions`` or ``--axes`` made another report than the one asked for."""
    words = [] if slices == "rules" else ["--slices", slices]
    words += ["--axes", *map(shlex.quote, axes)] if axes else []
    words += ["--out", shell_path(out)] if out is not None else []
    words += ["--no-tensorboard"] if no_tensorboard else []
    return "".join(f" {word}" for word in words)


def ending(report: dict[str, Any], page: Path, slices: str = "rules", kept: str = "") -> str:
    """The lines a finished ``ffade report`` prints: where the report is, what it found, and
    ``ffade feedback`` with the report's own slice options, to ask about the slices just read;
    compared, the rule shift's counts instead: what a fix changed was seen only in report.md.
    ``kept`` (:func:`kept_options`) ends a suggested ``ffade report``, so that it makes the same
    report at another threshold."""
    figures, rules = report["run_figures"], report["rules"]
    lines = [f"report: {shell_path(page)}", counts_line(figures), coverage_line(report, slices)]
    out = page.parent
    if stray_backslash(out) and out != Path(report["run"]):  # --out, typed so
        meant = Path(str(out).replace("\\", "/"))  # a legal name here: said, not refused
        lines.insert(
            1,
            f"note: the report went to one folder named {shell_path(out)} ({SLASHES_NOTE}: "
            f"--out {shell_path(meant)} for folder "
            f"{shell_path(meant.name)} in {shell_path(meant.parent)})",
        )
    if report["compare"] is not None:
        if keys := report["compare"].get("inputs_differ"):  # report.md's note: it mixes both
            note = inputs_differ_note(keys)
            lines.append(f"note: {note[0].lower()}{note[1:]}")
        lines.append(compare_shift_line(report["compare"], report["threshold"]))
        if report["compare"].get("compares") == "models":  # a rediscovery on a fixed model
            lines.append(_retest_next(report, slices))
    elif not rules["rules"] and not report["regions"]:
        lines.append(_nothing_to_rank(report, kept))
    elif unchanged := _only_unchanged(report, slices):
        lines.append(f"next: nothing to rank: {unchanged}; {SEARCH_PASSING}")
    else:
        # with no rule to ask about, `ffade feedback` on rules only says to use regions: say it here
        instead = slices == "rules" and not rules["rules"] and bool(report["regions"])
        options = region_arguments(
            report["threshold"], report["min_evaluations"], "regions" if instead else slices
        )
        why = " (no failure rule to ask about: its connected regions instead)" if instead else ""
        lines.append(f"next: ffade feedback {shell_path(report['run'])}{options}{why}")
    return "\n".join(lines)


def _only_unchanged(report: dict[str, Any], slices: str) -> str | None:
    """Why nothing is to rank where every slice ``ffade feedback`` would ask about is the neutral
    state alone (a run whose inputs fail only unchanged), else None: a fine-tune on it trains on
    the inputs unchanged, and the report named feedback the next step all the same."""
    rules = report["rules"]["rules"]
    kind = "rule" if slices == "rules" and rules else "region"  # feedback asks about these
    asked = rules if kind == "rule" else report["regions"]
    if not asked or not all(entry.get("unchanged") for entry in asked):  # older reports: no key
        return None
    one = f"every failure {kind} is" if len(asked) > 1 else f"the one failure {kind} is"
    return f"{one} {UNCHANGED_SLICE}"


def _failures_only_unchanged(report: dict[str, Any]) -> bool:
    """Whether every failure is at the neutral state: report.json's ``failures_only_at_start``
    from a start state that is neutral (a macroscopic run's always is; a microscopic run's
    ``smallest_failing_changes`` name both)."""
    if not report["rules"].get("failures_only_at_start"):
        return False
    changes = report.get("smallest_failing_changes")
    return not changes or changes["start_state"] == changes["neutral_state"]


def _nothing_to_rank(report: dict[str, Any], kept: str) -> str:
    """The closing line when ``ffade feedback`` would have no slice to ask about; a suggested
    ``ffade report`` ends with the other options typed (``kept``)."""
    if not report["run_figures"].get("failure_rate"):  # the log's: a summary may count others
        return "next: nothing to rank (no failure found)"
    if _failures_only_unchanged(report):  # a lower threshold finds the neutral state alone
        return (
            f"next: nothing to rank: a lower threshold would find only {UNCHANGED_SLICE}; "
            + SEARCH_PASSING
        )
    run, threshold = shell_path(report["run"]), report["threshold"]
    least = report["min_evaluations"]  # kept in the command: it changes the threshold alone
    most = _most_evaluations_failing(report["run"]) if least > 1 else least
    if most < least:  # no state that failed was seen that often: no threshold finds a slice
        return (
            f"next: nothing to rank: no state that failed has at least {least} evaluations (the "
            f"most is {most}), so no threshold finds a slice; lower --min-evaluations: "
            f"ffade report {run} --threshold {threshold:g}"
            + (f" --min-evaluations {most}" if most > 1 else "")
            + kept
        )
    return (
        f"next: nothing to rank: no failure slice at --threshold {threshold:g} (min evaluations "
        f"{least}); a lower threshold finds slices of rarer failures: "
        f"ffade report {run} --threshold {threshold / 2:g}"
        + (f" --min-evaluations {least}" if least > 1 else "")
        + kept
    )


def _most_evaluations_failing(run_dir: str | Path) -> int:
    """The most evaluations any state with a failure has: under ``--min-evaluations`` that many,
    no threshold makes a state fail (read again only on this rare closing line)."""
    landscape = load_landscape(run_dir)
    failing = landscape.visited_evaluations[landscape.visited_failures > 0]
    return int(failing.max()) if failing.size else 0


def _retest_next(report: dict[str, Any], slices: str) -> str:
    """After a comparison of two models (a rediscovery on a fine-tune's fixed model), the
    measure of the fix: its rule shift read "5 still failing, 0 fixed" on the digits quickstart
    while the fix took the targeted failure rate from 47.8% to 19.3%, since the rediscovery
    seeks out what still fails; ``ffade export`` then ``ffade check`` (its own ``next:`` line)
    test both models on the same sampled pairs, as ``ffade loop``'s retest does. A run's
    feedback.yaml chooses the slices export makes cases of, so its options are not repeated."""
    run = Path(report["run"])
    options = ""
    if not (run / "feedback.yaml").is_file():
        options = region_arguments(report["threshold"], report["min_evaluations"], slices)
    return (
        f"next: ffade export {shell_path(run)} --to {shell_path(run / 'suite.yaml')}{options} "
        "(the same sampled pairs for both models: a rediscovery seeks out what still fails, so "
        "its rates do not measure the fix)"
    )
