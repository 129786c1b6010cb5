"""The ``next:`` line ``ffade export`` closes with: the check to run on the suite it wrote.

``ffade fit``, ``report``, ``feedback`` and a fine-tune each end by naming the command to type
next; export ended with ``5 cases, 640 pairs -> suite.yaml`` alone, and a first ``ffade check
--suite suite.yaml`` then exited 1 with a FAIL row, which reads as a broken suite unless one knows
that it checked the exported run's own model, which a ``fix`` case is made to fail.
"""

from __future__ import annotations

from collections.abc import Sequence

from ffade.gate.suite import Case


def export_next(suite: str, cases: Sequence[Case]) -> str:
    """``next: ffade check --suite SUITE ...``: how to check a fine-tune's fixed model, and what
    the check gives without ``--target`` (the cases the exported model fails as measured: by
    default each ``fix`` case with a failure in it). ``suite`` is already one shell word."""
    failing = sum(case.measured["failure_rate"] > case.max_failure_rate for case in cases)
    own = (
        f"fails {failing} of its {len(cases)} case{'' if len(cases) == 1 else 's'}"
        if failing
        else "passes every case"
    )
    return (
        f"next: ffade check --suite {suite} --target FINE_TUNE_RUN_DIR (the fixed model; "
        f"without --target, the run's own model, which {own}, as export measured it)"
    )
