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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ffade.concepts import ConceptSpace
from ffade.errors import ConceptValueError, FfadeError, as_written, is_number
from ffade.gate.suite_values import (
    SUITE_SPLITS,
    check_keys,
    check_measured,
    check_plugin_args,
    check_source,
    check_task,
    whole,
)
from ffade.records import write_text_atomic
from ffade.shell_words import shell_path
from ffade.yamlfile import FAST_DUMPER, load_yaml, read_yaml

FORMAT = "ffade-suite/1"
SUITE_SUFFIXES = (".yaml", ".yml")
"""What ``ffade export --to`` accepts: a suite is YAML whatever its name, so a .json would lie."""
GOALS = ("fix", "hold")
"""What a case asks (see :mod:`ffade.gate.export`): fail clearly less, or not clearly more."""
SUITE_KEYS = ("format", "task", "source", "seed", "cases", "name")
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
    data = read_yaml(path, f"--suite: suite file {shell_path(path)} not found", unique_keys=True)
    given = data.get("format") if isinstance(data, dict) else None
    if isinstance(given, str) and given.startswith("ffade-suite") and given != FORMAT:
        # a suite of another format version (or a typo there) is named as such, not "no suite"
        raise FfadeError(
            f"{path}: format {given!r} is not one this ffade reads; it reads "
            f"'format: {FORMAT}' (re-export the suite with this ffade, or fix the line)"
        )
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FfadeError(f"{path}: not an ffade suite (expected 'format: {FORMAT}')")
    check_keys(data, SUITE_KEYS, str(path))
    check_task(data.get("task"), f"{path}: task")
    check_plugin_args(data["task"], f"{path}: task")
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise FfadeError(f"{path}: 'cases' must be a non-empty list")
    seed = data.get("seed", 0)
    # int('abc') was a traceback, exit 1; -1 was taken, a seed export (numpy) never takes
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise FfadeError(f"{path}: 'seed' must be a whole number from 0, got {as_written(seed)}")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise FfadeError(f"{path}: 'name' must be a non-empty string (the JUnit suite's name)")
    source = data.get("source") or {}
    check_source(source, f"{path}: source")
    read = [_read_case(path, i, case) for i, case in enumerate(cases)]
    names = [case.name for case in read]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:  # JUnit would show one test for two cases, and one result would hide
        raise FfadeError(
            f"{path}: case name {as_written(twice)} appears twice; each case needs its own name"
        )
    return Suite(
        task=data["task"],
        cases=read,
        source=source,
        seed=seed,
        name=name,
    )


def _read_case(path: Path, index: int, data: Any) -> Case:
    where = f"{path}: cases[{index}]"
    if not isinstance(data, dict):
        raise FfadeError(f"{where} must be a mapping")
    if "name" not in data:
        raise FfadeError(f"{where} has no 'name'")
    if not isinstance(data["name"], str) or not data["name"]:  # the JUnit test's name
        raise FfadeError(
            f"{where}: name must be a non-empty string, got {as_written(data['name'])}"
        )
    where = f"{path}: case '{data['name']}'"  # named from here on, as every later error is
    for key in ("states", "pairs", "max_failure_rate"):
        if key not in data:
            raise FfadeError(f"{where} has no '{key}'")
    check_keys(data, CASE_KEYS, where)
    goal = data.get("goal", "fix")
    if goal not in GOALS:
        raise FfadeError(f"{where}: goal must be one of {', '.join(GOALS)}, got {as_written(goal)}")
    threshold = data["max_failure_rate"]
    if not is_number(threshold):
        raise FfadeError(
            f"{where}: max_failure_rate must be a number in [0, 1], got {as_written(threshold)}"
        )
    if not 0 <= threshold <= 1:
        raise FfadeError(f"{where}: max_failure_rate must be in [0, 1], got {threshold}")
    states, pairs = data["states"], data["pairs"]
    if not isinstance(states, list) or not all(isinstance(s, dict) for s in states) or not states:
        raise FfadeError(f"{where}: states must be a non-empty list of {{concept: value}}")
    if not isinstance(pairs, dict) or not set(pairs) <= set(SUITE_SPLITS):
        other = sorted(map(str, set(pairs) - set(SUITE_SPLITS))) if isinstance(pairs, dict) else []
        got = f", got split {as_written(other[0])}" if other else ""
        raise FfadeError(
            f"{where}: pairs must map splits ({', '.join(SUITE_SPLITS)}) to lists{got}"
        )
    for split, rows in pairs.items():
        if not isinstance(rows, list):
            raise FfadeError(f"{where}: pairs.{split} must be a list of [input id, state index]")
        for number, row in enumerate(rows):  # name the row: a hand edit is one of hundreds
            ok = isinstance(row, list) and len(row) == 2 and all(map(whole, row))
            if not ok or row[0] < 0 or not 0 <= row[1] < len(states):
                raise FfadeError(
                    f"{where}: pairs.{split}[{number}] is {as_written(row)}; each row is [input "
                    f"id, state index], an input id from 0 and a state index from 0 to "
                    f"{len(states) - 1}"
                )
    if not any(pairs.values()):
        raise FfadeError(f"{where}: no pairs to evaluate")
    conditions = data.get("conditions", "")
    if not isinstance(conditions, str):  # a list became "['a', 'b']" in the table and the XML
        raise FfadeError(
            f"{where}: conditions must be a string (the slice in words, e.g. "
            f"'gaussian_blur >= 2'), got {as_written(conditions)}"
        )
    measured = data.get("measured") or {}
    check_measured(measured, f"{where}: measured")
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
