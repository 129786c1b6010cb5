"""The checks of a suite file's values that are not its cases: the task, the source and a case's
``measured`` record, each key named as the file spells it and each value said as YAML writes it.

Kept apart from :mod:`ffade.gate.suite`, which reads the file and its cases: ``ffade export``
checks the task it will write with :func:`check_task` before it writes a suite, and ``ffade
check`` checks a ``--target`` with :func:`check_plugin_spec`.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

from ffade.errors import FfadeError, as_written, is_number
from ffade.task import TASK_MODES, PluginSpec, TaskSpec
from ffade.task_values import key_hint

SUITE_SPLITS = ("discovery", "heldout")
"""Where a case's pairs come from: the inputs searched, and inputs never searched nor trained on."""
SOURCE_KEYS = (
    "run",
    "explorer",
    "seed",
    "threshold",
    "min_evaluations",
    "slices",
    "pairs_per_split",
    "packages",
    "inputs_digest",
)
"""What ``ffade export`` records of the run it read, each of which may be left out: a record,
but for ``inputs_digest``, with which ``ffade check`` refuses a dataset changed since."""
SLICE_KINDS = ("rules", "regions")
MEASURED_KEYS = ("pairs", "failures", "failure_rate", *SUITE_SPLITS)
TASK_KEYS = tuple(f.name for f in fields(TaskSpec))
TASK_REQUIRED = ("target", "dataset", "reward", "concepts")
PLUGIN_KEYS = tuple(f.name for f in fields(PluginSpec))
PLUGIN_ROLES = ("target", "dataset", "reward")
"""The task's keys that name one plugin each; ``concepts`` names a list of them."""


def check_plugin_spec(spec: Any, where: str) -> None:
    """A plugin as ``{name, args}``: anything else would be a TypeError deep in the task build."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise FfadeError(
            f"{where} must be a mapping {{name: PLUGIN, args: {{...}}}}, got {as_written(spec)}"
        )
    check_keys(spec, PLUGIN_KEYS, where)
    if not isinstance(spec.get("args") or {}, dict):
        raise FfadeError(
            f"{where}.args must be a mapping of argument: value, got {as_written(spec['args'])}"
        )


def check_task(task: Any, where: str) -> None:
    """The suite's task, the summary.json ``task`` that check rebuilds: known keys, plugins as
    ``{name, args}``, a known mode; the plugins check their own arguments when built."""
    if not isinstance(task, dict):
        raise FfadeError(f"{where} must be a mapping ({', '.join(TASK_REQUIRED)}, ...)")
    check_keys(task, TASK_KEYS, where)
    missing = [key for key in TASK_REQUIRED if key not in task]
    if missing:
        raise FfadeError(f"{where} has no '{missing[0]}'; it needs {', '.join(TASK_REQUIRED)}")
    for key in PLUGIN_ROLES:
        check_plugin_spec(task[key], f"{where}.{key}")
    concepts = task["concepts"]
    if not isinstance(concepts, list) or not concepts:
        raise FfadeError(f"{where}.concepts must be a non-empty list of {{name, args}}")
    for i, concept in enumerate(concepts):
        check_plugin_spec(concept, f"{where}.concepts[{i}]")
    if task.get("mode", TASK_MODES[0]) not in TASK_MODES:
        raise FfadeError(
            f"{where}.mode must be one of {', '.join(TASK_MODES)}, got {as_written(task['mode'])}"
        )
    if task.get("split", "discovery") != "discovery":  # its pairs would index another split
        raise FfadeError(
            f"{where}.split must be discovery, got {as_written(task['split'])}: a suite's "
            "discovery pairs are inputs the run searched and its heldout pairs inputs no search "
            "saw, so only a run that searched the discovery split makes a suite"
        )
    max_inputs, ids = task.get("max_inputs"), task.get("input_ids")
    if max_inputs is not None and not whole(max_inputs):
        raise FfadeError(
            f"{where}.max_inputs must be null or a whole number, got {as_written(max_inputs)}"
        )
    if ids is not None and not (isinstance(ids, list) and all(map(whole, ids))):
        raise FfadeError(
            f"{where}.input_ids must be null or a list of input ids, got {as_written(ids)}"
        )
    passing = task.get("only_passing_inputs", False)
    if not isinstance(passing, bool):
        raise FfadeError(
            f"{where}.only_passing_inputs must be true or false, got {as_written(passing)}"
        )
    if passing and ids is None:  # the ids would index every input, not the ones searched
        raise FfadeError(
            f"{where}.only_passing_inputs is true but input_ids is null: the run searched only "
            "the inputs its target got right, which summary.json's input_ids lists and the "
            "discovery pairs' ids index; restore input_ids from the run's summary.json"
        )


def check_plugin_args(task: dict[str, Any], where: str) -> None:
    """A suite's target, dataset, reward and each concept must say their ``args``, ``{}`` for
    the defaults: one without them was built from its plugin's defaults, not the run's (a
    target's default weights, a dataset's default split seed, a rotation's ``fill``), so check
    measured another model, other inputs or other changes than the cases were exported with,
    and said nothing (a concept's default grid: 34 failures of 128 became 36)."""
    specs = [(key, key, task[key]) for key in PLUGIN_ROLES]
    specs += [(f"concepts[{i}]", "concept", c) for i, c in enumerate(task["concepts"])]
    for key, role, spec in specs:
        if spec.get("args") is None:
            built = "grid and arguments" if role == "concept" else "arguments"
            raise FfadeError(
                f"{where}.{key} ({spec['name']}) has no 'args': write the arguments the run used "
                f"(its summary.json's task), or 'args: {{}}' for the {role}'s defaults; without "
                f"them check would build its default {built}, not those the "
                "cases were measured with"
            )


def with_args(task: dict[str, Any]) -> dict[str, Any]:
    """The task with ``args: {}`` written for each plugin that left them out, as its run built
    it (from the defaults): what ``ffade export`` writes, so that check reads back its suite."""

    def spec(plugin: dict[str, Any]) -> dict[str, Any]:
        return {**plugin, "args": plugin.get("args") or {}}

    return {
        **task,
        **{key: spec(task[key]) for key in PLUGIN_ROLES},
        "concepts": [spec(concept) for concept in task["concepts"]],
    }


def whole(value: Any) -> bool:
    """An int that YAML did not read from true or false."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_source(source: Any, where: str) -> None:
    """The run the suite came from, as export records it: a record, but no typo or wrong type."""
    if not isinstance(source, dict):
        raise FfadeError(f"{where} must be a mapping ({', '.join(SOURCE_KEYS)})")
    check_keys(source, SOURCE_KEYS, where)
    for key, value in source.items():
        if value is None:  # export writes null for a summary.json without the key
            continue
        if key == "packages" and not (
            isinstance(value, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            raise FfadeError(
                f"{where}.packages must be null or a mapping of distribution: version, got "
                f"{as_written(value)}"
            )
        if key in ("run", "explorer", "inputs_digest") and not isinstance(value, str):
            raise FfadeError(f"{where}.{key} must be a string or null, got {as_written(value)}")
        counted = key in ("seed", "min_evaluations", "pairs_per_split")
        if counted and not (whole(value) and value >= 0):  # a fit refuses seed_everything: -1 too
            raise FfadeError(
                f"{where}.{key} must be null or a whole number from 0, got {as_written(value)}"
            )
        if key == "threshold" and not (is_number(value) and 0 <= value <= 1):
            raise FfadeError(
                f"{where}.threshold must be null or a number in [0, 1], got {as_written(value)}"
            )
        if key == "slices" and value not in SLICE_KINDS:
            raise FfadeError(
                f"{where}.slices must be one of {', '.join(SLICE_KINDS)}, got {as_written(value)}"
            )


def check_measured(measured: Any, where: str) -> None:
    """What export's model scored: counts from 0, a rate in [0, 1], per split {pairs, failures}."""
    if not isinstance(measured, dict):
        raise FfadeError(f"{where} must be a mapping ({', '.join(MEASURED_KEYS)})")
    check_keys(measured, MEASURED_KEYS, where)
    for key, value in measured.items():
        if key in SUITE_SPLITS:
            if not isinstance(value, dict):
                raise FfadeError(f"{where}.{key} must be a mapping {{pairs, failures}}")
            check_keys(value, ("pairs", "failures"), f"{where}.{key}")
            for count, number in value.items():
                if not (whole(number) and number >= 0):
                    raise FfadeError(
                        f"{where}.{key}.{count} must be a whole number from 0, got "
                        f"{as_written(number)}"
                    )
        elif key == "failure_rate" and not (is_number(value) and 0 <= value <= 1):
            raise FfadeError(
                f"{where}.failure_rate must be a number in [0, 1], got {as_written(value)}"
            )
        elif key != "failure_rate" and not (whole(value) and value >= 0):
            raise FfadeError(
                f"{where}.{key} must be a whole number from 0, got {as_written(value)}"
            )
    for key, counts in [("", measured)] + [(f".{s}", measured.get(s)) for s in SUITE_SPLITS]:
        if isinstance(counts, dict) and counts.get("failures", 0) > counts.get("pairs", math.inf):
            raise FfadeError(  # a hand edit: 200 failures of 128 pairs is a rate above 100%
                f"{where}{key}.failures must be at most its pairs ({counts['pairs']}), got "
                f"{counts['failures']}"
            )


def check_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """A misspelled key would be ignored and its default used: say so instead, with the key
    probably meant, as a config's and ``ffade.discover``'s task keys are told."""
    unknown = [key for key in data if key not in allowed]
    if unknown:
        hint = key_hint(str(unknown[0]), allowed)
        raise FfadeError(
            f"{where}: unknown key {as_written(unknown[0])}{hint}; allowed: {', '.join(allowed)}"
        )
