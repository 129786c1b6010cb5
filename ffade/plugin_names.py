"""The name a plugin's errors and warnings call it by, the same in every message.

A plugin is called by the name it was created or registered under (``plugin_name``), else by its
class. A plugin whose registered name is no name the user wrote says what to call it instead,
with an ``error_name`` attribute: a function passed to ``ffade.discover`` as the target is
registered as ``callable_target`` (its wrapper's class), so :class:`ffade.CallableTarget` names it
by the function's ``__qualname__``, as the README promises, in ffade's own checks too.
"""

from __future__ import annotations


def plugin_label(plugin: object) -> str:
    """``error_name`` when the plugin gives one, else ``plugin_name``, else its class name."""
    for attribute in ("error_name", "plugin_name"):
        name = getattr(plugin, attribute, None)
        if isinstance(name, str) and name:
            return name
    return type(plugin).__name__
