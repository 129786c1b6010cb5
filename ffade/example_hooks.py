"""The first batch's try of the hooks a discovery run's examples use only at its end.

A run saves its worst failures after the search, through the target's ``render`` (or
``describe_inputs``), the reward's or target's ``describe_outputs`` and the target's
``describe_references``. A hook returning the wrong thing would stop the run only then, after
all its evaluations; trying each once on the first batch says so at the first step instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ffade.plugin_checks import described, output_captions
from ffade.rendered_images import rendered
from ffade.task import Task


def check_example_hooks(
    task: Task, inputs: Any, outputs: Any, references: Any, raw_references: Sequence[Any]
) -> None:
    """Call each hook on one batch as the examples will; raise its PluginError if one is wrong.

    ``references``: the batch's references as the reward judged them; ``raw_references``: the
    dataset's, one per input, as ``describe_references`` gets them.
    """
    size = len(raw_references)
    if rendered(task.target, inputs, size) is None:
        described(task.target, "describe_inputs", inputs, size)
    output_captions(task, outputs, references, size)
    described(task.target, "describe_references", raw_references, size)
