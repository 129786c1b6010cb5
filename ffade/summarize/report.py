"""``ffade report RUN_DIR [--compare OTHER_RUN_DIR] [--out DIR]``: what a person reads after a run.

Writes three files with the same numbers: ``report.md`` (for a repository or a PR),
``report.html`` (one self-contained file: images inlined as data URIs, no external CSS or JS, so
it opens offline and can be mailed), and ``report.json`` (for tools and CI). They hold the run's
figures from summary.json, the failure regions ranked by severity, the pictures of the landscape,
the worst failing examples when the run saved some, and for microscopic runs the smallest failing
change. With ``--compare`` they add the Wasserstein distance between the two landscapes and which
regions were fixed, still fail, or are new. The pictures are also logged to the run's TensorBoard.

This module assembles the report's data (the dict report.json holds) and writes the files;
:mod:`.report_render` turns that dict into Markdown and HTML. Run ``ffade report --help`` for the
options; docs/report.md says how to read a report.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError, OneLineParser, user_path
from ffade.evaluation_log import is_large_log, report_summary, say_run_state
from ffade.folder_options import REPORT_OUT, folder_path
from ffade.records import check_run_dir, write_text_atomic
from ffade.shell_words import shell_path
from ffade.shown_numbers import share
from ffade.summarize.comparison import (
    held_out_numbers,
    inputs_differ,
    mitigation_file,
    what_differs,
)
from ffade.summarize.example_listing import report_examples
from ffade.summarize.landscape import Landscape, load_landscape
from ffade.summarize.meaning import meaning_changing, split_by_meaning
from ffade.summarize.plots import (
    default_axes,
    landscape_figures,
    plot_landscape,
    policy_top,
    save_figure,
)
from ffade.summarize.region_shift import compare_regions
from ffade.summarize.regions import (
    Region,
    add_region_arguments,
    find_regions,
    smallest_failing_changes,
)
from ffade.summarize.report_ending import ending, kept_options
from ffade.summarize.report_events import log_images
from ffade.summarize.report_figures import FIGURES, report_pictures
from ffade.summarize.report_json import report_json_text
from ffade.summarize.report_render import html_page, markdown, relative_path
from ffade.summarize.report_steps import ReportSteps
from ffade.summarize.rules import find_rules
from ffade.summarize.run_figures import explorer_smallest, run_figures, start_state
from ffade.summarize.snap import Kind, missing_mass
from ffade.summarize.start_failures import failures_only_at_start
from ffade.summarize.transport import MAX_SUPPORT, distribution, transport_cost
from ffade.writable import removed_if_refused, why_not, writable_dir, writable_file, written

REPORT_FILES = ("report.json", "report.md", "report.html")
"""The files a report writes (beside the pictures), each through ``NAME.tmp``."""


def build_report(
    run_dir: str | Path,
    compare: str | Path | None = None,
    out: str | Path | None = None,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    axes: list[str] | None = None,
    tensorboard: bool = True,
    mitigation: str | Path | None = None,
    slices: str = "rules",
    retest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write report.md, report.html, report.json and the pictures; return the report's data.

    Args:
        run_dir: the run to report on.
        compare: a second run over the same concept grid (e.g. after mitigation).
        out: where to write (default: the run directory).
        threshold: failure rate at which a state fails (see :func:`find_regions`).
        min_evaluations: evaluations a state needs before it can fail.
        axes: concepts to draw (up to three); default those that change the failure rate most.
        tensorboard: also log the pictures to the run's TensorBoard files.
        mitigation: the fine-tune's mitigation.json whose held-out numbers lead a comparison
            (default: the one beside the compared run's fixed weights, if any).
        slices: what a comparison follows into the other run: "rules" or (connected) "regions".
        retest: ``ffade loop``'s retest (loop.json's ``retest``: the judged rules on the same
            sampled pairs before and after the fix), shown as its own section and kept in
            report.json; None (``ffade report``) adds neither.

    Raises:
        FfadeError: a run directory is missing or malformed, or the two grids differ.
    """
    landscape = load_landscape(run_dir)  # before Path(): './-runs' is named as typed
    run_dir = Path(run_dir)
    if axes is not None:  # before regions, rules and the other run are read or searched
        try:
            landscape.marginal(axes)
        except FfadeError as error:
            hint = ""  # `--axes a,b`: labels are separate words, so a label may hold a comma
            if any("," in a and a not in landscape.labels for a in axes):
                words = " ".join(shlex.quote(label) for label in landscape.labels[:2])
                hint = (
                    f"; labels are separate words, one with a space or comma quoted: --axes {words}"
                )
            raise FfadeError(f"--axes: {error}{hint}") from None
    _check_tensorboard_writable(run_dir, out, tensorboard)
    out, option = (out, "--out") if out is not None else (run_dir, "")  # read-only run: say --out
    elsewhere = "; write the report elsewhere with --out DIR" + " --no-tensorboard" * tensorboard
    out = writable_dir(out, option, "" if option else elsewhere)
    for name in REPORT_FILES:  # a folder at NAME.tmp failed only after every picture was drawn
        writable_file(out / name, option)
    for name in FIGURES:  # figures/NAME.png.tmp too; no figures/ yet: nothing in the way
        if (out / "figures").exists():
            writable_file(out / "figures" / f"{name}.png", option)
    unwritten = {} if option else {"hint": elsewhere}  # a write that fails anyway: what to do
    summary, problems = report_summary(run_dir)  # read once: counts as the log holds them
    large = is_large_log(run_dir) or (compare is not None and is_large_log(compare))
    with ReportSteps(4 + bool(tensorboard) + (compare is not None), shown=large) as steps:
        kept, apart = split_by_meaning(landscape, meaning_changing(summary))  # see .meaning
        steps.step("rules and regions")
        regions = find_regions(kept, threshold, min_evaluations)
        rules = find_rules(kept, threshold, min_evaluations)
        other = None if compare is None else _load_comparable(landscape, run_dir, Path(compare))
        # the compared run's damaged lines are said too: its log is what the shift rests on
        other_summary, more = (None, []) if compare is None else report_summary(compare)
        # a --mitigation that is no fine-tune's verdict is refused before any picture is drawn
        held_out = None if other_summary is None else held_out_numbers(other_summary, mitigation)
        # one choice of axes for both runs: pictures pooled over different concepts do not compare
        axes = default_axes(landscape) if axes is None else axes
        report = assemble_report(run_dir, summary, landscape, regions, threshold, min_evaluations)
        report["log_problems"] = problems + more  # each names its run's file
        report["rules"] = rules.to_dict(landscape)
        report["meaning_changing"] = apart
        # states with a failure only under a meaning-changing edit: in fit's count, in no rule
        apart_states = int((landscape.visited_failures > 0).sum())
        apart_states -= int((kept.visited_failures > 0).sum())
        report["rules"]["failing_concept_states_apart"] = apart_states
        start = start_state(summary, landscape)  # then why no rule is found: not thin spread
        report["rules"]["failures_only_at_start"] = failures_only_at_start(kept, start)
        if compare is not None and other is not None and other_summary is not None:
            steps.step("comparison, Wasserstein distances")
            report["compare"] = assemble_comparison(
                landscape,
                rules.rules if slices == "rules" else regions,
                Path(compare),
                other_summary,
                other,
                threshold,
                min_evaluations,
                slices,
                kept,
            )
            report["compare"]["mitigation"] = held_out
            report["compare"]["compares"] = what_differs(summary, other_summary)
            report["compare"]["inputs_differ"] = inputs_differ(summary, other_summary)
        # drawn once every file is read; compared, each picture names its run in its title
        this = None if compare is None else f"this run: {_short(run_dir)}"
        that = None if compare is None else f"compared run: {_short(compare)}"
        steps.step("pictures")
        with report_pictures(out / "figures") as images:  # stopped: the run as it was
            with written(out, option, **unwritten):  # the OS's reason, in one line
                # compared, both policies on one colour scale, as both failure rates are 0-1
                top = None if other is None else policy_top([landscape, other], axes)
                for name, figure in landscape_figures(landscape, axes, this, top).items():
                    images[name] = save_figure(figure, out / "figures" / f"{name}.png")
                if other is not None and other.visited.size:
                    images["compare_failure_rate"] = save_figure(
                        plot_landscape(other, "failure", axes, that),
                        out / "figures" / "compare_failure_rate.png",
                    )
                if other is not None and other.policy is not None:  # mass in the policy distance
                    images["compare_action_probabilities"] = save_figure(
                        plot_landscape(other, "policy", axes, that, top),
                        out / "figures" / "compare_action_probabilities.png",
                    )
            if retest is not None:  # only a loop's: a report by hand keeps its keys as they were
                report["retest"] = retest
            report["images"] = {name: relative_path(path, out) for name, path in images.items()}
            if tensorboard:
                steps.step("pictures to TensorBoard")
                log_images(run_dir, images, summary.get("iterations") or 0)  # the run's last step
            with written(out, option, **unwritten):
                steps.step("report.json")
                write_text_atomic(out / "report.json", report_json_text(report))
                steps.step("report.md, report.html")
                write_text_atomic(out / "report.md", markdown(report, out))
                write_text_atomic(out / "report.html", html_page(report, out))
    return report


def _check_tensorboard_writable(run_dir: Path, out: str | Path | None, tensorboard: bool) -> None:
    """Refuse, before any work, a report whose pictures cannot go to the run's TensorBoard: a
    read-only run reported with ``--out`` elsewhere drew every picture, then stopped on the
    TensorBoard file it could not write, with no report written."""
    if out is None or not tensorboard or not run_dir.is_dir():  # no --out: writable_dir says it
        return
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise FfadeError(
            f"{shell_path(run_dir)}: cannot write in this directory ({why_not(run_dir)}), where "
            "the report adds its pictures to the run's TensorBoard; add --no-tensorboard "
            "(tensorboard=False from Python)"
        )


def assemble_report(
    run_dir: Path,
    summary: dict[str, Any],
    landscape: Landscape,
    regions: list[Region],
    threshold: float,
    min_evaluations: int,
) -> dict[str, Any]:
    """One run's report data, as report.json holds it (``compare`` None, no ``images`` yet)."""
    microscopic = landscape.mode == "microscopic"
    return {
        "run": str(run_dir),
        "threshold": threshold,
        "min_evaluations": min_evaluations,
        "run_figures": run_figures(summary, landscape),
        "concepts": [
            {"label": label, "values": values}
            for label, values in zip(landscape.labels, landscape.values, strict=True)
        ],
        "regions": [region.to_dict(landscape) for region in regions],
        "smallest_failing_changes": (
            smallest_failing_changes(
                landscape, threshold, min_evaluations, start_state(summary, landscape)
            )
            if microscopic
            else None
        ),
        "explorer_smallest_failures": explorer_smallest(summary, landscape)
        if microscopic
        else None,
        "examples": report_examples(run_dir),
        "compare": None,
    }


def assemble_comparison(
    landscape: Landscape,
    regions: list[Region],
    other_dir: Path,
    other_summary: dict[str, Any],
    other: Landscape,
    threshold: float,
    min_evaluations: int,
    slices: str = "rules",
    kept: Landscape | None = None,
) -> dict[str, Any]:
    """report.json's ``compare``: the other run's figures and slices (``regions``: its rules or
    its regions, as ``slices`` says), distances, and how this run's slices fare in it.

    Slices are found and judged on meaning-keeping states in both runs (``kept``: this run's,
    as its slices were found), so a negation that "fails" everywhere is no new or still-failing
    slice; the distances compare the whole landscapes.
    """
    kept = landscape if kept is None else kept
    other_kept, _ = split_by_meaning(other, meaning_changing(other_summary))
    if slices == "rules":
        other_regions: list[Region] = list(find_rules(other_kept, threshold, min_evaluations).rules)
    else:
        other_regions = find_regions(other_kept, threshold, min_evaluations)
    return {
        "run": str(other_dir),
        "slices": slices,
        "run_figures": run_figures(other_summary, other),
        "wasserstein": {
            "failure": _distance(landscape, other, "failure"),
            "policy": _distance(landscape, other, "policy"),
        },
        "regions": [region.to_dict(other_kept) for region in other_regions],
        "region_shift": compare_regions(
            kept, regions, other_kept, other_regions, threshold, min_evaluations
        ),
    }


def main(argv: list[str]) -> int:
    """The ``ffade report`` command; returns the exit code (2 for bad input, no traceback)."""
    parser = OneLineParser(
        prog="ffade report",
        description="Summarize a run directory into report.md, report.html and report.json.",
    )
    parser.add_argument(
        "run_dir", type=user_path, metavar="RUN_DIR", help="the run directory to report on"
    )
    parser.add_argument(
        "--compare",
        type=folder_path("the other run's directory, such as runs/after_fix"),
        metavar="OTHER_RUN_DIR",
        help="a second run over the same concepts: adds the Wasserstein distance and whether "
        "this run's rules (or regions) are fixed, still failing or unclear there; and what is new",
    )
    parser.add_argument(
        "--out",
        type=folder_path(REPORT_OUT),
        metavar="DIR",
        help="where to write (default: RUN_DIR)",
    )
    add_region_arguments(parser)
    parser.add_argument(
        "--axes",
        nargs="+",
        metavar="CONCEPT",
        help="up to three concept labels to draw (others pooled); default: those that change "
        "the failure rate most",
    )
    parser.add_argument(
        "--mitigation",
        type=user_path,
        metavar="FILE",
        help="with --compare: the fine-tune's mitigation.json (or its run directory), whose "
        "held-out numbers lead the comparison (default: the one beside the compared run's fixed "
        "weights)",
    )
    parser.add_argument(
        "--no-tensorboard", action="store_true", help="do not log the pictures to TensorBoard"
    )
    args = parser.parse_args(argv)
    try:
        if args.axes is not None and not 1 <= len(args.axes) <= 3:
            raise FfadeError(f"--axes takes 1 to 3 concept labels; got {len(args.axes)}")
        if args.mitigation and not args.compare:
            raise FfadeError("--mitigation leads a comparison: give --compare OTHER_RUN_DIR too")
        if args.mitigation:
            args.mitigation = mitigation_file(args.mitigation, "--mitigation")
        check_run_dir(args.run_dir)
        with removed_if_refused(args.out or args.run_dir):
            report = build_report(
                args.run_dir,
                compare=args.compare,
                out=args.out,
                threshold=args.threshold,
                min_evaluations=args.min_evaluations,
                axes=args.axes,
                tensorboard=not args.no_tensorboard,
                mitigation=args.mitigation,
                slices=args.slices,
            )
    except FfadeError as error:
        print(f"ffade: error: {error}", file=sys.stderr)
        return 2
    say_run_state(args.run_dir, report["run_figures"], report["log_problems"])
    out = Path(args.out or args.run_dir)
    kept = kept_options(args.slices, args.axes, args.out, args.no_tensorboard)
    print(ending(report, out / "report.html", args.slices, kept))
    return 0


def _load_comparable(landscape: Landscape, run_dir: Path, compare: Path) -> Landscape:
    """The run to compare with, refused (before anything is written) unless on the same grid."""
    try:
        other = load_landscape(compare)
    except FfadeError as error:  # which of the two runs it is
        raise FfadeError(f"--compare: {error}") from None
    if not landscape.same_grid(other):
        raise FfadeError(
            f"--compare: {shell_path(compare / 'summary.json')} key 'concepts' differs from "
            f"{shell_path(run_dir / 'summary.json')} ({other.grid_difference(landscape)}); "
            "only runs over the same concept grid can be compared"
        )
    return other


def _distance(first: Landscape, second: Landscape, kind: Kind) -> dict[str, Any]:
    """A distance, or why there is none (a run without that mass): the report goes on."""
    reasons = [reason for run in (first, second) if (reason := missing_mass(run, kind))]
    if reasons:  # said without advice: the table's other row is the other kind
        return {"value": None, "note": "; ".join(dict.fromkeys(reasons))}  # a run with itself: once
    a, b = distribution(first, kind), distribution(second, kind)
    note = None
    if a.moved_mass or b.moved_mass:
        note = (
            f"approximate: mass beyond each run's {MAX_SUPPORT} heaviest states "
            f"({share(a.moved_mass, 1, as_percent=True)} and "
            f"{share(b.moved_mass, 1, as_percent=True)}) was moved to the nearest kept state, "
            f"so the distance may be off by up to {a.approximation + b.approximation:.3g}"
        )
    return {"value": transport_cost(a, b), "note": note}


def _short(path: str | Path, keep: int = 60) -> str:
    """A run directory for a picture's title: its end, which tells runs apart, when it is long."""
    text = str(path)
    return text if len(text) <= keep else "..." + text[-keep + 3 :]
