"""A task spec's own values checked before any plugin is built: finite numbers, concept labels,
the split. Split from :mod:`ffade.task`, so a run's set-up (:func:`ffade.task.build_task`) and
``ffade fit --print_config`` (:func:`ffade.task.check_task_config`) refuse them in one line,
the same line."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ffade.concepts import is_label
from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS
from ffade.written import as_written

LABEL_HINT = "; give it a letter: 5, '5' and on arrive as a number or boolean, quoted or not"
"""Why a label is not text: jsonargparse reads plugin arguments again as YAML (docs/plugins.md)."""


def key_hint(word: str, allowed: Sequence[str], where: str = "") -> str:
    """`` (did you mean 'max_inputs'?)`` for a misspelt or shortened task key (``max``), the
    key under ``where`` (``model.init_args.task.``), else "": one rule for a config's task
    section and a task dict given to ``ffade.discover``, which said only what is allowed."""
    prefixed = [key for key in allowed if key.startswith(word)]
    close = prefixed if len(prefixed) == 1 else difflib.get_close_matches(word, allowed, n=1)
    return f" (did you mean '{where}{close[0]}'?)" if close else ""


@contextmanager
def named_under(task_key: str) -> Iterator[None]:
    """A task's checks, their errors naming its keys under ``task_key`` (``model.init_args.task
    .concepts must list ...``), as the config spells them, not as a Python task dict does
    (``task.concepts``): the key a user searches a config for."""
    try:
        yield
    except FfadeError as error:
        said = str(error)
        if said.startswith("task.") and len(error.args) == 1:
            error.args = (f"{task_key}{said[len('task') :]}",)
        raise


def check_finite(value: Any, key: str) -> None:
    """Refuse a plugin argument holding NaN or an infinity (in a list or mapping too).

    The run records its task in summary.json, which tools read as JSON, and JSON has no NaN or
    Infinity: Python would write the bare tokens that strict readers (``jq``, JavaScript) refuse.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise FfadeError(
            f"{key} must be a finite number, got {value}: a run records its task in "
            "summary.json, and JSON has no nan or inf"
        )
    if isinstance(value, dict):
        for name, item in value.items():
            check_finite(item, f"{key}.{name}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_finite(item, f"{key}[{i}]")


def check_spec_values(
    spec: Any, plugins: dict[str, Any], max_inputs_key: str = "task.max_inputs"
) -> None:
    """Refuse non-finite plugin arguments, a concept label that is no name, an unknown split,
    an ``only_passing_inputs`` that is neither true nor false, a ``max_inputs`` below 1 (here,
    not as the data loads: ``--print_config`` printed ``max_inputs: 0``, which the run refused).

    ``spec``: a TaskSpec whose concepts are PluginSpecs; ``plugins``: its target, dataset and
    reward as PluginSpecs, by key; ``max_inputs_key``: how the config spells ``max_inputs``.
    """
    if spec.max_inputs is not None and spec.max_inputs < 1:
        raise FfadeError(f"{max_inputs_key} must be at least 1, got {spec.max_inputs}")
    for part, plugin in plugins.items():
        check_finite(plugin.args, f"task.{part}.args")
    for i, concept in enumerate(spec.concepts):  # labels name axes in records, rules and plots
        check_finite(concept.args, f"task.concepts[{i}].args")
        label = concept.args.get("label")
        if label is not None and not is_label(label):
            hint = "" if isinstance(label, str) else LABEL_HINT
            if isinstance(label, str) and label.strip():
                hint = "; a label is one line, with no control character or space at its ends"
            raise FfadeError(
                f"task.concepts[{i}].args.label must be a non-empty name such as "
                f"'{concept.name}_small', got {as_written(label)}{hint}"
            )
    if spec.split not in SPLITS:  # a config's null (the command line's is jsonargparse's)
        raise FfadeError(
            f"task.split: {as_written(spec.split)} is not allowed; "
            f"choose one of {', '.join(SPLITS)}"
        )
    if not isinstance(spec.only_passing_inputs, bool):  # a config's null ran as false
        raise FfadeError(
            "task.only_passing_inputs must be true or false, got "
            f"{as_written(spec.only_passing_inputs)}"
        )
