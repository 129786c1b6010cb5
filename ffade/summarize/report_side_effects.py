"""The side-effect table of a comparison's report: the fix's untargeted failure rate per value.

One untargeted rate can hide where a fix broke something: a rise at one concept value with a
fall elsewhere. mitigation.json's ``untargeted_by_value`` splits the guard's untargeted pairs by
each concept's value; this module turns it into one table for report.md and report.html, largest
rise first, so the values a fix made worse lead.
"""

from __future__ import annotations

from typing import Any

from ffade.shown_numbers import shares_told_apart, told_apart

SIDE_EFFECT_HEADER = ["concept = value", "pairs", "failure rate before -> after", "change"]


def side_effect_tables(
    mitigation: dict[str, Any] | None,
) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """The table as (title, html id, header, rows), or nothing without ``untargeted_by_value``
    (rules that hold every other state, or a mitigation.json from before ffade wrote it)."""
    by_value = (mitigation or {}).get("untargeted_by_value")
    if not by_value:
        return []
    measured = [
        (label, row)
        for label, rows in by_value.items()
        for row in rows
        if row["pairs"] and row["failure_rate_before"] is not None
    ]
    measured.sort(key=lambda item: item[1]["failure_rate_before"] - item[1]["failure_rate_after"])
    table = [
        [
            f"{label} = {row['value']!r}",
            str(row["pairs"]),
            " -> ".join(shares_told_apart(row["failure_rate_before"], row["failure_rate_after"])),
            _points_change(row["failure_rate_before"], row["failure_rate_after"]),
        ]
        for label, row in measured
    ]
    title = (
        "Untargeted failure rate by concept value, held-out (mitigation.json): where a side "
        "effect came from, largest rise first"
    )
    return [(title, "side-effects", SIDE_EFFECT_HEADER, table)]


def _points_change(before: float, after: float) -> str:
    """The rise in percentage points, "+0.0" only for none: a rise of 0.04 points is no none."""
    rise = (after - before) * 100
    return told_apart(rise, 0.0, 1, lambda x, digits: f"{x:+.{digits}f}")[0] + " points"
