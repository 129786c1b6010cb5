"""The priorities a person can give a failure region, and the one reading of them.

Their own module, read by feedback.yaml's reader (:mod:`ffade.feedback.priorities`) and the
priorities file's (:mod:`ffade.feedback.priorities_file`), which the first also calls: apart, the
two readers need not import each other.
"""

from __future__ import annotations

from typing import Any

from ffade.errors import FfadeError, as_written

PRIORITY_WEIGHTS = {"high": 3.0, "medium": 2.0, "low": 1.0, "skip": 0.0}
"""Each priority and how much training weight it asks for (skip: none); most important first."""

PRIORITIES = tuple(PRIORITY_WEIGHTS)


SHORT = {p[0]: p for p in PRIORITIES}
"""One-letter priorities: h, m, l, s."""


def priority_named(text: str) -> str | None:
    """The priority ``text`` names, by word or first letter, in any case, with spaces around
    (``High``, `` m ``); None if it names none. The one reading of a priority: the prompt's
    answers and a file's (``--from``, feedback.yaml) mean the same ("h" was refused in a file)."""
    answer = text.strip().lower()
    return answer if answer in PRIORITY_WEIGHTS else SHORT.get(answer)


def check_priority(value: Any, where: str) -> str:
    """The priority ``value`` names, or a one-line error saying which ones exist."""
    priority = priority_named(value) if isinstance(value, str) else None
    if priority is not None:
        return priority
    raise FfadeError(
        f"{where}: priority {as_written(value)} is not allowed; choose {', '.join(PRIORITIES)} "
        f"(or {', '.join(SHORT)})"
    )
