"""Whether a plugin's method can be called as ffade calls it: one line naming the plugin, where
Python's own ``TypeError`` ("takes 1 positional argument but 2 were given") named neither it
nor the rule. Apart from ffade.plugin_checks so that ffade.plugin_api, which that module
imports, can check a concept's ``check_value`` before it first calls it."""

from __future__ import annotations

import inspect
from typing import Any

from ffade.errors import PluginError


def check_signature(instance: Any, kind: str, name: str, method: str, args: str) -> None:
    """One line unless ``instance.method`` can be called with ``args`` (positionally)."""
    try:
        signature = inspect.signature(getattr(instance, method))
    except (TypeError, ValueError):  # a builtin or C function: nothing to read
        return
    try:
        signature.bind(*args.split(", "))
    except TypeError:
        raise PluginError(
            f"{kind} '{name}': {type(instance).__name__}.{method}{signature} cannot be called "
            f"as {method}({args}), as ffade calls it; define {method}(self, {args}) "
            "(docs/plugins.md)"
        ) from None
