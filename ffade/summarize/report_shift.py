"""The rule (or region) shift table of a comparison: each slice of this run, followed into the
compared run, with its status there.

Kept apart from :mod:`.report_render` so that the table's title can say what its statuses
measure: the compared run's own evaluations against the report's threshold. A rediscovery after
a fix is a search for what still fails, so a rule reads "still failing" there while the loop's
retest, on the same pairs before and after, says the fix passed it; a title that named neither
measure read as a contradiction of that retest.
"""

from __future__ import annotations

from typing import Any

from ffade.summarize.report_notes import threshold_percent

EXPLORER_LABELS = {
    "fixed": "found by this run's explorer only",
    "new": "found by the compared run's explorer only",
}
"""The rule shift's statuses when both runs searched one model with different explorers
(``compare.compares`` "explorers"): where one passes, the other explorer's inputs passed there,
so "fixed" and "new" would say what a comparison of search methods cannot."""


def shift_title(kind: str, threshold: float) -> str:
    """The shift table's title: "Rule shift" (or "Region shift"), then what it judges on."""
    return (
        f"{kind.capitalize()} shift: this run's {kind}s on the compared run's evaluations"
        f" (failure rate there vs the {threshold_percent(threshold)} threshold)"
    )


REDISCOVERY = "in the rediscovery, a search for what still fails"
"""Where ``ffade loop`` follows the first run's slices: its own rediscovery of the fixed model."""


def shift_line(
    shift: dict[str, int],
    slices: str,
    threshold: float,
    where: str = REDISCOVERY,
    labels: dict[str, str] | None = None,
) -> str:
    """The first run's slices followed into the other run (loop.json's ``region_shift``, or the
    counts of report.json's), named as what they are: the other run's own rates against the
    threshold. A search seeks out what still fails, so a rule "still failing" there may well pass
    the loop's retest on the same pairs. ``labels`` renames statuses (:data:`EXPLORER_LABELS`)."""
    labels = labels or {}
    counts = ", ".join(
        f"{n} {labels.get(status, status.replace('_', ' '))}" for status, n in shift.items()
    )
    return (
        f"{slices} {where} (its failure rate there vs the {threshold_percent(threshold)} "
        f"threshold): {counts}"
    )


def compare_shift_line(compare: dict[str, Any], threshold: float) -> str:
    """``ffade report --compare``'s closing shift line: the loop's words (:func:`shift_line`),
    with the run compared with named as such (it may be no rediscovery: another explorer's run,
    say, whose "fixed" and "new" the report's table renames, and so does this line)."""
    shift = {status: len(entries) for status, entries in compare["region_shift"].items()}
    labels = EXPLORER_LABELS if compare.get("compares") == "explorers" else None
    return shift_line(shift, compare["slices"], threshold, "in the compared run", labels)


def shift_table(
    compare: dict[str, Any], threshold: float
) -> tuple[str, str, list[str], list[list[str]]]:
    """report.json's ``compare.region_shift`` as (title, html id, header, rows)."""
    shift = compare["region_shift"]
    # two explorers on one model: a slice one of them found is no fix, nor a new failure
    labels = EXPLORER_LABELS if compare.get("compares") == "explorers" else {}
    # the compared run's slices have no table of their own: an id alone could not be looked up
    named = {
        slice_["id"]: f"{slice_['id']} ({slice_['conditions']})" for slice_ in compare["regions"]
    }
    rows = [
        [
            labels.get(entry["status"], entry["status"]),
            entry["id"],
            entry["description"],
            entry["now"],
            ", ".join(named.get(id_, id_) for id_ in entry["overlapping"]) or "-",
        ]
        for status in ("still_failing", "unclear", "fixed", "not_retested")
        for entry in shift[status]
    ]
    rows += [
        [labels.get("new", "new"), entry["id"], entry["before"], entry["description"], "-"]
        for entry in shift["new"]
    ]
    kind = "region" if compare.get("slices") == "regions" else "rule"  # what was followed
    header = ["status", kind, "first run", "second run", f"overlapping {kind}s now"]
    return shift_title(kind, threshold), "region-shift", header, rows
