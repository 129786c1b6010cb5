"""Numbers as ffade prints or draws them: never rounder than true.

A rounded number can say what is false. A softmax probability of 0.996 printed ``p=1.00``
claims a certain prediction; 999 failures in 1000 printed "100%" claim every one; a clean
accuracy that fell from 95.04% to 94.96% printed "95.0% -> 95.0%" claims nothing changed; a CLIP
cosine of 0.296 printed "0.30 (failing below 0.3)" fails for no reason a reader can see. One
rule for all of them, here at the bottom of core so that every part and every plugin can use it
(plugins import core; core imports no plugin): a share strictly between none and all never
reads as either end, and two different numbers set side by side never read as the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any, Literal

MORE_DECIMALS = 4
"""How many decimals past those asked for :func:`told_apart` may add: enough to tell apart any
two shares of counts up to 10^5 (or 10^7, as percents), short enough to stay readable."""


def percent(share: float, end: Literal["low", "high"] | None = None) -> str:
    """A share from 0 to 1 as a whole percent, "0%" and "100%" kept for none and all.

    Plain rounding reads 999 failures of 1000 as "100% failure", rules covering 812 of 813
    failing states as covering "100%", and the interval of 1000 failures in 1000 as "100-100%"
    (a Wilson interval's lower end stays below 100%): a reader takes each for all. A share
    strictly between 0 and 1 reads 1% to 99% instead. An interval's ``end`` is held on its own
    side only, so it stays a bound: a lower end of 0.02% still reads 0, an upper end of 99.98% 100.
    """
    value = round(float(share) * 100)
    if 0 < share < 1:
        value = min(value, 99) if end != "high" else value
        value = max(value, 1) if end != "low" else value
    return f"{value}%"


def share(value: float, decimals: int = 2, *, as_percent: bool = False) -> str:
    """A share (a probability, an accuracy, a failure rate) with ``decimals`` decimals, as a
    plain number or (``as_percent``) a percent, and the rule of :func:`percent`: strictly between
    0 and 1 it never reads as either end, so a softmax's 0.996 reads "0.99", not "1.00", and a
    failure rate of 0.9996 "99.9%", not "100.0%". Values outside [0, 1] read as they are."""
    scale, unit = (100, "%") if as_percent else (1, "")
    shown = value * scale
    step = 10.0**-decimals
    if 0 < value < 1:  # held one step inside the ends it would otherwise round to
        shown = min(max(shown, step), scale - step)
    return f"{shown:.{decimals}f}{unit}"


def told_apart(
    before: float, after: float, decimals: int = 2, show: Callable[[float, int], str] | None = None
) -> tuple[str, str]:
    """``before`` and ``after`` with ``decimals`` decimals, or as many more (up to
    :data:`MORE_DECIMALS`) as keep two different numbers from reading the same: a clean accuracy
    that fell from 95.04% to 94.96% reads "95.04% -> 94.96%", not "95.0% -> 95.0%", a change
    the guard weighed printed as none. ``show(value, decimals)`` writes one number (default: the
    plain number, ``f"{value:.{decimals}f}"``). An unknown one (None, NaN) is shown as ``show``
    shows it, the other with ``decimals``."""
    before_shown, after_shown = all_told_apart([before, after], decimals, show)
    return before_shown, after_shown


def all_told_apart(
    values: Sequence[float], decimals: int = 2, show: Callable[[float, int], str] | None = None
) -> list[str]:
    """Numbers set side by side (a rate before, after, and the most it may be), each pair of
    different ones told apart as :func:`told_apart` tells two."""
    show = show or (lambda value, digits: f"{value:.{digits}f}")
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in values):
        return [show(x, decimals) for x in values]
    for digits in range(decimals, decimals + MORE_DECIMALS + 1):
        shown = [show(x, digits) for x in values]
        pairs = combinations(zip(values, shown, strict=True), 2)
        if all((x == y) == (a == b) for (x, a), (y, b) in pairs):
            break
    return shown


def shares_told_apart(
    before: float, after: float, decimals: int = 1, *, as_percent: bool = True
) -> tuple[str, str]:
    """Two shares by :func:`share` (as percents unless told otherwise), told apart by
    :func:`told_apart`."""
    return told_apart(
        before, after, decimals, lambda value, digits: share(value, digits, as_percent=as_percent)
    )


def beside(value: float, limit: float, decimals: int = 2) -> str:
    """``value`` with ``decimals`` decimals, or as many more (up to :data:`MORE_DECIMALS`) as keep
    it on its own side of ``limit`` as printed (``f"{limit:g}"``): a CLIP cosine of 0.296 reads
    "0.296 (failing below 0.3)", not "0.30", which is not below 0.3."""
    for digits in range(decimals, decimals + MORE_DECIMALS + 1):
        shown = f"{value:.{digits}f}"
        if (float(shown) < limit) == (value < limit):
            break
    return shown


def count(value: float, end: Literal["low", "high"] | None = None) -> str:
    """An estimated count (failing pairs not found yet: 6537.8, or 0.4) as a whole number with
    thousands separators. Rounded, 0.4 read "0": none left, where the probes found some. A value
    strictly between 0 and 1 reads "<1" instead; an interval's ``end`` is rounded away from the
    inside (``low`` down, ``high`` up), so it stays a bound: an upper end of 0.4 reads 1, not 0."""
    if end == "low":
        return f"{math.floor(value):,}"
    if end == "high":
        return f"{math.ceil(value):,}"
    return "<1" if 0 < value < 1 else f"{value:,.0f}"


def change_note(record: dict[str, Any]) -> str:
    """`` (no clear change)`` after a fine-tune's targeted failure rates before -> after, where
    mitigation.json's ``targeted_change`` (:mod:`ffade.mitigate.evidence`) says the change is
    within noise (`` (clear rise)`` for a clear rise); "" for a clear fall and for a record
    written before ``targeted_change``. 24% -> 19% of a few pairs reads as a fixed failure
    without it, where one line of a run's or report's figures is all a reader sees."""
    change = record.get("targeted_change")
    outcome = change.get("outcome") if isinstance(change, dict) else None
    return f" ({outcome})" if isinstance(outcome, str) and outcome != "clear fall" else ""
