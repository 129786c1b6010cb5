"""The retest section of a loop's report: each judged rule on the same pairs, before and after.

``ffade loop`` retests the rules its feedback judged on a seeded sample of pairs, measured on the
original model and on the fix (:mod:`ffade.loop_retest`), and hands that result to
:func:`ffade.summarize.report.build_report`; this module turns it into one table for report.md
and report.html. A report made by hand (``ffade report A --compare B``) has no retest, and no
such section. Rates read as the loop's closing lines and ``ffade check`` print them (46.9%), so
the page and the terminal agree to the digit. A retest of more than 15 cases (one per region a
feedback file answered: hundreds on a run of many small regions) is cut as the loop's closing
lines and ``ffade check``'s table are (:mod:`ffade.shown_rows`): every failing case, passing ones
up to 15 rows, one row counting the rest; the report's usual cut, the first 15 rows, hid a FAIL
in row 16.
"""

from __future__ import annotations

from typing import Any

from ffade.shown_numbers import all_told_apart, share
from ffade.shown_rows import more_passing_line, shown

RETEST_HEADER = [
    "case",
    "conditions",
    "goal",
    "pairs",
    "failure rate before -> after",
    "max allowed",
    "result",
]


def retest_tables(
    retest: dict[str, Any] | None,
) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """The retest as (title, html id, header, rows), or nothing when there was no retest.

    The title says how many cases pass ("5 of 5 cases pass") and what a pass is (the fix's
    failure rate at most the case's maximum, not "fixed" as the rule shift judges it), the rows
    one case each: its name (the rule's id), conditions, goal (``fix`` or ``hold``), pairs, the
    failure rate on the original model -> on the fix, the most the fix may fail there, and pass
    or FAIL. Past :data:`ffade.shown_rows.MAX_TABLE_ROWS` cases, only every failing case and the
    first passing ones, then a row counting the passing cases left out (report.json lists all).
    """
    if retest is None:
        return []
    cases = retest["cases"]
    rows = [
        [
            case["name"],
            case["conditions"],
            case["goal"],
            str(case["pairs"]),
            *_rates(case),
            "pass" if case["passed"] else "FAIL",
        ]
        for case in shown(cases, lambda case: case["passed"])
    ]
    if left_out := len(cases) - len(rows):
        rows.append([more_passing_line(left_out, "report.json")] + [""] * (len(RETEST_HEADER) - 1))
    title = (
        f"Retest on the same sampled pairs, original model vs fix: {retest['passed']} of "
        f"{len(cases)} cases pass (pass: the fix fails at most the max allowed)"
    )
    return [(title, "retest", RETEST_HEADER, rows)]


def _rates(case: dict[str, Any]) -> list[str]:
    """ "before -> after" and the most the fix may fail, one decimal of a percent or more: a
    FAIL at 25.04% against a maximum of 25% read "25.0% -> 25.0%" beside "25.0%"."""
    before, after, most = all_told_apart(
        [case["failure_rate_before"], case["failure_rate_after"], case["max_failure_rate"]],
        1,
        lambda value, digits: share(value, digits, as_percent=True),
    )
    return [f"{before} -> {after}", most]
