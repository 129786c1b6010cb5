"""Which plugins there are, by kind and name, from entry-point metadata and :func:`register` alone.

Kept apart from :mod:`ffade.registry`, which loads and checks plugins against ffade's base classes
(``ffade.plugin_api``, which imports torch: seconds of a start): ``ffade plugins --help`` and
``ffade plugins --names`` need only the names, and took 3.7-6.6 s (at load 8-12) while
``ffade report --help`` took 0.9-1.9 s. Nothing here imports a plugin or torch.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from typing import Any

from ffade.errors import PluginError
from ffade.installed_plugins import distribution, entries

GROUPS: dict[str, str] = {
    "target": "ffade.targets",
    "concept": "ffade.concepts",
    "reward": "ffade.rewards",
    "dataset": "ffade.datasets",
}
"""kind -> the entry-point group its plugins are installed under, in the listing's order."""

IN_PROCESS = "in-process"
"""The distribution ``ffade plugins`` shows for plugins registered with :func:`register`."""

registered_plugins: dict[tuple[str, str], Any] = {}
"""(kind, name) -> the class or instance :func:`register` was given, for this process only."""


@dataclass(frozen=True)
class PluginInfo:
    """One installed plugin as ``ffade plugins`` lists it."""

    kind: str
    name: str
    distribution: str
    value: str


def kind_entries(kind: str) -> list[EntryPoint]:
    """The entry points installed for ``kind``, sorted by name; an unknown kind is refused."""
    if kind not in GROUPS:
        raise PluginError(f"unknown plugin kind '{kind}'; known kinds: {', '.join(GROUPS)}")
    return list(entries(GROUPS[kind]))  # read again only once what is installed changes


def qualified(obj: Any) -> str:
    """``module:Class`` of a class, or of an instance's class."""
    cls = obj if inspect.isclass(obj) else type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def available(kind: str | None = None) -> list[PluginInfo]:
    """Every plugin (of one kind, or all), installed or registered, without importing any."""
    kinds = [kind] if kind else list(GROUPS)
    installed = [
        PluginInfo(k, e.name, distribution(e), e.value) for k in kinds for e in kind_entries(k)
    ]
    registered = [
        PluginInfo(k, n, IN_PROCESS, qualified(obj))
        for (k, n), obj in sorted(registered_plugins.items(), key=lambda item: item[0])
        if k in kinds
    ]
    return installed + registered
