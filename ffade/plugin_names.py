"""The name a plugin's errors and warnings call it by, the same in every message.

A plugin is called by the name it was created or registered under (``plugin_name``), else by its
class. A plugin whose registered name is no name the user wrote says what to call it instead,
with an ``error_name`` attribute: a function passed to ``ffade.discover`` as the target is
registered as ``callable_target`` (its wrapper's class), so :class:`ffade.CallableTarget` names it
by the function's ``__qualname__``, as the README promises, in ffade's own checks too.
"""

from __future__ import annotations

import re
import sys

from ffade.installed_plugins import entries


def plugin_label(plugin: object, registered: str | None = None) -> str:
    """``error_name`` when the plugin gives one, else ``plugin_name``, else ``registered`` (the
    name a caller knows it by, for a plugin made without the registry), else its class name."""
    for name in (getattr(plugin, "error_name", None), getattr(plugin, "plugin_name", None)):
        if isinstance(name, str) and name:
            return name
    return registered or type(plugin).__name__


def snake_case(name: str) -> str:
    """A class name as a plugin name: ``MyReward`` -> ``my_reward``, ``HTTPReward`` ->
    ``http_reward`` (an acronym stays one word, not ``h_t_t_p``)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def default_name(group: str, cls: type) -> str:
    """The name a plugin class built in Python goes by when given none: the entry point it is
    installed under in ``group`` (``GaussianBlur()`` is ``gaussian_blur``, as in a config and
    in ``ffade plugins``), else its class name in snake case (``MyBlur`` -> ``my_blur``, as
    ``ffade.discover`` registers a class). Nothing is imported: the entry point's module is
    looked up among those already imported (the class's own, or one re-exporting it)."""
    for name, module, attr in _entries(group):  # sorted: a class under two names takes the first
        found: object = sys.modules.get(module)
        for part in attr.split(".") if found is not None else ():
            found = getattr(found, part, None)
        if found is cls:
            return name
    return snake_case(cls.__name__)


def _entries(group: str) -> tuple[tuple[str, str, str], ...]:
    """``group``'s installed entry points as (name, module, attribute), as installed now: a
    plugin pip-installed in the middle of a notebook session is named as it is installed."""
    return tuple((entry.name, entry.module, entry.attr or "") for entry in entries(group))
