"""Why a fine-tune's training ended: its length, or a trainer limit that cut it short.

Split from :mod:`ffade.mitigate.base`, which calls it as training ends (mitigation.json's and
summary.json's ``stop_reason``); :mod:`ffade.run_length` says how long a fine-tune is where no
config says.
"""

from __future__ import annotations

import math
from typing import Any

from ffade.explore.stopping import SOME_LIMIT, TRAINER_STOPPED, trainer_stop_reason


def training_stop_reason(trainer: Any, step: int) -> str:
    """Why training ended (mitigation.json's ``stop_reason``). The fine-tune's length is what
    Lightning plans and the cosine schedule is sized to: ``max_epochs``, or fewer steps where
    ``max_steps`` says so. A trainer limit that ended it before (``max_time``, a callback)
    left it mid-schedule: the verdict must not pass that off as the fine-tune asked for."""
    planned = trainer.estimated_stepping_batches
    if not math.isfinite(planned):  # no max_epochs: the limit that ended it was its length
        return f"no max_epochs; {trainer_stop_reason(trainer)} after {step} steps"
    if step < planned:  # Lightning counts the epoch it cut as done: max_epochs it was not
        reason = trainer_stop_reason(trainer)
        reason = f"{TRAINER_STOPPED} ({SOME_LIMIT})" if "max_epochs" in reason else reason
        return f"{reason} after {step} of its {int(planned)} steps"
    epochs, max_steps = trainer.max_epochs, trainer.max_steps
    whole = math.inf if epochs in (None, -1) else epochs * trainer.num_training_batches
    if max_steps not in (None, -1) and max_steps < whole:  # it set the length: no early end
        return f"trainer.max_steps {max_steps} reached (fewer steps than max_epochs {epochs})"
    return f"trainer.max_epochs {trainer.max_epochs} trained ({step} steps)"
