"""The ``next:`` line ``ffade export`` closes with: the check to run on the suite it wrote.

``ffade fit``, ``report``, ``feedback`` and a fine-tune each end by naming the command to type
next; export ended with ``5 cases, 640 pairs -> suite.yaml`` alone, and a first ``ffade check
--suite suite.yaml`` then exited 1 with a FAIL row, which reads as a broken suite unless one knows
that it checked the exported run's own model, which a ``fix`` case is made to fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ffade.gate.run_fixes import accepted_fine_tunes
from ffade.gate.suite import Case
from ffade.shell_words import shell_path


def export_next(suite: str, cases: Sequence[Case], run_dir: str | Path) -> str:
    """``next: ffade check --suite SUITE ...``: how to check a fine-tune's fixed model, and what
    the check gives without ``--target`` (the cases the exported model fails as measured: by
    default each ``fix`` case with a failure in it). ``suite`` is already one shell word.
    The newest accepted fine-tune of ``run_dir`` found beside it is named
    (:func:`ffade.gate.run_fixes.accepted_fine_tunes`), else a placeholder."""
    fine_tunes = accepted_fine_tunes(run_dir)
    failing = sum(case.measured["failure_rate"] > case.max_failure_rate for case in cases)
    own = (
        f"fails {failing} of its {len(cases)} case{'' if len(cases) == 1 else 's'}"
        if failing
        else "passes every case"
    )
    fixed = "the fixed model"
    if len(fine_tunes) > 1:
        fixed += f": the newest of the run's {len(fine_tunes)} accepted fine-tunes"
    elif fine_tunes:
        fixed += ": the run's accepted fine-tune"
    target = shell_path(fine_tunes[0]) if fine_tunes else "FINE_TUNE_RUN_DIR"
    return (
        f"next: ffade check --suite {suite} --target {target} ({fixed}; "
        f"without --target, the run's own model, which {own}, as export measured it)"
    )
