"""``ffade report RUN_DIR [--compare OTHER_RUN_DIR] [--out DIR]``: what a person reads after a run.

Writes three files with the same numbers: ``report.md`` (for a repository or a PR),
``report.html`` (one self-contained file: images inlined as data URIs, no external CSS or JS, so
it opens offline and can be mailed), and ``report.json`` (for tools and CI). They hold the run's
figures from summary.json, the failure regions ranked by severity, the pictures of the landscape,
the worst failing examples when the run saved some, and for microscopic runs the smallest failing
change. With ``--compare`` they add the Wasserstein distance between the two landscapes and which
regions were fixed, still fail, or are new. The pictures are also logged to the run's TensorBoard.

Run ``ffade report --help`` for the options; docs/report.md says how to read a report.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ffade.errors import FfadeError
from ffade.records import read_summary, write_json_atomic
from ffade.summarize.landscape import Landscape, load_landscape
from ffade.summarize.plots import landscape_figures, log_images, plot_landscape, save_figure
from ffade.summarize.regions import (
    add_region_arguments,
    compare_regions,
    find_regions,
    smallest_failing_changes,
)
from ffade.summarize.transport import (
    MAX_SUPPORT,
    Kind,
    distribution,
    transport_cost,
)

RUN_FIGURES = (
    "explorer",
    "mode",
    "status",
    "seed",
    "budget",
    "evaluations",
    "failures",
    "distinct_failure_states",
    "failing_concept_states",
    "num_inputs",
    "gradient_updates",
    "wall_seconds",
)
"""summary.json keys shown in the run table, in this order, when present."""

IMAGE_CAPTIONS = {
    "failure_rate": "Failure rate per concept state (this run)",
    "action_probabilities": "The explorer's action probabilities (this run)",
    "compare_failure_rate": "Failure rate per concept state (compared run)",
}

MAX_TABLE_ROWS = 50
"""Rows of a regions table in report.md/html; report.json keeps them all."""

MIN_TABLE_EVALUATIONS = 3
"""Regions with fewer evaluations are counted in one row of the table, not listed (rank by the CI
puts them last anyway: one or two evaluations say little)."""

MAX_EXAMPLES = 12
"""Worst failing examples shown; more make the HTML heavy without telling more."""

EXAMPLE_FILE_KEYS = ("file", "path", "image", "png", "filename")
"""Keys of an examples.json entry that may name its image; the other keys become its caption."""


def build_report(
    run_dir: str | Path,
    compare: str | Path | None = None,
    out: str | Path | None = None,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    axes: list[str] | None = None,
    tensorboard: bool = True,
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

    Raises:
        FfadeError: a run directory is missing or malformed, or the two grids differ.
    """
    run_dir = Path(run_dir)
    landscape = load_landscape(run_dir)
    summary = read_summary(run_dir)
    out = Path(out) if out is not None else run_dir
    out.mkdir(parents=True, exist_ok=True)
    regions = find_regions(landscape, threshold, min_evaluations)
    other = None
    if compare is not None:  # validated before anything is written
        other = load_landscape(compare)
        if not landscape.same_grid(other):
            raise FfadeError(
                f"--compare: '{Path(compare) / 'summary.json'}' key 'concepts' differs from "
                f"'{run_dir / 'summary.json'}' ({other.grid_text()} vs {landscape.grid_text()}); "
                "only runs over the same concept grid can be compared"
            )

    images = {
        name: save_figure(figure, out / "figures" / f"{name}.png")
        for name, figure in landscape_figures(landscape, axes).items()
    }
    report: dict[str, Any] = {
        "run": str(run_dir),
        "threshold": threshold,
        "min_evaluations": min_evaluations,
        "run_figures": _run_figures(summary, landscape),
        "concepts": [
            {"label": label, "values": values}
            for label, values in zip(landscape.labels, landscape.values, strict=True)
        ],
        "regions": [region.to_dict(landscape) for region in regions],
        "smallest_failing_changes": (
            smallest_failing_changes(landscape, threshold, min_evaluations)
            if landscape.mode == "microscopic"
            else None
        ),
        "explorer_smallest_failures": summary.get("smallest_failing_changes")
        if landscape.mode == "microscopic"
        else None,
        "examples": _examples(run_dir),
        "compare": None,
    }

    if compare is not None and other is not None:
        other_dir = Path(compare)
        other_regions = find_regions(other, threshold, min_evaluations)
        if other.evaluations.sum():
            images["compare_failure_rate"] = save_figure(
                plot_landscape(other, "failure", axes), out / "figures" / "compare_failure_rate.png"
            )
        report["compare"] = {
            "run": str(other_dir),
            "run_figures": _run_figures(read_summary(other_dir), other),
            "wasserstein": {
                "failure": _distance(landscape, other, "failure"),
                "policy": _distance(landscape, other, "policy"),
            },
            "regions": [region.to_dict(other) for region in other_regions],
            "region_shift": compare_regions(
                landscape, regions, other, other_regions, threshold, min_evaluations
            ),
        }

    report["images"] = {name: _relative(path, out) for name, path in images.items()}
    if tensorboard:
        log_images(run_dir, images)
    write_json_atomic(out / "report.json", report)
    (out / "report.md").write_text(_markdown(report, out), encoding="utf-8")
    (out / "report.html").write_text(_html(report, out), encoding="utf-8")
    return report


def main(argv: list[str]) -> int:
    """The ``ffade report`` command; returns the exit code (2 for bad input, no traceback)."""
    parser = argparse.ArgumentParser(
        prog="ffade report",
        description="Summarize a run directory into report.md, report.html and report.json.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run directory to report on")
    parser.add_argument(
        "--compare",
        metavar="OTHER_RUN_DIR",
        help="a second run over the same concepts: adds the Wasserstein distance and which "
        "regions were fixed, still fail, or are new",
    )
    parser.add_argument("--out", metavar="DIR", help="where to write (default: RUN_DIR)")
    add_region_arguments(parser)
    parser.add_argument(
        "--axes",
        nargs="+",
        metavar="CONCEPT",
        help="up to three concept labels to draw (others pooled); default: those that change "
        "the failure rate most",
    )
    parser.add_argument(
        "--no-tensorboard", action="store_true", help="do not log the pictures to TensorBoard"
    )
    args = parser.parse_args(argv)
    try:
        if args.axes is not None and not 1 <= len(args.axes) <= 3:
            raise FfadeError(f"--axes takes 1 to 3 concept labels; got {len(args.axes)}")
        report = build_report(
            args.run_dir,
            compare=args.compare,
            out=args.out,
            threshold=args.threshold,
            min_evaluations=args.min_evaluations,
            axes=args.axes,
            tensorboard=not args.no_tensorboard,
        )
    except FfadeError as error:
        print(f"ffade report: error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out or args.run_dir)
    print(f"{len(report['regions'])} failure regions; wrote {out / 'report.html'}")
    return 0


def _run_figures(summary: dict[str, Any], landscape: Landscape) -> dict[str, Any]:
    figures = {key: summary[key] for key in RUN_FIGURES if key in summary}
    evaluated = int((landscape.evaluations > 0).sum())
    figures["grid_states"] = int(landscape.evaluations.size)
    figures["states_evaluated"] = evaluated
    total = int(landscape.evaluations.sum())
    figures["failure_rate"] = float(landscape.failures.sum() / total) if total else None
    return figures


def _distance(first: Landscape, second: Landscape, kind: Kind) -> dict[str, Any]:
    """A distance, or why there is none: one run without failures must not sink the report."""
    try:  # the grids were checked by the caller; what remains is a run without mass
        a, b = distribution(first, kind), distribution(second, kind)
    except FfadeError as error:
        return {"value": None, "note": str(error)}
    note = None
    if a.moved_mass or b.moved_mass:
        note = (
            f"approximate: mass beyond each run's {MAX_SUPPORT} heaviest states "
            f"({a.moved_mass:.1%} and {b.moved_mass:.1%}) was moved to the nearest kept state, "
            f"so the distance may be off by up to {a.approximation + b.approximation:.3g}"
        )
    return {"value": transport_cost(a, b), "note": note}


def _examples(run_dir: Path) -> list[dict[str, Any]]:
    """The worst failing examples saved by the run: examples.json's list, else the PNGs.

    Captions name only the concepts that changed an example (its ``changed`` values, which
    examples.json lists beside the full state): fifteen zeros would hide a text's one edit.
    """
    folder = run_dir / "examples"
    if not folder.is_dir():
        return []
    listing = folder / "examples.json"
    entries: list[Any] = []
    if listing.is_file():
        try:
            data = json.loads(listing.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise FfadeError(f"{listing} is not valid JSON ({error}); expected a list") from error
        entries = data.get("examples", []) if isinstance(data, dict) else data
    else:
        entries = sorted(p.name for p in folder.glob("*.png"))
    examples = []
    for entry in entries:
        example = _example(entry, folder, run_dir)
        if example is None:
            continue
        caption = example["caption"]
        if "changed" in caption:
            example["caption"] = {
                ("changes" if k == "changed" else k): (v or "none") if k == "changed" else v
                for k, v in caption.items()
                if k != "concepts"
            }
        examples.append(example)
        if len(examples) == MAX_EXAMPLES:
            break
    return examples


def _example(entry: Any, folder: Path, run_dir: Path) -> dict[str, Any] | None:
    """One examples.json entry (or PNG name) as {"path" or "text", "caption"}; None if unusable."""
    if isinstance(entry, str):
        name, caption = entry, {}
    elif not isinstance(entry, dict):
        return None
    else:
        key = next((k for k in EXAMPLE_FILE_KEYS if k in entry), None)
        if key is None:  # a text (the changed input), no picture
            if not isinstance(entry.get("input"), str):
                return None
            return {
                "text": entry["input"],
                "caption": {k: v for k, v in entry.items() if k != "input"},
            }
        name, caption = str(entry[key]), {k: v for k, v in entry.items() if k != key}
    path = next((p for p in (folder / name, run_dir / name) if p.is_file()), None)
    return None if path is None else {"path": str(path), "caption": caption}


def _relative(path: Path | str, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)


def _pct(value: float | None) -> str:
    return "-" if value is None or np.isnan(value) else f"{value:.0%}"


def _caption(example: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {_fmt(v)}" for k, v in example["caption"].items())


# --- tables: one definition, rendered to both Markdown and HTML ---------------------------------


def _tables(report: dict[str, Any]) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(section title, html id, header, rows) for every table in the report, in order."""
    tables = [
        (
            "Run",
            "run",
            *_run_table(report),
        ),
        ("Failure regions", "regions", *_region_table(report["regions"])),
    ]
    changes = report["smallest_failing_changes"]
    if changes is not None:
        rows = [[entry["concept"], entry["description"]] for entry in changes["per_concept"]]
        overall = changes["overall"]
        rows.append(["any combination", overall["description"] if overall else "none found"])
        tables.append(("Smallest failing change", "smallest-change", ["concept", "change"], rows))
    per_input = report.get("explorer_smallest_failures")
    if per_input:
        rows = [
            [_fmt(e.get("input_id")), _fmt(e.get("steps")), _fmt(e.get("concepts"))]
            for e in per_input
        ]
        tables.append(
            (
                "Smallest failing change per input (the explorer's)",
                "smallest-change-per-input",
                ["input", "steps from start", "failing state"],
                rows,
            )
        )
    compare = report["compare"]
    if compare is not None:
        distances = [
            [kind, _fmt(entry["value"]), entry["note"] or ""]
            for kind, entry in compare["wasserstein"].items()
        ]
        tables.append(
            ("Wasserstein distance", "wasserstein", ["landscape", "distance", "note"], distances)
        )
        shift_rows = []
        for status in ("still_failing", "fixed", "not_retested"):
            for entry in compare["region_shift"][status]:
                shift_rows.append(
                    [
                        entry["status"],
                        entry["id"],
                        entry["description"],
                        entry["now"],
                        ", ".join(entry["overlapping"]) or "-",
                    ]
                )
        for entry in compare["region_shift"]["new"]:
            shift_rows.append(["new", entry["id"], entry["before"], entry["description"], "-"])
        tables.append(
            (
                "Region shift",
                "region-shift",
                ["status", "region", "first run", "second run", "overlapping regions now"],
                shift_rows,
            )
        )
    return [
        (title, table_id, header, _truncate(rows, len(header)))
        for title, table_id, header, rows in tables
    ]


def _truncate(rows: list[list[str]], width: int) -> list[list[str]]:
    if len(rows) <= MAX_TABLE_ROWS:
        return rows
    more = f"... {len(rows) - MAX_TABLE_ROWS} more rows in report.json"
    return [*rows[:MAX_TABLE_ROWS], [more] + [""] * (width - 1)]


def _run_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    first = report["run_figures"]
    if report["compare"] is None:
        return ["figure", "value"], [[key, _fmt(value)] for key, value in first.items()]
    second = report["compare"]["run_figures"]
    keys = [*first, *(key for key in second if key not in first)]
    rows = [[key, _fmt(first.get(key)), _fmt(second.get(key))] for key in keys]
    return ["figure", "this run", "compared run"], rows


def _region_table(regions: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Regions with enough evaluations to judge; the rest in one closing row (all in the JSON)."""
    header = ["rank", "id", "where", "failure rate", "95% CI", "evaluations", "states"]
    thin = sum(region["evaluations"] < MIN_TABLE_EVALUATIONS for region in regions)
    rows = [
        [
            str(rank),
            region["id"],
            region["conditions"],
            _pct(region["failure_rate"]),
            f"{_pct(region['ci_low'])}-{_pct(region['ci_high'])}",
            str(region["evaluations"]),
            str(region["num_states"])
            if region["num_states"] == region["range_states"]
            else f"{region['num_states']} of {region['range_states']}",
        ]
        for rank, region in enumerate(regions, start=1)
        if region["evaluations"] >= MIN_TABLE_EVALUATIONS
    ]
    if thin:
        note = (
            f"... {thin} more regions of fewer than {MIN_TABLE_EVALUATIONS} evaluations each, too "
            "few to judge: in report.json"
        )
        rows.append(["", "", note, "", "", "", ""])
    return header, rows


def _notes(report: dict[str, Any]) -> list[str]:
    notes = []
    status = report["run_figures"].get("status")
    if status not in (None, "finished"):
        notes.append(f"This run's status is '{status}': its numbers cover what was logged so far.")
    notes.append(
        f"A concept state fails when at least {report['threshold']:.0%} of at least "
        f"{report['min_evaluations']} evaluation(s) there failed; regions join failing states "
        "one grid step apart along one concept."
    )
    if report["run_figures"].get("explorer") not in (None, "grid", "random"):
        notes.append(
            "Rates count what this explorer chose to evaluate. A learning explorer seeks out "
            "fragile inputs and failing states, so its rates overstate how often the model fails "
            "on typical inputs; run the grid or random explorer for unbiased rates."
        )
    if not report["run_figures"]["states_evaluated"]:
        notes.append("The evaluations log holds no evaluation yet.")
    elif not report["regions"]:
        notes.append("No failure region was found.")
    if report["compare"] is not None:
        notes.append(
            f"Compared with {report['compare']['run']}: distances are in normalized concept "
            "coordinates (1 = one concept's whole range); region shift follows this run's regions "
            "into the compared run."
        )
    return notes


def _markdown(report: dict[str, Any], out: Path) -> str:
    lines = [f"# ffade report: {report['run']}", ""]
    lines += [f"> {note}" for note in _notes(report)] + [""]
    for title, _, header, rows in _tables(report):
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["(none)", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        lines.append("")
    lines += ["## Pictures", ""]
    for name, path in report["images"].items():
        lines += [f"![{IMAGE_CAPTIONS.get(name, name)}]({path})", ""]
    if report["examples"]:
        lines += ["## Worst failing examples", ""]
        for example in report["examples"]:
            if "text" in example:
                lines.append("> " + example["text"].replace("\n", " "))
            else:
                lines.append(f"![{_caption(example)}]({_relative(example['path'], out)})")
            lines.append(f"*{_caption(example)}*")
            lines.append("")
    return "\n".join(lines)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; font-size: 0.9em; }
th { background: #f2f2f2; }
#regions td:nth-child(2), #region-shift td:nth-child(2) { white-space: nowrap; }
.note { background: #fff8e1; padding: 0.5em 1em; border-left: 4px solid #f0b400; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 520px; border: 1px solid #ddd; }
figcaption { font-size: 0.8em; max-width: 520px; }
figure blockquote { max-width: 520px; margin: 0; padding: 0.5em; background: #f7f7f7; }
"""


def _html(report: dict[str, Any], out: Path) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>ffade report: {html.escape(report['run'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>ffade report: {html.escape(report['run'])}</h1>",
    ]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in _notes(report)]
    for title, table_id, header, rows in _tables(report):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if not rows:
            parts.append("<p>(none)</p>")
            continue
        parts.append(f'<table id="{table_id}"><thead><tr>')
        parts += [f"<th>{html.escape(cell)}</th>" for cell in header]
        parts.append("</tr></thead><tbody>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table>")
    parts.append('<h2>Pictures</h2><div id="pictures">')
    for name, path in report["images"].items():
        parts.append(_figure(out / path, name, IMAGE_CAPTIONS.get(name, name)))
    parts.append("</div>")
    if report["examples"]:
        parts.append('<h2>Worst failing examples</h2><div id="examples">')
        for example in report["examples"]:
            if "text" in example:
                parts.append(
                    f"<figure><blockquote>{html.escape(example['text'])}</blockquote>"
                    f"<figcaption>{html.escape(_caption(example))}</figcaption></figure>"
                )
            else:
                parts.append(_figure(Path(example["path"]), "example", _caption(example)))
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _figure(path: Path, alt: str, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
