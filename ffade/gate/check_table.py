"""The table ``ffade check`` prints: one row per case, capped for a suite of hundreds.

A suite exported from a run of many regions, whose feedback skipped all but one (``ffade
feedback --from`` with ``default: skip``), holds a case per region: 831 of them on a 20-concept
synthetic run, and ``ffade check`` printed an 833-line table in which its one failure was
somewhere. So a long table, as the report's tables, shows 15 rows, every
failing case always among them (each is a thing to act on, and the verdict's reason), the first
passing ones in the suite's order after, and one row counting the passing cases left out and
where every case is listed (the ``--junit`` file). The closing verdict line stays last, where a
CI log's reader looks. ``ffade loop``'s closing retest lines, one per case of the same kind of
suite, and the loop report's retest table are cut by the same rule (:mod:`ffade.shown_rows`).
"""

from __future__ import annotations

from pathlib import Path

from ffade.gate.evaluate import CaseResult
from ffade.shell_words import shell_path
from ffade.shown_rows import more_passing_line, shown

HEADER = ("case", "goal", "pairs", "failed", "rate", "max", "result", "where")


def table(results: list[CaseResult], junit: str | Path | None = None) -> str:
    """The human-readable result: the cases' rows (every one for up to 15,
    otherwise every failing one and the first passing ones), a row counting the passing cases
    left out, then the verdict. ``junit`` is the file that lists every case, if one is written.
    """
    shown_results = shown(results, lambda result: result.passed)
    rows = [HEADER, *(_row(r) for r in shown_results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) for row in rows]
    lines = [f"{line}  {row[-1]}" for line, row in zip(lines, rows, strict=True)]
    if left_out := len(results) - len(shown_results):
        where = shell_path(junit) if junit is not None else "--junit FILE.xml"
        lines.append(more_passing_line(left_out, where))
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} of {len(results)} cases passed")
    return "\n".join(lines)


def _row(result: CaseResult) -> tuple[str, ...]:
    return (
        result.case.name,
        result.case.goal,
        str(result.pairs),
        str(result.failures),
        *result.shown_rates(),
        "pass" if result.passed else "FAIL",
        result.case.conditions,
    )
