"""A finished search's per-state counts from its evaluator's memo, where they are its log's.

``ffade fit`` ends with the run's top failure rule, found on the landscape ``ffade report``
reads from evaluations.jsonl. Reading back a log of 200,000 evaluations took seconds, spent on
lines this very process wrote a moment before from its memo: every logged line is one memo
entry. Where that holds beyond doubt (the recorder began the log, wrote one line per memo entry,
and the file is still what it left; no evaluation invalid, which the memo does not mark), the
memo's counts are the log's, and the ending reads them; anywhere else it reads the log.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def logged_state_counts(explorer: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The states the log ``explorer`` wrote holds (flat, ascending) with each one's evaluations
    and failures, from its memo; None where the memo may not be the log (a resumed run, say)."""
    evaluator = getattr(explorer, "evaluator", None)
    recorder = getattr(evaluator, "recorder", None)
    if evaluator is None or recorder is None or evaluator.invalid:
        return None
    memo = evaluator.memo
    if not (len(memo) == evaluator.evaluations == recorder.lines_written):
        return None
    if not recorder.wrote_whole_log():
        return None
    keys = np.fromiter(memo, np.int64, len(memo))
    failed = np.fromiter((bool(row[2]) for row in memo.values()), bool, len(memo))
    visited, where = np.unique(keys % evaluator.space.num_states, return_inverse=True)
    evaluations = np.bincount(where, minlength=visited.size).astype(np.int64)
    failures = np.bincount(where[failed], minlength=visited.size).astype(np.int64)
    return visited.astype(np.int64), evaluations, failures
