"""The regression suite file: which task, which cases, which pairs, which thresholds.

``ffade export`` writes it and ``ffade check`` reads it; a person edits its thresholds. One YAML
file, so it can sit in a repository next to the model and be reviewed like code::

    format: ffade-suite/1
    task: {target: ..., dataset: ..., reward: ..., concepts: [...], mode: ..., ...}
    source: {run: /home/me/runs/quickstart/version_0, explorer: dqn, seed: 0}
    seed: 0
    cases:
      - name: R-1a2b3c4d
        conditions: gaussian_blur >= 2 and rotation >= 15
        states: [{rotation: 15, brightness: 0.7, ...}, ...]   # the case's concept states
        pairs:                                                # [input id, index into states]
          discovery: [[3, 0], [17, 4], ...]
          heldout: [[0, 2], ...]
        measured: {pairs: 128, failures: 80, failure_rate: 0.625, discovery: ..., heldout: ...}
        goal: fix                                            # or hold (see ffade.gate.export)
        max_failure_rate: 0.54                               # the pass threshold: edit it

A case passes when the target fails on at most ``max_failure_rate`` of its pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ffade.concepts import ConceptSpace
from ffade.errors import ConceptValueError, FfadeError, is_number
from ffade.records import write_text_atomic
from ffade.task import TASK_MODES, PluginSpec, TaskSpec
from ffade.yamlfile import FAST_DUMPER, load_yaml, read_yaml

FORMAT = "ffade-suite/1"
SUITE_SPLITS = ("discovery", "heldout")
"""Where a case's pairs come from: the inputs searched, and inputs never searched nor trained on."""
SUITE_SUFFIXES = (".yaml", ".yml")
"""What ``ffade export --to`` accepts: a suite is YAML whatever its name, so a .json would lie."""
GOALS = ("fix", "hold")
"""What a case asks (see :mod:`ffade.gate.export`): fail clearly less, or not clearly more."""
SUITE_KEYS = ("format", "task", "source", "seed", "cases", "name")
SOURCE_KEYS = (
    "run",
    "explorer",
    "seed",
    "threshold",
    "min_evaluations",
    "slices",
    "pairs_per_split",
    "packages",
)
"""What ``ffade export`` records of the run it read; a record only, so each may be left out."""
SLICE_KINDS = ("rules", "regions")
MEASURED_KEYS = ("pairs", "failures", "failure_rate", *SUITE_SPLITS)
TASK_KEYS = tuple(f.name for f in fields(TaskSpec))
TASK_REQUIRED = ("target", "dataset", "reward", "concepts")
PLUGIN_KEYS = tuple(f.name for f in fields(PluginSpec))
CASE_KEYS = ("name", "conditions", "states", "pairs", "measured", "goal", "max_failure_rate")
HEADER = """\
# An ffade regression suite: `ffade check --suite THIS_FILE` re-evaluates every case's pairs.
# A case passes when the target fails on at most max_failure_rate of its pairs; edit the
# thresholds freely. Written by `ffade export`; docs/gate.md explains every key.
"""


@dataclass
class Case:
    """One failure region (or slice) as a test.

    Attributes:
        name: the region's id (or the slice's name); the test's name in JUnit XML.
        conditions: the region in words, e.g. "gaussian_blur >= 2".
        states: the concept states it covers, as {concept label: value}.
        pairs: per split, (input id, index into ``states``) rows to evaluate.
        max_failure_rate: the pass threshold: the share of pairs allowed to fail.
        goal: "fix" (must fail less than the run's target) or "hold" (must not fail more); it
            chose the default threshold and is shown in reports.
        measured: what the exporting run's target scored on these pairs.
        where: how errors name the case once read from a file: the file and the case's name.
    """

    name: str
    conditions: str
    states: list[dict[str, Any]]
    pairs: dict[str, list[list[int]]]
    max_failure_rate: float
    goal: str = "fix"
    measured: dict[str, Any] = field(default_factory=dict)
    where: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "conditions": self.conditions,
            "states": self.states,
            "pairs": self.pairs,
            "measured": self.measured,
            "goal": self.goal,
            "max_failure_rate": self.max_failure_rate,
        }

    @property
    def label(self) -> str:
        """``suite.yaml: case 'S-1a2b'`` once read from a file, else ``case S-1a2b``."""
        return self.where or f"case {self.name}"

    def split_pairs(self, split: str, space: ConceptSpace) -> tuple[np.ndarray, np.ndarray]:
        """The split's pairs as input ids (n,) and grid-index states (n, k) of ``space``."""
        rows = self.pairs.get(split) or []
        try:
            grid_states = np.array([space.index_of(values) for values in self.states], np.int64)
        except ConceptValueError as exc:  # a hand-edited state: say which case holds it
            raise ConceptValueError(f"{self.label}: states: {exc}") from None
        ids = np.array([row[0] for row in rows], np.int64)
        picks = np.array([row[1] for row in rows], np.int64)
        if not len(rows):
            return ids, np.zeros((0, space.num_concepts), np.int64)
        return ids, grid_states[picks]


@dataclass
class Suite:
    """A task and the cases that gate it."""

    task: dict[str, Any]
    cases: list[Case]
    source: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    name: str | None = None  # the JUnit testsuite's name; the file's stem when None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            **({} if self.name is None else {"name": self.name}),
            "task": self.task,
            "source": self.source,
            "seed": self.seed,
            "cases": [case.to_dict() for case in self.cases],
        }


def write_suite(suite: Suite, path: str | Path) -> Path:
    """Write the suite as YAML with a header saying how to use and edit it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(
        suite.to_dict(),
        Dumper=FAST_DUMPER,
        sort_keys=False,
        default_flow_style=None,
        width=100,
        allow_unicode=True,
    )
    write_text_atomic(path, HEADER + text)
    return path


def is_suite_file(path: Path) -> bool:
    """Whether ``path`` holds an ffade suite, the only file ``ffade export --to`` overwrites."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


def read_suite(path: str | Path) -> Suite:
    """Read and check a suite file; every mistake is one line naming the case and key."""
    path = Path(path)
    data = read_yaml(path, f"--suite: suite file '{path}' not found", unique_keys=True)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FfadeError(f"{path}: not an ffade suite (expected 'format: {FORMAT}')")
    _check_keys(data, SUITE_KEYS, str(path))
    check_task(data.get("task"), f"{path}: task")
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise FfadeError(f"{path}: 'cases' must be a non-empty list")
    seed = data.get("seed", 0)
    # int('abc') was a traceback, exit 1; -1 was taken, a seed export (numpy) never takes
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise FfadeError(f"{path}: 'seed' must be a whole number from 0, got {seed!r}")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise FfadeError(f"{path}: 'name' must be a non-empty string (the JUnit suite's name)")
    source = data.get("source") or {}
    _check_source(source, f"{path}: source")
    read = [_read_case(path, i, case) for i, case in enumerate(cases)]
    names = [case.name for case in read]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:  # JUnit would show one test for two cases, and one result would hide
        raise FfadeError(f"{path}: case name {twice!r} appears twice; each case needs its own name")
    return Suite(
        task=data["task"],
        cases=read,
        source=source,
        seed=seed,
        name=name,
    )


def check_plugin_spec(spec: Any, where: str) -> None:
    """A plugin as ``{name, args}``: anything else would be a TypeError deep in the task build."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise FfadeError(f"{where} must be a mapping {{name: PLUGIN, args: {{...}}}}, got {spec!r}")
    _check_keys(spec, PLUGIN_KEYS, where)
    if not isinstance(spec.get("args") or {}, dict):
        raise FfadeError(f"{where}.args must be a mapping of argument: value, got {spec['args']!r}")


def check_task(task: Any, where: str) -> None:
    """The suite's task, the summary.json ``task`` that check rebuilds: known keys, plugins as
    ``{name, args}``, a known mode; the plugins check their own arguments when built."""
    if not isinstance(task, dict):
        raise FfadeError(f"{where} must be a mapping ({', '.join(TASK_REQUIRED)}, ...)")
    _check_keys(task, TASK_KEYS, where)
    missing = [key for key in TASK_REQUIRED if key not in task]
    if missing:
        raise FfadeError(f"{where} has no '{missing[0]}'; it needs {', '.join(TASK_REQUIRED)}")
    for key in ("target", "dataset", "reward"):
        check_plugin_spec(task[key], f"{where}.{key}")
    concepts = task["concepts"]
    if not isinstance(concepts, list) or not concepts:
        raise FfadeError(f"{where}.concepts must be a non-empty list of {{name, args}}")
    for i, concept in enumerate(concepts):
        check_plugin_spec(concept, f"{where}.concepts[{i}]")
    if task.get("mode", TASK_MODES[0]) not in TASK_MODES:
        raise FfadeError(
            f"{where}.mode must be one of {', '.join(TASK_MODES)}, got {task['mode']!r}"
        )
    if task.get("split", "discovery") != "discovery":  # its pairs would index another split
        raise FfadeError(
            f"{where}.split must be discovery, got {task['split']!r}: a suite's discovery pairs "
            "are inputs the run searched and its heldout pairs inputs no search saw, so only a "
            "run that searched the discovery split makes a suite"
        )
    max_inputs, ids = task.get("max_inputs"), task.get("input_ids")
    if max_inputs is not None and not _whole(max_inputs):
        raise FfadeError(f"{where}.max_inputs must be null or a whole number, got {max_inputs!r}")
    if ids is not None and not (isinstance(ids, list) and all(map(_whole, ids))):
        raise FfadeError(f"{where}.input_ids must be null or a list of input ids, got {ids!r}")
    passing = task.get("only_passing_inputs", False)
    if not isinstance(passing, bool):
        raise FfadeError(f"{where}.only_passing_inputs must be true or false, got {passing!r}")
    if passing and ids is None:  # the ids would index every input, not the ones searched
        raise FfadeError(
            f"{where}.only_passing_inputs is true but input_ids is null: the run searched only "
            "the inputs its target got right, which summary.json's input_ids lists and the "
            "discovery pairs' ids index; restore input_ids from the run's summary.json"
        )


def _whole(value: Any) -> bool:
    """An int that YAML did not read from true or false."""
    return isinstance(value, int) and not isinstance(value, bool)


def _read_case(path: Path, index: int, data: Any) -> Case:
    where = f"{path}: cases[{index}]"
    if not isinstance(data, dict):
        raise FfadeError(f"{where} must be a mapping")
    for key in ("name", "states", "pairs", "max_failure_rate"):
        if key not in data:
            raise FfadeError(f"{where} has no '{key}'")
    if not isinstance(data["name"], str) or not data["name"]:  # the JUnit test's name
        raise FfadeError(f"{where}: name must be a non-empty string, got {data['name']!r}")
    where = f"{path}: case '{data['name']}'"
    _check_keys(data, CASE_KEYS, where)
    goal = data.get("goal", "fix")
    if goal not in GOALS:
        raise FfadeError(f"{where}: goal must be one of {', '.join(GOALS)}, got {goal!r}")
    threshold = data["max_failure_rate"]
    if not is_number(threshold):
        raise FfadeError(f"{where}: max_failure_rate must be a number in [0, 1], got {threshold!r}")
    if not 0 <= threshold <= 1:
        raise FfadeError(f"{where}: max_failure_rate must be in [0, 1], got {threshold}")
    states, pairs = data["states"], data["pairs"]
    if not isinstance(states, list) or not all(isinstance(s, dict) for s in states) or not states:
        raise FfadeError(f"{where}: states must be a non-empty list of {{concept: value}}")
    if not isinstance(pairs, dict) or not set(pairs) <= set(SUITE_SPLITS):
        other = sorted(map(str, set(pairs) - set(SUITE_SPLITS))) if isinstance(pairs, dict) else []
        got = f", got split {other[0]!r}" if other else ""
        raise FfadeError(
            f"{where}: pairs must map splits ({', '.join(SUITE_SPLITS)}) to lists{got}"
        )
    for split, rows in pairs.items():
        if not isinstance(rows, list):
            raise FfadeError(f"{where}: pairs.{split} must be a list of [input id, state index]")
        for number, row in enumerate(rows):  # name the row: a hand edit is one of hundreds
            ok = isinstance(row, list) and len(row) == 2 and all(map(_whole, row))
            if not ok or row[0] < 0 or not 0 <= row[1] < len(states):
                raise FfadeError(
                    f"{where}: pairs.{split}[{number}] is {row!r}; each row is [input id, state "
                    f"index], an input id from 0 and a state index from 0 to {len(states) - 1}"
                )
    if not any(pairs.values()):
        raise FfadeError(f"{where}: no pairs to evaluate")
    conditions = data.get("conditions", "")
    if not isinstance(conditions, str):  # a list became "['a', 'b']" in the table and the XML
        raise FfadeError(
            f"{where}: conditions must be a string (the slice in words, e.g. "
            f"'gaussian_blur >= 2'), got {conditions!r}"
        )
    measured = data.get("measured") or {}
    _check_measured(measured, f"{where}: measured")
    return Case(
        name=str(data["name"]),
        conditions=conditions,
        states=states,
        pairs=pairs,
        max_failure_rate=float(threshold) + 0.0,  # -0.0 read as 0.0: "max -0.0%" in the table
        goal=goal,
        measured=measured,
        where=where,
    )


def _check_source(source: Any, where: str) -> None:
    """The run the suite came from, as export records it: a record, but no typo or wrong type."""
    if not isinstance(source, dict):
        raise FfadeError(f"{where} must be a mapping ({', '.join(SOURCE_KEYS)})")
    _check_keys(source, SOURCE_KEYS, where)
    for key, value in source.items():
        if value is None:  # export writes null for a summary.json without the key
            continue
        if key == "packages" and not (
            isinstance(value, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            raise FfadeError(
                f"{where}.packages must be null or a mapping of distribution: version, got "
                f"{value!r}"
            )
        if key in ("run", "explorer") and not isinstance(value, str):
            raise FfadeError(f"{where}.{key} must be a string or null, got {value!r}")
        whole = key in ("seed", "min_evaluations", "pairs_per_split")
        if whole and not (_whole(value) and value >= 0):  # a fit refuses seed_everything: -1 too
            raise FfadeError(f"{where}.{key} must be null or a whole number from 0, got {value!r}")
        if key == "threshold" and not (is_number(value) and 0 <= value <= 1):
            raise FfadeError(f"{where}.threshold must be null or a number in [0, 1], got {value!r}")
        if key == "slices" and value not in SLICE_KINDS:
            raise FfadeError(
                f"{where}.slices must be one of {', '.join(SLICE_KINDS)}, got {value!r}"
            )


def _check_measured(measured: Any, where: str) -> None:
    """What export's model scored: counts from 0, a rate in [0, 1], per split {pairs, failures}."""
    if not isinstance(measured, dict):
        raise FfadeError(f"{where} must be a mapping ({', '.join(MEASURED_KEYS)})")
    _check_keys(measured, MEASURED_KEYS, where)
    for key, value in measured.items():
        if key in SUITE_SPLITS:
            if not isinstance(value, dict):
                raise FfadeError(f"{where}.{key} must be a mapping {{pairs, failures}}")
            _check_keys(value, ("pairs", "failures"), f"{where}.{key}")
            for count, number in value.items():
                if not (_whole(number) and number >= 0):
                    raise FfadeError(
                        f"{where}.{key}.{count} must be a whole number from 0, got {number!r}"
                    )
        elif key == "failure_rate" and not (is_number(value) and 0 <= value <= 1):
            raise FfadeError(f"{where}.failure_rate must be a number in [0, 1], got {value!r}")
        elif key != "failure_rate" and not (_whole(value) and value >= 0):
            raise FfadeError(f"{where}.{key} must be a whole number from 0, got {value!r}")
    for key, counts in [("", measured)] + [(f".{s}", measured.get(s)) for s in SUITE_SPLITS]:
        if isinstance(counts, dict) and counts.get("failures", 0) > counts.get("pairs", math.inf):
            raise FfadeError(  # a hand edit: 200 failures of 128 pairs is a rate above 100%
                f"{where}{key}.failures must be at most its pairs ({counts['pairs']}), got "
                f"{counts['failures']}"
            )


def _check_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """A misspelled key would be ignored and its default used: say so instead."""
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise FfadeError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
