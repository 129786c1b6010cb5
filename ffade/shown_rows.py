"""Which cases a long table shows: every failing one, passing ones up to a cap, a count of the rest.

``ffade check``'s table (:mod:`ffade.gate.check_table`), ``ffade loop``'s closing retest lines
(:mod:`ffade.loop_closing`) and the loop report's retest table
(:mod:`ffade.summarize.report_retest`) list one row per case of a suite that can hold hundreds
(one per region a feedback file answered). Each cuts by this one rule, so that a failure (a thing
to act on, and the verdict's reason) is never folded away behind its passing neighbours. Here at
the bottom of core, apart from the gate's torch, so that ``ffade report`` can use it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

MAX_TABLE_ROWS = 15
"""Cases a table shows in full (the report's cap too); a longer suite's rows are chosen below."""

Case = TypeVar("Case")


def shown(cases: list[Case], passed: Callable[[Case], bool]) -> list[Case]:
    """The cases a table lists, in the suite's order: all of a short suite; of a long one, every
    failing case and as many passing ones, first first, as fill :data:`MAX_TABLE_ROWS`.

    ``passed`` says whether a case passed: ``ffade check``'s are results, the loop's retest
    cases loop.json's mappings.
    """
    if len(cases) <= MAX_TABLE_ROWS:
        return cases
    room = max(MAX_TABLE_ROWS - sum(not passed(c) for c in cases), 0)
    kept = {id(c) for c in [c for c in cases if passed(c)][:room]}
    return [c for c in cases if not passed(c) or id(c) in kept]


def more_passing_line(count: int, listed_in: str) -> str:
    """``... 816 more passing cases: check.xml lists every case``: what :func:`shown` left out
    and ``listed_in``, where every case is (a file, or how to get one)."""
    cases = "case" if count == 1 else "cases"
    return f"... {count:,} more passing {cases}: {listed_in} lists every case"
