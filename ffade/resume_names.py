"""In-process plugin names, as a resume compares a run's task with the call that continues it.

``ffade.discover(target=model)`` registers ``model`` for this process under a name made from its
class (``callable_target``), with a number added when an earlier call of the process took that
name (``callable_target_2``). The number says how many came before in *that* process, not which
model it is: a run stopped in one process and resumed in a fresh one (a restarted notebook, the
same script run again without its first calls) named the same model ``callable_target`` and was
refused as another run. Such names are compared without their number.
"""

from __future__ import annotations

import re
from typing import Any

from ffade import registry

PIECES = ("target", "dataset", "reward")
"""The task's plugin keys besides ``concepts``, a list of them."""


def as_saved(saved: Any, now: Any) -> Any:
    """``now`` (a task as a dict) with each plugin this process registered in-process named as
    ``saved`` names it, where the two differ only by the number that keeps in-process names
    apart; every other difference is left for the resume's check to name."""
    if not (isinstance(saved, dict) and isinstance(now, dict)):
        return now
    now = dict(now)
    for key in PIECES:
        now[key] = _named_as(key, saved.get(key), now.get(key))
    old, new = saved.get("concepts"), now.get("concepts")
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        now["concepts"] = [_named_as("concept", a, b) for a, b in zip(old, new, strict=True)]
    return now


def _named_as(kind: str, saved: Any, now: Any) -> Any:
    if not (isinstance(saved, dict) and isinstance(now, dict)):
        return now
    old, new = saved.get("name"), now.get("name")
    if not (isinstance(old, str) and isinstance(new, str)) or old == new:
        return now
    base = re.sub(r"_\d+$", "", new)
    in_process = any(
        info.name == new and info.distribution == registry.IN_PROCESS
        for info in registry.available(kind)
    )
    if in_process and re.fullmatch(rf"{re.escape(base)}(_\d+)?", old):
        return {**now, "name": old}
    return now
