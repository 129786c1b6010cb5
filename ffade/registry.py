"""Find plugins through ``importlib.metadata`` entry points, one group per kind.

Loading is lazy: listing plugins imports nothing, and a plugin that fails to import is reported
with its name and distribution while every other plugin keeps working.
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from ffade.errors import FfadeError, PluginError
from ffade.plugin_api import Concept, Dataset, Reward, Target

KINDS: dict[str, tuple[str, type]] = {
    "target": ("ffade.targets", Target),
    "concept": ("ffade.concepts", Concept),
    "reward": ("ffade.rewards", Reward),
    "dataset": ("ffade.datasets", Dataset),
}
"""kind -> (entry-point group, base class every plugin of that kind subclasses)."""


@dataclass(frozen=True)
class PluginInfo:
    """One installed plugin as ``ffade plugins`` lists it."""

    kind: str
    name: str
    distribution: str
    value: str


def _distribution(entry: EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def _entries(kind: str) -> list[EntryPoint]:
    if kind not in KINDS:
        raise PluginError(f"unknown plugin kind '{kind}'; known kinds: {', '.join(KINDS)}")
    return sorted(entry_points(group=KINDS[kind][0]), key=lambda e: e.name)


def available(kind: str | None = None) -> list[PluginInfo]:
    """Every installed plugin (of one kind, or all), without importing any of them."""
    kinds = [kind] if kind else list(KINDS)
    return [PluginInfo(k, e.name, _distribution(e), e.value) for k in kinds for e in _entries(k)]


def load(kind: str, name: str) -> type:
    """Import the plugin class ``name`` of ``kind``, checking it is what the kind requires."""
    group, base = KINDS.get(kind, (None, None))
    matches = [e for e in _entries(kind) if e.name == name]
    if not matches:
        names = sorted({e.name for e in _entries(kind)})
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        known = ", ".join(names) or "none installed"
        raise PluginError(f"unknown {kind} '{name}'{hint}; known {kind}s: {known}")
    if len(matches) > 1:
        dists = "; ".join(f"{_distribution(e)} ({e.value})" for e in matches)
        raise PluginError(
            f"{kind} '{name}' is registered more than once in '{group}': {dists}. "
            "Uninstall one of these distributions."
        )
    entry = matches[0]
    try:
        obj = entry.load()
    except Exception as exc:  # a broken plugin must not take the others down with it
        raise PluginError(
            f"{kind} '{name}' from {_distribution(entry)} failed to import "
            f"({entry.value}): {type(exc).__name__}: {exc}"
        ) from exc
    if not (inspect.isclass(obj) and issubclass(obj, base)):
        raise PluginError(
            f"{kind} '{name}' from {_distribution(entry)} loads {obj!r}, "
            f"which is not a subclass of ffade.plugin_api.{base.__name__}"
        )
    return obj


def create(kind: str, name: str, init_args: dict[str, Any] | None = None) -> Any:
    """Load a plugin and construct it, checking its arguments against its signature first.

    Misspelled arguments get an error that lists the allowed ones, rather than a TypeError.
    """
    cls = load(kind, name)
    init_args = dict(init_args or {})
    params = inspect.signature(cls.__init__).parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    allowed = [p for p in params if p not in ("self", "args", "kwargs")]
    unknown = [k for k in init_args if k not in allowed]
    if unknown and not takes_kwargs:
        raise PluginError(
            f"{kind} '{name}' has no argument {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(allowed) or 'none'}"
        )
    if issubclass(cls, Concept) and ("label" in allowed or takes_kwargs):
        init_args.setdefault("label", name)
    try:
        instance = cls(**init_args)
    except FfadeError:
        raise
    except (TypeError, ValueError) as exc:
        raise PluginError(f"{kind} '{name}': {exc}") from exc
    instance.plugin_name = name
    return instance
