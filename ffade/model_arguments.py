"""A run's model arguments checked without running it, as ``ffade loop`` does for every stage.

Explorers and fine-tuners check their arguments in their constructors, so ``ffade fit`` refuses
``budget: -5`` before any run directory exists. A loop's later stages used to be built only when
they started, so a bad value in the fine-tune config or in the loop's ``rediscover`` was found
after minutes of discovery. :func:`check_model_arguments` builds the module once from the config
before the loop's first stage: an explorer is cheap to build (its task is built in ``setup``);
a fine-tuner's constructor reads the discovery run it fixes, which the loop has not made yet, so
it stops right after its own and its subclass's argument checks
(:func:`stop_after_argument_checks`), before the run is read.
"""

from __future__ import annotations

import importlib
from contextvars import ContextVar
from typing import Any

from ffade.errors import FfadeError

_ARGUMENTS_ONLY: ContextVar[bool] = ContextVar("ffade_arguments_only", default=False)


class _ArgumentsChecked(Exception):
    """Ends a constructor under :func:`check_model_arguments` once its arguments passed."""


def stop_after_argument_checks() -> None:
    """Called by a constructor between checking its arguments and reading files they name."""
    if _ARGUMENTS_ONLY.get():
        raise _ArgumentsChecked


def check_model_arguments(model: dict[str, Any]) -> type | None:
    """Build ``model`` (a config's ``{class_path, init_args}``, as ``--print_config`` writes it,
    defaults filled) to run its constructor's argument checks; raises their :class:`FfadeError`.
    Returns the module's class (``None`` if it cannot be imported), for the checks that follow.

    Anything else a constructor raises here is left to the stage's own run, which builds the
    module through jsonargparse with the types it declares (a dict stands in for a dataclass
    here) and reports it in its own words.
    """
    cls = class_at(model.get("class_path"))
    if cls is None:
        return None  # jsonargparse already resolved it; nothing else to check here
    token = _ARGUMENTS_ONLY.set(True)
    try:
        cls(**(model.get("init_args") or {}))
    except FfadeError:
        raise
    except Exception:  # _ArgumentsChecked: they passed; anything else: see the docstring
        pass
    finally:
        _ARGUMENTS_ONLY.reset(token)
    return cls


def class_at(class_path: Any) -> type | None:
    """The class a config's ``class_path`` names (``None`` if it cannot be imported: jsonargparse
    says so in its own words)."""
    module_name, _, name = str(class_path or "").rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError):
        return None
