"""``ffade loop``'s closing summary, and its exit status, which the summary cannot change."""

from __future__ import annotations

from typing import Any

from ffade.loop_retest import retest_line
from ffade.loop_stop import closing_lines


def closing_summary(record: dict[str, Any], slices: str) -> int:
    """Print where each stage is and what shifted; return 0 for a fix accepted and verified, else 1.

    The status comes from ``record`` (loop.json's) whatever the printing does: a reader gone by
    now (``ffade loop ... | head -3``) made a rejected loop exit 0 (see
    :func:`ffade.loop_stop.closing_lines`).
    """
    with closing_lines():
        print()
        print(f"loop {record['status']} in {record['wall_seconds']:.0f} s: {record['loop_dir']}")
        for stage in ("discover", "feedback", "mitigate", "rediscover", "report"):
            if stage in record:
                print(f"  {stage:<10} {record[stage]}")
        if "region_shift" in record:
            shift = record["region_shift"]
            print(  # the first run's slices, followed into the second (loop.json's region_shift)
                f"  {slices}: "
                + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in shift.items())
            )
        if "retest" in record:
            retest = record["retest"]
            passed, total, kind = retest["passed"], len(retest["cases"]), retest["slices"]
            print(f"  retest: {passed} of {total} {kind} pass on the same sampled pairs")
            for case in retest["cases"]:
                print(f"    {retest_line(case)}")
    return 0 if record["status"] == "finished" else 1
