"""Entry points an author meant for ffade but listed under a misspelt group (``ffade.concept``).

ffade reads four entry-point groups only; a plugin under any other is invisible, and its name
would be "unknown" although its package is installed. These helpers find such entry points, by
a group name close to one of ffade's, without importing anything.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from importlib.metadata import EntryPoint

from ffade import installed_plugins


def _normal(group: str) -> str:
    return group.strip().lower().replace("_", ".").replace("-", ".")


def misfiled(groups: dict[str, str]) -> list[tuple[str, EntryPoint]]:
    """``(kind, entry point)`` for each entry point in a group that is not ffade's but is close
    to the group of ``kind`` (``groups``: kind -> ffade's group): a misspelling."""
    by_group = {group: kind for kind, group in groups.items()}
    found = []
    for group in installed_plugins.groups():
        if group in by_group:
            continue
        close = difflib.get_close_matches(_normal(group), list(by_group), n=1, cutoff=0.85)
        if close:
            found += [(by_group[close[0]], e) for e in installed_plugins.entries(group)]
    return found


def misfiled_line(kind: str, entry: EntryPoint, groups: dict[str, str]) -> str:
    """Where the entry point is, that ffade does not read it, and where it belongs."""
    dist = getattr(entry, "dist", None)
    source = f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"
    return (
        f"{source} lists {kind} '{entry.name}' ({entry.value}) under the entry-point group "
        f"'{entry.group}', which ffade does not read; list it under '{groups[kind]}' and "
        "reinstall the package"
    )


def unknown_name(
    kind: str, name: str, names: list[str], groups: dict[str, str], broken: Sequence[str] = ()
) -> str:
    """The line for a plugin name no entry point of ``kind`` has (``names``: those there are):
    the group it was misfiled under, if so, else the closest name or every name. The ``broken``
    ones (they fail to import) are not "known": naming one there sent a user to a plugin that
    then failed too; they follow, flagged BROKEN as ``ffade plugins`` flags them, and so is the
    closest name when it is a broken one."""
    for entry_kind, entry in misfiled(groups):
        if entry_kind == kind and entry.name == name:
            return f"unknown {kind} '{name}': {misfiled_line(kind, entry, groups)}"
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    if close and close[0] in broken:  # the right name, but using it fails too: say so first
        hint = f" (did you mean '{close[0]}'? it is BROKEN: see ffade plugins)"
    working = [n for n in names if n not in broken]
    known = ", ".join(working) or ("none working" if broken else "none installed")
    if broken:
        known += f"; BROKEN (see ffade plugins): {', '.join(broken)}"
    # on a fresh machine (a CI job) the usual cause is the plugin's package left uninstalled
    missing = "" if close else f"; a plugin's {kind} comes with its package: is it installed?"
    return f"unknown {kind} '{name}'{hint}; known {kind}s: {known}{missing}"
