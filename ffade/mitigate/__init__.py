"""Mitigation: fine-tune a target on the failures a person prioritized, guarding clean accuracy.

:class:`FineTuner` (:mod:`.base`) is the task-agnostic LightningModule: a plan from the run and
its feedback (:mod:`.plan`), training pairs from the finetune split (:mod:`.data`), the guard on
the heldout split (:mod:`.guard`), and mitigation.json. :class:`ClassifierFineTuner`
(:mod:`.classifier`) trains classifiers with cross-entropy and SGD.

Called, ``ffade.mitigate(run, priorities=None, *, finetuner="classifier", max_epochs=None, ...)``
is the Python API's :func:`ffade.api.calls.mitigate` (``help(ffade.api.calls.mitigate)``).
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from ffade.mitigate.base import MITIGATION_FILE, MODEL_FILE, FineTuner
from ffade.mitigate.classifier import ClassifierFineTuner

__all__ = ["MITIGATION_FILE", "MODEL_FILE", "ClassifierFineTuner", "FineTuner"]


class _CallablePackage(types.ModuleType):
    """``ffade.mitigate`` is both this package and the API's ``ffade.mitigate(run, ...)``.

    Importing a subpackage sets it as an attribute of its parent, which would hide the function
    once anything imported this package; so the package answers the call itself.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from ffade.api.calls import mitigate

        return mitigate(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        """The function's, not ``(*args, **kwargs)``: what ``inspect`` and a notebook show."""
        from ffade.api.calls import mitigate

        return inspect.signature(mitigate)


sys.modules[__name__].__class__ = _CallablePackage
