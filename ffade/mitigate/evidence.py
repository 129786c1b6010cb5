"""Whether the targeted failure rate changed beyond noise: mitigation.json's ``targeted_change``.

The guard accepts a fix that kept clean accuracy and lowered the targeted failure rate at all
(:mod:`ffade.mitigate.verdict`): 9.28% -> 9.25% on 1,200 held-out pairs is accepted, yet it is
a handful of pairs, well within what noise could show. A reader takes "accepted" for "the
failure is fixed", so the record and the closing lines also say whether the fall is clear.

The guard measures the very same (input, state) pairs before and after, so the test is a paired
one: an exact McNemar test (two-sided, 95%) on the discordant pairs, those that failed before
only (fixed) and after only (broken). Pairs that fail, or pass, both times say nothing about a
change; an unpaired two-proportion test counted them as noise and called clear falls unclear.
It changes no verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

LEVEL = 0.05
"""A change is clear when the exact two-sided p-value is below this (95%)."""

TEST = "exact McNemar test on the discordant pairs, two-sided, 95%"
UNPAIRED = (
    "; each pair's outcome before was not kept (a checkpoint of an earlier ffade), so the "
    "pairs are taken as discordant as the counts allow, the least clear case"
)
CLEAR_FALL, CLEAR_RISE, NO_CLEAR_CHANGE = "clear fall", "clear rise", "no clear change"
"""``outcome``'s values; :func:`ffade.run_endings.unclear_fix_line` reads them from the record."""


def targeted_change(
    failed_before: Sequence[bool] | None,
    failed_after: Sequence[bool],
    failures_before: int | None = None,
) -> dict[str, Any]:
    """mitigation.json's ``targeted_change`` from each targeted pair's outcome before and after
    (in the same order): the pairs, the failures among them before and after, the discordant
    pairs (``failed_before_only``: fixed, ``failed_after_only``: broken), McNemar's z (positive
    for a fall), the exact p-value and the ``outcome``: ``clear fall``, ``clear rise`` or ``no
    clear change``.

    ``failed_before`` None (a resumed fine-tune whose checkpoint kept only ``failures_before``)
    takes the pairing least favourable to a clear change, and records no discordant counts.
    """
    after = [bool(f) for f in failed_after]
    pairs, failures_after = len(after), sum(after)
    if failed_before is None:
        failures_before = failures_before or 0
        fixed = min(failures_before, pairs - failures_after)  # as many discordant as can be
        broken = fixed - failures_before + failures_after
    else:
        before = [bool(f) for f in failed_before]
        fixed = sum(b and not a for b, a in zip(before, after, strict=True))
        broken = sum(a and not b for b, a in zip(before, after, strict=True))
    p = exact_mcnemar_p(fixed, broken)
    outcome = NO_CLEAR_CHANGE if p >= LEVEL else CLEAR_FALL if fixed > broken else CLEAR_RISE
    z = 0.0 if fixed + broken == 0 else (fixed - broken) / math.sqrt(fixed + broken)
    return {
        "pairs": pairs,
        "failures_before": failures_after + fixed - broken,
        "failures_after": failures_after,
        "failed_before_only": None if failed_before is None else fixed,
        "failed_after_only": None if failed_before is None else broken,
        "z": round(z, 3),
        "p_value": float(f"{p:.4g}"),
        "test": TEST if failed_before is not None else TEST + UNPAIRED,
        "outcome": outcome,
    }


def exact_mcnemar_p(fixed: int, broken: int) -> float:
    """The two-sided exact McNemar p-value: under no change each discordant pair is fixed or
    broken with even odds, so the smaller count is binomial(fixed + broken, 1/2); twice its
    lower tail, at most 1. In logs, as guard_pairs may make the counts large."""
    n = fixed + broken
    if n == 0:
        return 1.0
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2)
        for i in range(min(fixed, broken) + 1)
    ]
    top = max(logs)
    return min(1.0, 2 * math.exp(top) * sum(math.exp(x - top) for x in logs))
