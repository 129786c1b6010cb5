"""What to say when a plain function is named where a target class goes.

A model that is a function (``predict(batch)``) needs no Target class: the ``callable`` target
wraps it (docs/plugins.md, The callable target). Named as a target's import path or listed under
``ffade.targets``, the function was refused as "not a subclass of ffade.plugin_api.Target",
which said what was wrong but not the documented way to use it as it is.
"""

from __future__ import annotations

import inspect
from typing import Any


def wrap_function_hint(kind: str, obj: Any) -> str:
    """``"; a function is searched through the callable target: ..."`` for a plain function
    given as a target, naming it as YAML names it; "" for anything else."""
    if kind != "target" or inspect.isclass(obj) or not inspect.isroutine(obj):
        return ""
    path = f"{obj.__module__}:{obj.__qualname__}"
    return (
        "; to search a function, wrap it in the callable target: "
        f'target: {{name: callable, args: {{predict: "{path}"}}}} '
        "(docs/plugins.md, The callable target)"
    )
