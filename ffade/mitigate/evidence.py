"""Whether the targeted failure rate changed beyond noise: mitigation.json's ``targeted_change``.

The guard accepts a fix that kept clean accuracy and lowered the targeted failure rate at all
(:mod:`ffade.mitigate.verdict`): 9.28% -> 9.25% on 1,200 held-out pairs is accepted, yet it is
a handful of pairs, well within what a rerun of an unchanged model's sampling could show. A
reader takes "accepted" for "the failure is fixed", so the record and the closing lines also say
whether the fall is clear: a two-sided two-proportion z-test at 95% on the failures counted
before and after. The pairs are the same before and after, which makes the two counts agree
more than independent samples would: this test, which ignores that, calls a change clear less
often than a paired one: noise reads "clear fall" under 2.5% of the time. It changes no verdict.
"""

from __future__ import annotations

import math
from typing import Any

Z_95 = 1.959963984540054
"""The two-sided 95% point of the standard normal distribution."""

TEST = "two-proportion z-test, two-sided, 95%"
CLEAR_FALL, CLEAR_RISE, NO_CLEAR_CHANGE = "clear fall", "clear rise", "no clear change"
"""``outcome``'s values; :func:`ffade.run_endings.unclear_fix_line` reads them from the record."""


def targeted_change(before: float, after: float, pairs: int) -> dict[str, Any]:
    """mitigation.json's ``targeted_change``: the targeted pairs, the failures among them before
    and after (the rates times ``pairs``, which they were counted on), the test's z (positive
    for a fall) and its ``outcome``: ``clear fall``, ``clear rise`` or ``no clear change``."""
    failed_before, failed_after = round(before * pairs), round(after * pairs)
    z = _z(failed_before, failed_after, pairs)
    if z >= Z_95:
        outcome = CLEAR_FALL
    elif z <= -Z_95:
        outcome = CLEAR_RISE
    else:
        outcome = NO_CLEAR_CHANGE
    return {
        "pairs": pairs,
        "failures_before": failed_before,
        "failures_after": failed_after,
        "z": round(z, 3),
        "test": TEST,
        "outcome": outcome,
    }


def _z(failed_before: int, failed_after: int, pairs: int) -> float:
    """The pooled two-proportion z statistic of the fall; 0 with no pairs or no spread."""
    if pairs <= 0:
        return 0.0
    pooled = (failed_before + failed_after) / (2 * pairs)
    spread = math.sqrt(pooled * (1 - pooled) * 2 / pairs)
    return 0.0 if spread == 0 else (failed_before - failed_after) / pairs / spread
