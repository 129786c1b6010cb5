"""A plugin named anew by a later config or option starts from its own defaults.

jsonargparse merges each source into the last, key by key: ``--config a.yaml --config b.yaml``
or ``--model.init_args.task.reward='{name: label_flip}'`` after a config whose reward was
``{name: bleu_drop, args: {threshold: 20.0}}`` kept ``threshold`` under the new name ("has no
argument 'threshold'"), and a concept list of the same length kept each old concept's ``args``.
A new name means a new plugin, as a new ``class_path`` means a new class (whose ``init_args``
jsonargparse drops): :func:`forget_replaced_plugin_args` replays the sources in order and keeps,
of an entry whose name changed, only the ``args`` given since. Giving the same name again, or
only ``args`` (``--model.init_args.task.reward.args.threshold 0.3``), still merges as before.
Every spelling jsonargparse reads counts as a source: ``-c`` for ``--config``, and ``task``
straight under ``model`` (``--model.task.reward.name``, a file's ``model: {task: ...}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ffade.yamlfile import load_yaml

TASK = "model.init_args.task"
ENTRIES = ("target", "dataset", "reward")
"""The task's plugin entries besides ``concepts``, which is a list of them."""


@dataclass
class _Entry:
    """One plugin entry as the sources so far name it."""

    name: str | None = None
    since_renamed: set[str] | None = field(default=None)
    """Argument names given since the name last changed; None while it never changed."""

    def given(self, value: Any) -> None:
        if not isinstance(value, dict):
            return
        name = value.get("name")
        if name is not None and self.name is not None and str(name) != self.name:
            self.since_renamed = set()
        if name is not None:
            self.name = str(name)
        args = value.get("args")
        if self.since_renamed is not None and isinstance(args, dict):
            self.since_renamed |= {str(key) for key in args}


def forget_replaced_plugin_args(config: Any, args: list[str]) -> None:
    """Drop from ``config`` (a parsed subcommand's Namespace) each plugin argument that came
    with an earlier plugin of another name; ``args`` are the subcommand's, in order."""
    if not isinstance(args, list) or config.get(TASK) is None:
        return
    entries = {key: _Entry() for key in ENTRIES}
    concepts: list[_Entry] = []
    for task in _task_sources(args):
        for key in ENTRIES:
            entries[key].given(task.get(key))
        listed = task.get("concepts")
        if isinstance(listed, list):
            if len(listed) != len(concepts):  # jsonargparse merges lists of the same length only
                concepts = [_Entry() for _ in listed]
            for entry, value in zip(concepts, listed, strict=True):
                entry.given(value)
    specs = [(entries[key], config.get(f"{TASK}.{key}")) for key in ENTRIES]
    parsed = config.get(f"{TASK}.concepts")
    if isinstance(parsed, list) and len(parsed) == len(concepts):
        specs += zip(concepts, parsed, strict=True)
    for entry, spec in specs:
        if spec is not None and spec.get("class_path") is not None:  # a list's item: a class spec
            spec = spec.get("init_args")
        args = spec.get("args") if entry.since_renamed is not None and spec is not None else None
        if isinstance(args, dict):
            spec["args"] = {k: v for k, v in args.items() if k in entry.since_renamed}


def _task_sources(args: list[str]) -> list[dict[str, Any]]:
    """What each ``--config`` file and ``--model...`` option says of the task, in order."""
    sources = []
    for i, arg in enumerate(args):
        if arg.startswith("-c"):  # -c FILE, -cFILE, -c=FILE: argparse's short forms
            arg = "--config" + ("=" + arg[2:].removeprefix("=") if arg != "-c" else "")
        if not arg.startswith("--"):
            continue
        key, equals, value = arg[2:].partition("=")
        if not equals:
            if i + 1 == len(args):
                continue
            value = args[i + 1]
        if key == "config":
            loaded = _load(value)
            task = _model_task(loaded.get("model") if isinstance(loaded, dict) else None)
        elif key == "model" or key.startswith("model."):
            task = _option_task(key.split("."), value)
        else:
            continue
        if isinstance(task, dict):
            sources.append(task)
    return sources


def _option_task(path: list[str], value: str) -> Any:
    """The task part of ``--model.init_args.task.reward.args.threshold 0.3`` and its kin."""
    # a plugin's name stays text; of an argument only its key counts
    loaded: Any = value if path[-1] == "name" or "args" in path[:-1] else _load(value)
    for key in reversed(path[1:]):
        loaded = {key: loaded}
    return _model_task(loaded)


def _model_task(model: Any) -> Any:
    """The task of a ``model`` section, spelled out (``init_args: {task: ...}``) or short
    (``task: ...``, which jsonargparse takes for ``init_args.task`` in a file or an option)."""
    if not isinstance(model, dict):
        return None
    init_args = model.get("init_args")
    task = init_args.get("task") if isinstance(init_args, dict) else None
    return model.get("task") if task is None else task


def _load(value: str) -> Any:
    """A value as jsonargparse reads one: a file's YAML if it names a file, else YAML."""
    try:
        text = Path(value).read_text() if Path(value).is_file() else value
    except (OSError, ValueError):  # a YAML value too long or odd for a file name
        text = value
    try:
        return load_yaml(text)  # libyaml: a config's grid may hold 10^5 values
    except yaml.YAMLError:  # jsonargparse reports it in its own words
        return None
