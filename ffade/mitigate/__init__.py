"""Mitigation: fine-tune a target on the failures a person prioritized, guarding clean accuracy.

:class:`FineTuner` (:mod:`.base`) is the task-agnostic LightningModule: a plan from the run and
its feedback (:mod:`.plan`), training pairs from the finetune split (:mod:`.data`), the guard on
the heldout split (:mod:`.guard`), and mitigation.json. :class:`ClassifierFineTuner`
(:mod:`.classifier`) trains classifiers with cross-entropy and SGD.
"""

from __future__ import annotations

from ffade.mitigate.base import MITIGATION_FILE, MODEL_FILE, FineTuner
from ffade.mitigate.classifier import ClassifierFineTuner

__all__ = ["MITIGATION_FILE", "MODEL_FILE", "ClassifierFineTuner", "FineTuner"]
