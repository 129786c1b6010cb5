"""A fine-tuner that declares no ``output_kinds``, for loops whose fine-tune is never reached.

``ffade loop`` refuses a fine-tuner whose declared kinds leave out the discovery target's
(``ffade.loop_kinds``); the loops that stop in their discovery search the cheap synthetic task,
whose margins no fine-tuner fixes, so they name this one.
"""

from __future__ import annotations

from typing import Any

from ffade.mitigate import ClassifierFineTuner


class AnyTargetFineTuner(ClassifierFineTuner):
    """:class:`ClassifierFineTuner` that leaves the target's kind to its own checks."""

    output_kinds = None

    @staticmethod
    def check_target(target: Any, name: str) -> None:
        """Any target, trainable or not (the synthetic one is not): the fine-tune is never
        reached, and ``ffade loop`` checks the target with this before its first stage."""
