"""How a report reads: the report's data (what report.json holds) as Markdown and as one HTML page.

Both renderings come from one definition of the tables (``_tables``) and notes
(:mod:`.report_notes`), so report.md and report.html never disagree; only the markup differs.
The HTML inlines every picture as a data URI and uses no external CSS or JS, so it opens
offline and can be mailed.
:mod:`.report` assembles the data and writes the files.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import numpy as np

from ffade.markdown import markdown_text
from ffade.shown_numbers import change_note, percent, share, told_apart
from ffade.shown_rows import MAX_TABLE_ROWS as SHOWN_ROWS
from ffade.summarize.example_listing import EXAMPLES_ORDER
from ffade.summarize.regions import format_value
from ffade.summarize.report_notes import DISTANCE_HEADER, notes
from ffade.summarize.report_retest import retest_tables
from ffade.summarize.report_shift import shift_table
from ffade.summarize.report_side_effects import side_effect_tables
from ffade.summarize.run_figures import changed_in_words, remaining_in_words

Table = tuple[str, str, list[str], list[list[str]]]
"""(section title, html id, header, rows)."""

IMAGE_CAPTIONS = {
    "failure_rate": "Failure rate per concept state (this run)",
    "action_probabilities": "The explorer's action probabilities (this run)",
    "compare_failure_rate": "Failure rate per concept state (compared run)",
    "compare_action_probabilities": "The explorer's action probabilities (compared run)",
}

MAX_TABLE_ROWS = SHOWN_ROWS
"""Rows of a table in report.md/html; longer ones fold into one closing row, and report.json
keeps them all (the cap of ``ffade check``'s and the retest's tables: :mod:`ffade.shown_rows`)."""

WHOLE = ("run", "regions", "retest")
"""Tables :func:`_tables` does not cut: the Run figures; the regions, cut before their closing
row of regions too thin to judge so that row is never folded away; and a loop's retest, cut as
``ffade check``'s table is (:mod:`.report_retest`) so that no failing case is folded away."""

MIN_TABLE_EVALUATIONS = 3
"""Regions with fewer evaluations are counted in one row of the table, not listed (rank by the CI
puts them last anyway: one or two evaluations say little)."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; font-size: 0.9em; }
th { background: #f2f2f2; }
#rules td:nth-child(2), #regions td:nth-child(2),
#region-shift td:nth-child(2), #retest td:nth-child(2) { white-space: nowrap; }
.note { background: #fff8e1; padding: 0.5em 1em; border-left: 4px solid #f0b400; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 520px; border: 1px solid #ddd; }
figcaption { font-size: 0.8em; max-width: 520px; }
figure blockquote { max-width: 520px; margin: 0; padding: 0.5em; background: #f7f7f7; }
"""


def markdown(report: dict[str, Any], out: Path) -> str:
    """report.md: notes as quotes, tables, pictures and examples linked relative to ``out``."""
    lines = [f"# ffade report: {markdown_text(report['run'])}", ""]
    # a ">" line apart: quote lines in a row join into one paragraph, the notes into one run-on
    quoted = [line for note in notes(report) for line in (f"> {markdown_text(note)}", ">")]
    lines += [*quoted[:-1], ""]
    for title, _, header, rows in _tables(report):
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["(none)", ""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(markdown_text(cell) for cell in row) + " |" for row in rows]
        lines.append("")
    lines += ["## Pictures", ""]
    for name, path in report["images"].items():
        lines += [f"![{IMAGE_CAPTIONS.get(name, name)}]({quote(path)})", ""]
    if report["examples"]:
        lines += ["## Worst failing examples", "", EXAMPLES_ORDER, ""]
        for example in report["examples"]:
            if "text" in example and "original" in example:
                original = markdown_text(example["original"].replace("\n", " "))
                changed = markdown_text(example["text"].replace("\n", " "))
                lines += [f"> original: {original}", ">", f"> changed: {changed}", ""]
                lines += [f"Edits: {markdown_text(example['edits'])}", ""]
            elif "text" in example:
                # a blank line after: else the caption reads as more of the quoted input
                lines += ["> " + markdown_text(example["text"].replace("\n", " ")), ""]
            else:
                link = quote(relative_path(example["path"], out))  # a space would end the link
                lines.append(f"![{markdown_text(_caption(example))}]({link})")
            lines.append(f"*{markdown_text(_caption(example))}*")
            lines.append("")
    return "\n".join(lines)


def html_page(report: dict[str, Any], out: Path) -> str:
    """report.html: the same content as :func:`markdown`, pictures inlined from under ``out``."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>ffade report: {html.escape(report['run'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>ffade report: {html.escape(report['run'])}</h1>",
    ]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in notes(report)]
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
        parts.append(f"<h2>Worst failing examples</h2><p>{html.escape(EXAMPLES_ORDER)}</p>")
        parts.append('<div id="examples">')
        for example in report["examples"]:
            if "text" in example and "original" in example:
                parts.append(
                    f"<figure><blockquote>original: {html.escape(example['original'])}"
                    f"</blockquote><blockquote>changed: {html.escape(example['text'])}"
                    f"</blockquote><p>Edits: {html.escape(example['edits'])}</p>"
                    f"<figcaption>{html.escape(_caption(example))}</figcaption></figure>"
                )
            elif "text" in example:
                parts.append(
                    f"<figure><blockquote>{html.escape(example['text'])}</blockquote>"
                    f"<figcaption>{html.escape(_caption(example))}</figcaption></figure>"
                )
            else:
                parts.append(_figure(Path(example["path"]), "example", _caption(example)))
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def relative_path(path: Path | str, start: Path) -> str:
    """``path`` as a link from a file in ``start``, with forward slashes on every platform."""
    return Path(os.path.relpath(path, start)).as_posix()


def _tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the report, in order, long ones cut to :data:`MAX_TABLE_ROWS` rows; but
    the Run figures, a fixed short list that docs/report.md promises whole (failure_rate last),
    and the regions and the retest, which cut their own (:func:`_region_table`,
    :func:`.report_retest.retest_tables`)."""
    compare = report["compare"]
    found: list[Table] = []
    if compare is not None and compare.get("mitigation"):
        found.append(("Held-out numbers (mitigation.json)", "held-out", *_held_out(compare)))
        found += side_effect_tables(compare["mitigation"])
    found += retest_tables(report.get("retest"))  # a loop's: the same pairs before and after
    found += [
        ("Run", "run", *_run_table(report)),
        ("Failure rules", "rules", *_rule_table(report.get("rules"))),
        ("Connected failure regions", "regions", *_region_table(report["regions"])),
        *_meaning_table(report.get("meaning_changing")),
        *_smallest_change_tables(report),
    ]
    if compare is not None:
        found += _compare_tables(compare, report["threshold"])
    return [
        (title, table_id, header, rows if table_id in WHOLE else _truncate(rows, len(header)))
        for title, table_id, header, rows in found
    ]


def _run_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    first = report["run_figures"]
    if report["compare"] is None:
        return ["figure", "value"], [[key, _run_figure(key, value)] for key, value in first.items()]
    second = report["compare"]["run_figures"]
    keys = [*first, *(key for key in second if key not in first)]
    rows = [
        [key, _run_figure(key, first.get(key)), _run_figure(key, second.get(key))] for key in keys
    ]
    return ["figure", "this run", "compared run"], rows


def _run_figure(key: str, value: Any) -> str:
    """A run table cell (the remaining-failure estimate in words; a failure rate of 0.99996 not
    "1", as if every evaluation failed)."""
    if key == "estimated_remaining_failures" and value is not None:
        return remaining_in_words(value)
    if key == "failure_rate" and isinstance(value, float) and 0.9999 < value < 1:
        return share(value, 4)  # four digits, as _fmt, but never "1"
    return _fmt(value)


def _held_out(compare: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The fine-tune's verdict, then each held-out figure before and after. The verdict judges
    the fix, so it and its reason sit under "after": under "before" it read as the old model's."""
    numbers = compare["mitigation"]
    metric = numbers.get("clean_metric", "accuracy")
    reason = numbers.get("reason")
    verdict = str(numbers.get("status", "-")) + (f": {reason}" if reason else "")
    rows = [["verdict", "", verdict, ""]]
    for key in numbers:
        name = key.removesuffix("_before")
        if not key.endswith("_before") or name == "clean_score":  # the LoRA's clean_accuracy again
            continue
        # one decimal, as the fit's ending says it: 98.1% -> 98.6% is not "98% -> 99%", a full
        # point, the guard's whole tolerance
        label, show = name.replace("_", " "), _pct1
        if name == "clean_accuracy":  # a share only if an accuracy
            label = f"clean {metric}"
            show = _pct1 if metric.endswith("accuracy") else _score
        elif name == "clean_bleu":  # BLEU points, 0-100
            label, show = "clean BLEU", _points
        rows.append([label, *_told_apart(numbers[key], numbers.get(f"{name}_after"), show), ""])
        if name == "targeted_failure_rate":  # a fall within noise reads as none: said so
            rows[-1][2] += change_note(numbers)
    rows[0][3] = numbers["file"]
    return ["held-out figure", "before", "after", "source"], rows


def _rule_table(rules: dict[str, Any] | None) -> tuple[list[str], list[list[str]]]:
    """Every rule, in the order learned; the failing states each covers, and how many no
    earlier rule covered."""
    header = ["rank", "id", "rule", "failure rate", "95% CI", "evaluations", "failing states"]
    rows = [
        [
            str(rank),
            rule["id"],
            rule["conditions"],
            _pct(rule["failure_rate"]),
            f"{_pct(rule['ci_low'], 'low')}-{_pct(rule['ci_high'], 'high')}",
            str(rule["evaluations"]),
            f"{rule['failing_states']} ({rule['new_failing_states']} new)",
        ]
        for rank, rule in enumerate((rules or {}).get("rules", []), start=1)
    ]
    return header, rows


def _region_table(regions: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Regions with enough evaluations to judge, ranked 1, 2, 3... among themselves; the rest
    in one closing row (all in the JSON)."""
    header = ["rank", "id", "where", "failure rate", "95% CI", "evaluations", "states"]
    thin = sum(region["evaluations"] < MIN_TABLE_EVALUATIONS for region in regions)
    rows = [
        [
            str(rank),
            region["id"],
            region["conditions"],
            _pct(region["failure_rate"]),
            f"{_pct(region['ci_low'], 'low')}-{_pct(region['ci_high'], 'high')}",
            str(region["evaluations"]),
            str(region["num_states"])
            if region["num_states"] == region["range_states"]
            else f"{region['num_states']} of {region['range_states']}",
        ]
        for rank, region in enumerate(
            (r for r in regions if r["evaluations"] >= MIN_TABLE_EVALUATIONS), start=1
        )
    ]
    rows = _truncate(rows, len(header))  # before the thin row: cut, it was counted as a region
    if thin:
        note = (
            f"... {thin} more {'region' if thin == 1 else 'regions'} of fewer than "
            f"{MIN_TABLE_EVALUATIONS} evaluations each, too few to judge: in report.json"
        )
        rows.append(["", "", note, "", "", "", ""])
    return header, rows


def _meaning_table(entries: list[dict[str, Any]] | None) -> list[Table]:
    """Failures under edits that change the meaning, apart from the rules (none: no table)."""
    if not entries:
        return []
    rows = [[entry["concept"], entry["description"]] for entry in entries]
    title = "Edits that change the meaning (reported apart: the reference no longer fits)"
    return [(title, "meaning-changing", ["concept", "when it applies"], rows)]


def _smallest_change_tables(report: dict[str, Any]) -> list[Table]:
    """Microscopic runs: the smallest failing change on the grid, then the explorer's per input."""
    found: list[Table] = []
    changes = report["smallest_failing_changes"]
    if changes is not None:
        rows = [[entry["concept"], entry["description"]] for entry in changes["per_concept"]]
        overall = changes["overall"]
        rows.append(["any combination", overall["description"] if overall else "none found"])
        # measured from where the run started, as the per-input table under it is
        moved = changes.get("start_state", changes["neutral_state"]) != changes["neutral_state"]
        title = "Smallest failing change" + " from the start state" * moved
        found.append((title, "smallest-change", ["concept", "change"], rows))
    per_input = report.get("explorer_smallest_failures")
    if per_input:
        rows = [
            [_fmt(e.get("input_id")), _fmt(e.get("steps")), changed_in_words(e, _fmt)]
            for e in per_input
        ]
        found.append(
            (
                "Smallest failing change per input (the explorer's)",
                "smallest-change-per-input",
                ["input", "steps from start", "what changed from the start"],
                rows,
            )
        )
    return found


def _compare_tables(compare: dict[str, Any], threshold: float) -> list[Table]:
    """The Wasserstein distances, then where each rule (or region) went in the compared run."""
    distances = [
        [kind, _fmt(entry["value"]), entry["note"] or ""]
        for kind, entry in compare["wasserstein"].items()
    ]
    return [
        ("Wasserstein distance", "wasserstein", ["landscape", DISTANCE_HEADER, "note"], distances),
        shift_table(compare, threshold),
    ]


def _truncate(rows: list[list[str]], width: int) -> list[list[str]]:
    if (cut := len(rows) - MAX_TABLE_ROWS) <= 0:
        return rows
    more = f"... {cut} more row{'s' * (cut > 1)} in report.json"
    return [*rows[:MAX_TABLE_ROWS], [more] + [""] * (width - 1)]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return format_value(value) if value == "" else str(value)


def _points(value: float | None, decimals: int = 2) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def _score(value: float | None, decimals: int = 3) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def _pct(value: float | None, end: Literal["low", "high"] | None = None) -> str:
    return "-" if value is None or np.isnan(value) else percent(value, end)


def _pct1(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None or np.isnan(value) else share(value, decimals, as_percent=True)


def _told_apart(before: Any, after: Any, show: Callable[..., str]) -> list[str]:
    """A held-out figure before and after, more decimals where fewer read a change as none."""
    return list(told_apart(before, after, {_pct1: 1, _points: 2, _score: 3}[show], show))


def _caption(example: dict[str, Any]) -> str:
    return example["caption"]


def _figure(path: Path, alt: str, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
