"""What ``ffade plugins`` (without ``--names``) says of each plugin: its source, purpose, arguments
and defaults, a concept's default grid, what a target returns and a reward scores.

Apart from :mod:`ffade.plugin_listing` because describing a plugin imports it, and ffade's plugin
checks import torch (seconds): ``ffade plugins --help`` and ``--names`` import neither.
"""

from __future__ import annotations

import inspect
from typing import Any

from ffade import registry
from ffade.errors import FfadeError
from ffade.plugin_checks import declared_kinds
from ffade.plugin_index import PluginInfo


def describe(row: PluginInfo) -> tuple[list[str], bool]:
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
