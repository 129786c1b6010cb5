"""ffade: find where vision and language models fail, then fade those failures.

The Python API mirrors the command line::

    import ffade
    run = ffade.discover(target=..., dataset="digits", reward="misclassification",
                         concepts=["rotation", "gaussian_blur"], budget=500)
    run.report()

Names are imported on first use, so ``import ffade`` (and ``ffade --help``) stays light: torch
and Lightning load only when a run needs them.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from ffade.inductor_cache import remove_if_left_empty

__version__ = "0.1.0"

remove_if_left_empty()  # the empty folder torch's import makes in $TMPDIR, at the process's end

_EXPORTS = {
    "discover": "ffade.api.calls",
    "report": "ffade.api.run",
    "mitigate": "ffade.api.calls",
    "Run": "ffade.api.run",
    "register": "ffade.registry",
    "FfadeError": "ffade.errors",
    "FfadeWarning": "ffade.errors",
    "CallableTarget": "ffade.callable_target",
    "Target": "ffade.plugin_api",
    "Concept": "ffade.plugin_api",
    "Reward": "ffade.plugin_api",
    "Dataset": "ffade.plugin_api",
    "Scores": "ffade.plugin_api",
}
"""Public name -> the module that defines it, imported by :func:`__getattr__` on first use."""

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """A public name from its module; else a submodule, imported on first use, so that the
    names the docs write out (``ffade.registry.available()``, ``ffade.task.build_task``) work
    after a plain ``import ffade``, as they would had ``import ffade`` imported them all."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ffade' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
