"""The name a plugin's errors and warnings call it by, the same in every message.

A plugin is called by the name it was created or registered under (``plugin_name``), else by its
class. A plugin whose registered name is no name the user wrote says what to call it instead,
with an ``error_name`` attribute: a function passed to ``ffade.discover`` as the target is
registered as ``callable_target`` (its wrapper's class), so :class:`ffade.CallableTarget` names it
by the function's ``__qualname__``, as the README promises, in ffade's own checks too.
"""

from __future__ import annotations


def plugin_label(plugin: object, registered: str | None = None) -> str:
    """``error_name`` when the plugin gives one, else ``plugin_name``, else ``registered`` (the
    name a caller knows it by, for a plugin made without the registry), else its class name."""
    for name in (getattr(plugin, "error_name", None), getattr(plugin, "plugin_name", None)):
        if isinstance(name, str) and name:
            return name
    return registered or type(plugin).__name__
