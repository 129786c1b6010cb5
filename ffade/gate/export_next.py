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
    """``next: ffade check --suite SUITE ...``: what it checks without ``--target``, and how to
    check a fine-tune's fixed model instead. ``suite`` is already one shell word."""
    fixes = sum(case.goal == "fix" for case in cases)
    own = "the run's own model"
    if fixes:
        own += f", which fails its {fixes} fix case{'' if fixes == 1 else 's'} by design"
    return (
        f"next: ffade check --suite {suite} --target FINE_TUNE_RUN_DIR (the fixed model; "
        f"without --target, {own})"
    )
