"""Why a run's config.yaml names a plugin a new process does not know, and what to do.

A plugin registered in-process (:func:`ffade.register`, or a class, instance, model or function
passed to ``ffade.discover``) lives only in the process that registered it. The config.yaml of
a run that used one says so in a comment line per plugin (:func:`with_in_process_header`); when
``ffade fit --config`` of that file meets "unknown target 'my_target'", the line it finds there
turns the error into one that says why and how to fix it (:func:`registered_elsewhere`).
"""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ffade import registry
from ffade.written import a_type
from ffade.yamlfile import load_yaml

_MARK = "# ffade: {kind} '{name}' was registered in-process"
_UNKNOWN = re.compile(r"(?:[\w.\[\]]+\.name: )?unknown (\w+) '([^']+)'")
"""After the config's key of the plugin, if any (``model.init_args.task.reward.name``)."""


def with_in_process_header(text: str) -> str:
    """The dumped config ``text``, led by a comment for each in-process plugin it names."""
    try:
        config = load_yaml(text)  # libyaml: a config's grid may hold 10^5 values
    except yaml.YAMLError:
        return text
    lines = []
    for name in sorted(set(_names(config))):
        for kind in registry.KINDS:
            plugin = registry.registered(kind, name)
            if plugin is None:
                continue
            cls = plugin if inspect.isclass(plugin) else type(plugin)
            how = cls.__name__ if inspect.isclass(plugin) else f"{a_type(plugin)} instance"
            lines.append(
                f"{_MARK.format(kind=kind, name=name)} ({cls.__module__}:{cls.__qualname__}), "
                f"not installed: rerun this config in Python after ffade.register({kind!r}, "
                f"{name!r}, {how}), with ffade.cli.main(['fit', '--config', THIS_FILE])\n"
            )
    return "".join(lines) + text


def _names(node: Any) -> Iterator[str]:
    """Every ``name:`` string of the config's mappings, where plugins are named."""
    if isinstance(node, dict):
        if isinstance(node.get("name"), str):
            yield node["name"]
        for value in node.values():
            yield from _names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _names(value)


def registered_elsewhere(args: list[str], message: str) -> str | None:
    """For "unknown KIND 'NAME'" from a config whose header says NAME was registered in-process:
    the error that says so and how to fix it; else None."""
    match = _UNKNOWN.match(message)
    if match is None:
        return None
    kind, name = match.groups()
    configs = [b for a, b in itertools.pairwise(args) if a == "--config"]
    configs += [a.split("=", 1)[1] for a in args if a.startswith("--config=")]
    mark = _MARK.format(kind=kind, name=name)
    for config in configs:
        try:
            lines = Path(config).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        line = next((line for line in lines if line.startswith(mark)), None)
        if line is None:
            continue
        where = line[len(mark) :].split(", not installed")[0].strip(" ()")
        module, _, qualname = where.partition(":")
        cls = qualname.split(".")[-1]
        given = line.partition(f"ffade.register({kind!r}, {name!r}, ")[2].partition("), with")[0]
        start = (
            f"{config}: {kind} '{name}' was registered in-process ({where}) by the Python process "
            "that made this run, not installed as a plugin package, so no other process knows "
            f"it; in Python, call ffade.register({kind!r}, {name!r}, {given or cls}), then "
            f"ffade.cli.main(['fit', '--config', {config!r}])"
        )
        if given.endswith(" instance"):  # made in Python with its own arguments (a model):
            return start  # neither an entry point nor an import path builds that instance
        group = registry.KINDS[kind][0] if kind in registry.KINDS else "ffade plugin"
        by_path = f", or name it by import path (name: '{where}')" if module != "__main__" else ""
        package = f"; or install {cls} in a package with an '{group}' entry point named '{name}'"
        return f"{start}{package}{by_path}"
    return None
