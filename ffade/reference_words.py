"""The word a caption calls an input's reference by: "label" or "reference".

One rule for every caption that names a reference: feedback's region examples and the run's own
example pictures (and their PNG ``Description``) read the same, so a regression's number is never
a "label" in one and a "reference" in the other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ffade.plugin_checks import OUTPUT_KINDS


def reference_word(target: Any, references: list[Any]) -> str:
    """The caption's word for the references: "label" for a classifier's, a text or image
    model's (a class, a text), as captions always said; "reference" for a regression's numbers (a
    target of an output_kind of its own, or float references): "label 71.0" read as a class."""
    kind = getattr(target, "output_kind", None)
    numbers = [
        r.item() if isinstance(r, torch.Tensor) and r.numel() == 1 else r for r in references
    ]
    floats = bool(numbers) and all(isinstance(r, (float, np.floating)) for r in numbers)
    return "reference" if floats or (kind is not None and kind not in OUTPUT_KINDS) else "label"
