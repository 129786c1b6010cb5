"""``ffade loop``'s closing summary, and its exit status, which the summary cannot change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.loop_config import LoopConfig
from ffade.loop_next import rejected_next
from ffade.loop_retest import retest_line
from ffade.loop_stop import closing_lines
from ffade.shell_words import shell_path
from ffade.shown_rows import more_passing_line, shown
from ffade.summarize.report_shift import shift_line


def closing_summary(
    record: dict[str, Any], slices: str, loop: tuple[LoopConfig, str] | None = None
) -> int:
    """Print where each stage is and what shifted; return 0 for a fix accepted and verified, else 1.

    ``loop``: the loop config and its file as typed; a rejected fix's summary then ends with
    the ``next:`` line saying what to change and the command to run again (:mod:`ffade.loop_next`).

    The status comes from ``record`` (loop.json's) whatever the printing does: a reader gone by
    now (``ffade loop ... | head -3``) made a rejected loop exit 0 (see
    :func:`ffade.loop_stop.closing_lines`).
    """
    with closing_lines():
        print()
        seconds, loop_dir = record["wall_seconds"], shell_path(record["loop_dir"])
        print(f"loop {record['status']} in {seconds:.0f} s: {loop_dir}")
        for stage in ("discover", "feedback", "mitigate", "rediscover", "report"):
            if stage in record:
                print(f"  {stage:<10} {shell_path(record[stage])}")
        if "region_shift" in record:
            shift, threshold = record["region_shift"], record["config"]["threshold"]
            print(f"  {shift_line(shift, slices, threshold)}")
        if "retest" in record:
            retest = record["retest"]
            passed, total, kind = retest["passed"], len(retest["cases"]), retest["slices"]
            print(f"  {RETEST_HEAD}: {passed} of {total} {kind} pass")
            for line in retest_lines(retest["cases"], Path(record["loop_dir"]) / "loop.json"):
                print(f"    {line}")
        hint = rejected_next(record, *loop) if loop is not None else None
        if hint is not None:
            print(hint)
    return 0 if record["status"] == "finished" else 1


def retest_lines(cases: list[dict[str, Any]], listed_in: Path) -> list[str]:
    """A line per retest case, cut as ``ffade check``'s table is (every failing case, passing
    ones up to its cap, then a count naming ``listed_in``, loop.json, which holds every case):
    a loop whose feedback answered 831 regions printed 831 lines, its one failure among them."""
    lines = [retest_line(case) for case in shown(cases, lambda case: case["passed"])]
    if left_out := len(cases) - len(lines):
        lines.append(more_passing_line(left_out, shell_path(listed_in)))
    return lines


RETEST_HEAD = (
    "retest on the same sampled pairs, original vs fix (pass: the fix fails at most the case's max)"
)
"""What the retest line measures and what its "pass" means (``ffade check``'s criterion): a case
line's "(pass)" printed below "rules: 3 still failing, 0 fixed" read as a contradiction."""
