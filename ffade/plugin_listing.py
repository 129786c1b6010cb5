"""``ffade plugins [KIND] [--names]``: what is installed, what each plugin takes, which are broken.

A person writing a config needs each plugin's name, its arguments with their defaults and what
it does (the first line of its docstring); a plugin that cannot be imported is flagged with the
reason rather than listed as if it worked. ``--names`` lists names only, importing nothing.
"""

from __future__ import annotations

import argparse

from ffade import plugin_groups
from ffade.errors import OneLineParser
from ffade.plugin_index import GROUPS, PluginInfo, available


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="ffade plugins",
        description="List the installed ffade plugins: each one's arguments, defaults and "
        "purpose; plugins that fail to import are flagged BROKEN with the reason.",
    )
    kinds = [*GROUPS, *(f"{kind}s" for kind in GROUPS)]  # as the headers read
    p.add_argument(  # KIND: the eight choices made the usage line 88 columns wide
        "kind",
        nargs="?",
        choices=kinds,
        metavar="KIND",
        help=f"list only this kind: {', '.join(GROUPS)} (or as the listing heads them, "
        "targets, ...)",
    )
    p.add_argument("--names", action="store_true", help="names only; imports no plugin")
    return p


def main(argv: list[str]) -> int:
    """Run the command; returns the exit status (1 when a plugin is broken)."""
    args = parser().parse_args(argv)
    kind = args.kind.removesuffix("s") if args.kind else None
    rows = available(kind)
    kinds_shown = [kind] if kind else list(GROUPS)
    if not rows:
        print("no ffade plugins installed")
        return 0
    broken = 0
    for kind in GROUPS:
        kind_rows = [r for r in rows if r.kind == kind]
        if not kind_rows:
            continue
        print(f"{kind}s:")
        if args.names:
            broken += print_names(kind_rows)
            continue
        from ffade.plugin_description import describe  # imports torch: not for --names

        for row in kind_rows:
            lines, ok = describe(row)
            broken += not ok
            print("\n".join(lines))
    # a plugin under a misspelt group (ffade.concept): installed, yet no kind above lists it
    misfiled = [e for e in plugin_groups.misfiled(GROUPS) if e[0] in kinds_shown]
    if misfiled:
        print("not read (misspelt entry-point group):")
    for kind, entry in misfiled:
        line = plugin_groups.misfiled_line(kind, entry, GROUPS)
        print(f"  {entry.name}  BROKEN\n      {line}")
    broken += len(misfiled)
    if broken:
        print(f"{broken} plugin{'s' if broken != 1 else ''} BROKEN: see above; others work")
    return 1 if broken else 0


def print_names(rows: list[PluginInfo]) -> int:
    """Each name once; a name two packages declare is flagged (loading it fails, as the full
    listing says). Returns how many names are so broken."""
    broken = 0
    for name in dict.fromkeys(row.name for row in rows):
        twins = sorted(row.distribution for row in rows if row.name == name)
        broken += len(twins) > 1
        clash = f"  BROKEN: declared {len(twins)} times ({', '.join(twins)})"
        print(f"  {name}{clash if len(twins) > 1 else ''}")
    return broken
