"""``ffade plugins [KIND] [--names]``: what is installed, what each plugin takes, which are broken.

A person writing a config needs each plugin's name, its arguments with their defaults and what
it does (the first line of its docstring); a plugin that cannot be imported is flagged with the
reason rather than listed as if it worked. ``--names`` lists names only, importing nothing.
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any

from ffade import plugin_groups, registry
from ffade.errors import FfadeError, OneLineParser
from ffade.plugin_checks import declared_kinds


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="ffade plugins",
        description="List the installed ffade plugins: each one's arguments, defaults and "
        "purpose; plugins that fail to import are flagged BROKEN with the reason.",
    )
    kinds = [*registry.KINDS, *(f"{kind}s" for kind in registry.KINDS)]  # as the headers read
    p.add_argument(  # KIND: the eight choices made the usage line 88 columns wide
        "kind",
        nargs="?",
        choices=kinds,
        metavar="KIND",
        help=f"list only this kind: {', '.join(registry.KINDS)} (or as the listing heads them, "
        "targets, ...)",
    )
    p.add_argument("--names", action="store_true", help="names only; imports no plugin")
    return p


def main(argv: list[str]) -> int:
    """Run the command; returns the exit status (1 when a plugin is broken)."""
    args = parser().parse_args(argv)
    kind = args.kind.removesuffix("s") if args.kind else None
    rows = registry.available(kind)
    kinds_shown = [kind] if kind else list(registry.KINDS)
    if not rows:
        print("no ffade plugins installed")
        return 0
    broken = 0
    for kind in registry.KINDS:
        kind_rows = [r for r in rows if r.kind == kind]
        if not kind_rows:
            continue
        print(f"{kind}s:")
        if args.names:
            broken += print_names(kind_rows)
            continue
        for row in kind_rows:
            lines, ok = describe(row)
            broken += not ok
            print("\n".join(lines))
    # a plugin under a misspelt group (ffade.concept): installed, yet no kind above lists it
    misfiled = [e for e in plugin_groups.misfiled(registry.GROUPS) if e[0] in kinds_shown]
    if misfiled:
        print("not read (misspelt entry-point group):")
    for kind, entry in misfiled:
        line = plugin_groups.misfiled_line(kind, entry, registry.GROUPS)
        print(f"  {entry.name}  BROKEN\n      {line}")
    broken += len(misfiled)
    if broken:
        print(f"{broken} plugin{'s' if broken != 1 else ''} BROKEN: see above; others work")
    return 1 if broken else 0


def print_names(rows: list[registry.PluginInfo]) -> int:
    """Each name once; a name two packages declare is flagged (loading it fails, as the full
    listing says). Returns how many names are so broken."""
    broken = 0
    for name in dict.fromkeys(row.name for row in rows):
        twins = sorted(row.distribution for row in rows if row.name == name)
        broken += len(twins) > 1
        clash = f"  BROKEN: declared {len(twins)} times ({', '.join(twins)})"
        print(f"  {name}{clash if len(twins) > 1 else ''}")
    return broken


def describe(row: registry.PluginInfo) -> tuple[list[str], bool]:
    """A plugin's lines (name, distribution, purpose, arguments) and whether it imports."""
    head = f"  {row.name}  ({row.distribution}; {row.value})"
    try:
        cls = registry.load(row.kind, row.name)
    except FfadeError as error:
        return [f"{head}  BROKEN", f"      {error}"], False
    summary = purpose(cls)
    lines = [head]
    if summary:
        lines.append(f"      {summary}")
    arguments = signature_text(cls)
    lines.append(f"      args: {arguments or 'none'}")
    # what a target returns and a reward scores, when declared: which reward fits which target
    if row.kind == "concept":  # `values=None` above stands for this grid, or for none
        lines.append(f"      {default_grid_text(cls)}")
    if row.kind == "target" and getattr(cls, "output_kind", None):
        lines.append(f"      returns: {cls.output_kind}")
    if row.kind == "reward" and declared_kinds(cls):
        lines.append(f"      scores: {', '.join(declared_kinds(cls) or ())}")
    return lines, True


def purpose(cls: Any) -> str:
    """The first line of the plugin's own docstring, or of a base it shares with other plugins;
    never ffade's base classes' (``Reward``'s "Turns outputs ..."), which a plugin with none
    would show as if it were its own purpose."""
    for klass in getattr(cls, "__mro__", (type(cls),)):
        if klass.__module__ == "ffade.plugin_api" or klass is object:
            break
        doc = klass.__dict__.get("__doc__")
        if isinstance(doc, str) and doc.strip():
            return inspect.cleandoc(doc).split("\n", 1)[0]
    return ""


def default_grid_text(cls: Any) -> str:
    """The grid a concept searches when a config gives no ``values``, and its neutral value:
    the listing's ``values=None`` alone would not say which values those are, or that a
    concept with no ``default_values`` needs them given."""
    grid = [_short(value) for value in getattr(cls, "default_values", ()) or ()]
    if not grid:
        return "default grid: none (a config gives its values: [...])"
    notes = [f"{len(grid)} values"] if len(grid) > 8 else []
    if len(grid) > 8:
        grid = [*grid[:6], "...", grid[-1]]
    init = getattr(cls, "__init__", None)
    if "neutral" not in inspect.signature(init).parameters:  # else it is an argument, above
        notes.append(f"neutral {_short(getattr(cls, 'neutral', None))}")
    return f"default grid: {', '.join(grid)}" + (f" ({'; '.join(notes)})" if notes else "")


def signature_text(cls: type) -> str:
    """``name=default`` for each constructor argument (``name`` alone when required)."""
    parts = []
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        parts.append(name if param.default is param.empty else f"{name}={_short(param.default)}")
    return ", ".join(parts)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
