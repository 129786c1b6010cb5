"""``ffade fit``'s ``--config`` files, checked before jsonargparse reads them: a missing, empty
or misshapen file (``trainer: [1]``, a concept that is null) is one line naming the file and key.

Split from :mod:`ffade.yamlfile`, which reads YAML for every command; these checks know the shape
of a fit config (``model.init_args.task``) and which arguments name files (``--config``, ``-c``,
``--ckpt_path``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from ffade.errors import EMPTY_PATH, FfadeError, as_written, broken_link
from ffade.shell_words import backslash_hint
from ffade.written import a_type
from ffade.yamlfile import load_yaml, read_text, read_yaml


def config_paths(args: list[str]) -> list[Path]:
    """The files named by ``--config FILE``, ``--config=FILE`` or ``-c`` (``-c FILE``,
    ``-cFILE``, ``-c=FILE``: argparse's short forms) in command-line arguments."""
    return [Path(value) for value in _config_values(args)]


HOME_OPTIONS = ("--config", "-c", "--ckpt_path")
"""``ffade fit``'s options that name a file or folder themselves (not through a config)."""


def home_expanded(args: list[str]) -> list[str]:
    """``args`` with a leading ``~`` in ``--config`` and ``--ckpt_path`` values expanded.

    The shell leaves ``--ckpt_path=~/runs/x`` and a quoted ``'~/runs/x'`` as typed, and
    jsonargparse and the resume read them as a folder named ``~`` in the working directory
    ("file not found"); every other command's paths and a config's own are home already.
    """
    expanded, follows = [], False
    for arg in args:
        key, eq, value = arg.partition("=")
        if follows:
            arg = os.path.expanduser(arg)
        elif eq and key in HOME_OPTIONS:
            arg = f"{key}={os.path.expanduser(value)}"
        follows = arg in HOME_OPTIONS
        expanded.append(arg)
    return expanded


def _config_values(args: list[str]) -> list[str]:
    values = []
    for i, arg in enumerate(args):
        if arg in ("--config", "-c") and i + 1 < len(args):
            values.append(args[i + 1])
        elif arg.startswith("--config="):
            values.append(arg.partition("=")[2])
        elif arg.startswith("-c") and not arg.startswith("--") and len(arg) > 2:
            values.append(arg[2:].removeprefix("="))
    return values


def _dashed(args: list[str], text: str) -> str:
    """The hint other options give for a value starting with '-' after a space, which argparse
    reads as an option (jsonargparse says so of a file that exists; a missing one is refused
    here first, and was told only "file not found")."""
    for option, value in pairwise(args):
        if option in ("--config", "-c") and value == text and text.startswith("-"):
            return f"; '{text}' reads as an option: write {option}=./{text}"
    return ""


def _inline_config(text: str) -> bool:
    """Whether ``--config``'s value is a config itself, a mapping written in YAML."""
    try:
        return isinstance(yaml.safe_load(text), dict)
    except yaml.YAMLError:
        return False


def check_config_files(args: list[str], model_classes: Sequence[str] = ()) -> None:
    """Refuse, in one line, a ``--config`` file that is missing, a directory, not UTF-8, not
    YAML, empty or no mapping. ``model_classes``: the class paths a ``model:`` that is no mapping
    is told it may name (:func:`ffade.model_classes.model_class_paths`).

    jsonargparse would say "Unexpected config:" (naming no file), "Parser key "config": File
    does not exist" or raise a UnicodeDecodeError traceback.
    """
    if any(not value.strip() for value in _config_values(args)):  # Path("") is the cwd
        raise FfadeError(f"--config: {EMPTY_PATH}")
    for text in _config_values(args):
        path = Path(text)
        if path.is_dir():
            raise FfadeError(f"--config {text}: a directory; give a config file (a .yaml) in it")
        if not path.exists():
            if _inline_config(text):  # jsonargparse's --config '{model: ...}'
                continue
            link = broken_link(path)  # a configs folder linked to a disk not mounted, say
            missing = link or f"file not found{backslash_hint(path)}"
            raise FfadeError(f"--config {text}: {missing}{_dashed(args, text)}")
        try:
            data = read_yaml(path, f"{path}: file not found", unique_keys=True)
        except FfadeError as exc:
            raise FfadeError(f"--config {exc}") from None
        if data is None:
            raise FfadeError(
                f"--config {path}: the file is empty; a config maps keys such as model: and "
                "trainer: to values (see configs/quickstart.yaml)"
            )
        if not isinstance(data, dict):
            raise FfadeError(
                f"--config {path}: a config maps keys (model:, trainer:, ...) to values, "
                f"not {a_type(data)}"
            )
        _check_model_section(path, data.get("model"), model_classes)
        for key, value in _sections(data):
            if value is not None and not isinstance(value, (dict, str)):
                plugin = key.startswith("model.init_args.task.") and not key.endswith(".args")
                hint = " such as {name: NAME, args: {...}}" if plugin else ""
                raise FfadeError(
                    f"--config {path}: {key} must be a mapping of keys to values{hint}, "
                    f"got {_shown(value)}"
                )
        _check_concepts(path, _sections(data))
        _check_class_sections(path, "trainer", data.get("trainer"))


def _check_model_section(path: Path, model: Any, model_classes: Sequence[str]) -> None:
    """Refuse a ``model:`` that is neither a mapping nor a class name (``model: [1, 2]``), or
    whose class_path is no class name or whose init_args is null or a string: jsonargparse said
    "Not a valid subclass of LightningModule" (listing no class), "model: unhashable type:
    'list'", "argument of type 'NoneType' is not iterable" or "'str' object has no attribute
    'keys'", naming neither key."""
    if (isinstance(model, str) and not model.strip()) or not isinstance(
        model, (str, dict, type(None))
    ):  # jsonargparse: "Not a valid subclass of LightningModule", listing no class
        raise FfadeError(
            f"--config {path}: model must be {{class_path: CLASS, init_args: {{...}}}} or a model "
            f"class's dotted name ({', '.join(model_classes)}), got {_shown(model)}"
        )
    if not isinstance(model, dict):
        return
    if "class_path" in model:
        name = model["class_path"]
        if not isinstance(name, str) or not name.strip():
            raise FfadeError(
                f"--config {path}: model.class_path must be a model class's dotted name, such "
                f"as ffade.explore.DQNExplorer (ffade fit --help lists them), got {_shown(name)}"
            )
    if "init_args" in model and isinstance(model["init_args"], (str, type(None))):
        raise FfadeError(
            f"--config {path}: model.init_args must be a mapping of the model's arguments to "
            f"values, such as {{task: ..., budget: 3000}}, got {_shown(model['init_args'])}"
        )


def _check_class_sections(path: Path, key: str, value: Any) -> None:
    """Refuse a ``{class_path, init_args}`` section outside ``model`` (``trainer.logger``, a
    callback) whose class_path is no class name or whose init_args is no mapping: jsonargparse
    said "trainer.logger: argument of type 'NoneType' is not iterable" (``class_path:`` left
    empty) or "'int' object has no attribute 'keys'" (``init_args: 7``, or null), naming no key."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_class_sections(path, f"{key}[{i}]", item)
        return
    if not isinstance(value, dict):
        return
    name = value.get("class_path", "")
    if "class_path" in value and (not isinstance(name, str) or not name.strip()):
        raise FfadeError(
            f"--config {path}: {key}.class_path must be a class's dotted name, such as "
            f"lightning.pytorch.loggers.TensorBoardLogger, got {_shown(name)}"
        )
    init = value.get("init_args")
    if "init_args" in value and not isinstance(init, dict):
        raise FfadeError(
            f"--config {path}: {key}.init_args must be a mapping of {name or 'the class'}'s "
            f"arguments to values, got {_shown(init)}"
        )
    for sub, item in value.items():
        if sub != "init_args":
            _check_class_sections(path, f"{key}.{sub}", item)


def _check_concepts(path: Path, sections: list[tuple[str, Any]]) -> None:
    """Refuse a concept that is null (a bare ``-``), whose name is no string or whose args are a
    string: jsonargparse named the key "model.init_args.name" or "model.init_args.args", or said
    "Not a valid subclass of PluginSpec", never which concept."""
    for key, value in sections:
        if not key.startswith("model.init_args.task.concepts["):
            continue
        if key.endswith(".args"):
            if isinstance(value, str):
                raise FfadeError(
                    f"--config {path}: {key} must be a mapping of keys to values, "
                    f"got {_shown(value)}"
                )
        elif value is None or value == "":
            raise FfadeError(
                f"--config {path}: {key} must be a concept written {{name: NAME, args: {{...}}}}, "
                f"got {_shown(value)} (an empty list item?)"
            )
        elif isinstance(value, dict) and not isinstance(value.get("name", ""), str):
            raise FfadeError(
                f"--config {path}: {key}.name must be a concept's name, such as rotation "
                f"(ffade plugins concept lists them), got {_shown(value['name'])}"
            )


def _shown(value: Any) -> str:
    """A YAML value as a message shows it: null, an empty string, or its type and value."""
    if value is None:
        return "null"
    if value == "":
        return "an empty string"
    return f"the {type(value).__name__} {as_written(value)}"  # [synthetic], not ['synthetic']


def _sections(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(dotted key, value) of each part of a config that must be a mapping, where a list there
    was a traceback (``trainer: [1]``) or a message naming no key. A string is left alone: it may
    name a file or a plugin, and jsonargparse or ffade says what is wrong with one."""
    model = data.get("model")
    found: list[tuple[str, Any]] = [("trainer", data.get("trainer")), ("model", model)]
    init = model.get("init_args") if isinstance(model, dict) else None
    task = init.get("task") if isinstance(init, dict) else None
    found += [("model.init_args", init), ("model.init_args.task", task)]
    if not isinstance(task, dict):
        return found
    plugins = {k: task.get(k) for k in ("target", "dataset", "reward")}
    concepts = task.get("concepts")
    if isinstance(concepts, list):
        plugins.update({f"concepts[{i}]": c for i, c in enumerate(concepts)})
    for key, spec in plugins.items():
        found.append((f"model.init_args.task.{key}", spec))
        if isinstance(spec, dict):
            found.append((f"model.init_args.task.{key}.args", spec.get("args")))
    return found


def unparsed_empty_keys(path: Any, parsed: Any) -> str | None:
    """The first key of the YAML file whose value is ``{}`` and that the parsed config lacks.

    jsonargparse flattens nested mappings into dotted keys, so an empty one (``argz: {}``, a
    misspelled ``args``) adds no key and nothing rejects it: it would vanish without a word.
    """
    data = load_yaml(read_text(Path(str(path))))  # libyaml: a grid may hold 10^5 values
    return _first_dropped(data, parsed, "")


def option_empty_keys(args: Sequence[str], parsed: Any) -> tuple[str, str] | None:
    """(option, key) of the first ``{}`` an option's YAML value (or a YAML file given as one,
    ``--trainer trainer.yaml``) holds under a key the parsed config lacks: a config file's are
    refused, yet ``--model.task.target '{name: synthetic, arg: {}}'`` dropped its misspelt ``arg``
    without a word. ``KEY+=`` appends and ``--config`` is read as a file: both are left alone."""
    for i, token in enumerate(args):
        if not token.startswith("--") or token.startswith(("--config", "--print_config")):
            continue
        option, eq, text = token[2:].partition("=")
        if not eq:
            text = args[i + 1] if i + 1 < len(args) else ""
        if option.endswith("+") or not text:
            continue
        try:
            value = load_yaml(text)
            if isinstance(value, str) and value.endswith((".yaml", ".yml")):
                value = load_yaml(read_text(Path(value).expanduser()))
        except (OSError, yaml.YAMLError, FfadeError):
            continue  # not YAML or no file: jsonargparse read it as it is, or said why not
        if not isinstance(value, (dict, list)):
            continue
        full = option
        if option.startswith("model.") and option.split(".")[1] not in ("init_args", "class_path"):
            full = "model.init_args." + option[len("model.") :]  # --model.task...: short form
        section = parsed.get(full) if hasattr(parsed, "get") else None
        found = _first_dropped(value, section, f"{full}.") if section is not None else None
        if found:
            return f"--{option}", found
    return None


def _first_dropped(data: Any, parsed: Any, prefix: str) -> str | None:
    if isinstance(data, dict) and _is_mapping(parsed):
        for key, value in data.items():
            name = f"{prefix}{key}"
            if not _has(parsed, key):
                if value == {}:
                    return name
                continue
            found = _first_dropped(value, _get(parsed, key), f"{name}.")
            if found:
                return found
    elif isinstance(data, list) and isinstance(parsed, list):
        for i, (item, parsed_item) in enumerate(zip(data, parsed, strict=False)):
            found = _first_dropped(item, parsed_item, f"{prefix.rstrip('.')}[{i}].")
            if found:
                return found
    return None


def _is_mapping(value: Any) -> bool:
    return isinstance(value, dict) or hasattr(value, "__dict__")


def _has(parsed: Any, key: Any) -> bool:
    if isinstance(parsed, dict):
        return key in parsed
    return isinstance(key, str) and key in vars(parsed)


def _get(parsed: Any, key: Any) -> Any:
    return parsed[key] if isinstance(parsed, dict) else vars(parsed)[key]
