"""``ffade fit``'s command line as typed: an option given twice, a value read as an option.

LightningCLI (jsonargparse) keeps the last of an option given twice without a word, where
ffade's own commands refuse it (``ffade.errors.ArgumentParser``): ``--model.init_args.budget 20
--model.init_args.budget 30`` ran 30 evaluations while the user believed the 20 counted. And a
value that starts with ``-`` reads as an option; how to give it depends on what the option takes
(a path as ``=./-x``, a number never as ``-x``), which the option's annotation says.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import types
import typing
from pathlib import PurePath

REPEATABLE = ("--config", "-c")
"""Options jsonargparse layers when given again: each ``--config`` merges into the ones before."""
LIST_GROUPS = ("--trainer.callbacks", "--trainer.logger", "--trainer.plugins")
"""Lightning's lists of classes: ``--trainer.callbacks+=A --trainer.callbacks.patience=5
--trainer.callbacks+=B --trainer.callbacks.patience=3`` sets each appended class's argument."""
FLAGS = ("-h", "--help", "--print_config")
"""Options that take no value of their own to keep: giving one again changes nothing."""


def repeated_fit_option(args: list[str]) -> str | None:
    """The error for a value option ``ffade fit`` was given twice, else None.

    ``--model.task.X`` is short for ``--model.init_args.task.X``: both spellings count as one
    key. ``+`` options append (``--model.init_args.task.concepts+=...``), so they repeat, as
    does anything under a group appended to or under Lightning's lists of classes.
    """
    appended = [a.split("=", 1)[0].removesuffix("+") for a in args if _key(a).endswith("+")]
    groups = (*LIST_GROUPS, *appended)
    seen: dict[str, str] = {}
    for arg in args[1:]:
        key = _key(arg)
        if not key.startswith("--") or key.endswith("+") or key in REPEATABLE + FLAGS:
            continue
        if any(key == group or key.startswith(f"{group}.") for group in groups):
            continue
        if key in seen:
            uses = sum(_key(a) == key for a in args[1:])
            spelled = f" (as {seen[key]} and {arg.split('=', 1)[0]})" if seen[key] != key else ""
            return f"{key} given {uses} times{spelled}; give it once (see ffade fit --help)"
        seen[key] = arg.split("=", 1)[0]
    return None


def _key(arg: str) -> str:
    """The key an option sets, in its long spelling: ``--model.task.mode=x`` sets
    ``--model.init_args.task.mode``."""
    flag = arg.split("=", 1)[0]
    short = flag.removeprefix("--model.")
    if flag.startswith("--model.") and not short.startswith(("init_args", "class_path", "help")):
        return f"--model.init_args.{short}"
    return flag


def model_help_without_class(args: list[str]) -> str | None:
    """The error for ``--model.help`` given no class: jsonargparse then printed the help of
    ``LightningModule``, which takes nothing, as a usage line and no options, exit 0."""
    for position, arg in enumerate(args):
        following = args[position + 1] if position + 1 < len(args) else "-"
        if (arg == "--model.help" and following.startswith("-")) or arg == "--model.help=":
            from ffade.model_classes import PLUGIN_CLASSES, model_class_paths

            return (
                "--model.help takes a model class, e.g. ffade fit --model.help DQNExplorer; "
                f"model classes: {', '.join(model_class_paths())}, {PLUGIN_CLASSES}"
            )
    return None


def dashed_value_hint(args: list[str], option: str, value: str) -> str:
    """How to give ``option`` the ``value`` that argparse read as an option (``-x``), for what
    the option takes: a path as ``=./-x``, a word as ``=-x``; a number, a switch or one of a few
    words is said as such, since no spelling makes ``-x`` one."""
    taken = _what_it_takes(args, option)
    if taken is None:
        return f"'{value}' reads as an option: write {option}={value}"
    if taken == "path":
        return f"'{value}' reads as an option: write {option}=./{value}"
    return f"'{value}' reads as an option; {option} takes {taken}"


def _what_it_takes(args: list[str], option: str) -> str | None:
    """What ``option``'s annotation takes, in words ("a whole number", "true or false", ...);
    "path" for a file or folder; None for a word or what cannot be told."""
    if option in ("--config", "-c", "--ckpt_path"):
        return "path"
    annotation, default = _declared(args, _key(option).removeprefix("--"))
    kinds = [a for a in _alternatives(annotation) if a is not type(None)]
    null = " or null" if type(None) in _alternatives(annotation) else ""  # reward_clip's too
    if not kinds:
        return None
    if all(k is str or (isinstance(k, type) and issubclass(k, PurePath)) for k in kinds):
        return "path" if any(k is not str for k in kinds) else None
    if all(typing.get_origin(k) is typing.Literal for k in kinds):
        return "one of " + ", ".join(str(v) for k in kinds for v in typing.get_args(k))
    words = {int: "a whole number", float: "a number", bool: "true or false"}
    if all(k in words for k in kinds):
        said = [words[k] for k in (int, float, bool) if k in kinds]
        if said[:2] == ["a whole number", "a number"]:
            said = said[1:]  # a float option takes whole numbers too
        return f"{', or '.join(said)}{null}, e.g. {option} {_example(kinds, default)}"
    return None


def _example(kinds: list[object], default: object) -> str:
    """A number option's default where it is one of ``kinds``, so inside what the option allows
    (a share below 1, a step size that learns), else a value of the first kind; a switch's
    example stays ``true``, the way to turn it on."""
    if type(default) in (int, float) and type(default) in kinds and math.isfinite(default):
        return str(default)
    return "1" if int in kinds else "0.5" if float in kinds else "true"


def _alternatives(annotation: object) -> list[object]:
    """The types a Union (or ``X | None``) allows, else the annotation alone."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _alternatives(arg)]
    return [] if annotation is None else [annotation]


def _declared(args: list[str], key: str) -> tuple[object, object]:
    """The annotation and default of ``trainer.KEY``, ``seed_everything`` or
    ``model.init_args.KEY[.SUB]`` (a dataclass argument's fields followed: ``task.mode``); None
    for what is not found, and for a default the code does not declare."""
    parts = key.split(".")
    if parts == ["seed_everything"]:
        return int | bool, None
    if parts[0] == "trainer" and len(parts) == 2:
        from lightning.pytorch import Trainer

        return _parameter(Trainer, parts[1])
    if parts[:2] != ["model", "init_args"] or len(parts) < 3:
        return None, None
    from ffade.model_classes import chosen_class

    cls, _ = chosen_class(args)
    annotation, default = _parameter(cls, parts[2]) if cls is not None else (None, None)
    for field in parts[3:]:
        dataclass = next(
            (a for a in _alternatives(annotation) if dataclasses.is_dataclass(a)), None
        )
        annotation = _hints(dataclass).get(field) if dataclass is not None else None
        fields = {f.name: f.default for f in dataclasses.fields(dataclass)} if dataclass else {}
        default = fields.get(field)
    return annotation, default


def _parameter(cls: type, name: str) -> tuple[object, object]:
    """The annotation and default of ``cls``'s constructor argument ``name``, over its bases."""
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is not None and name in (parameters := inspect.signature(init).parameters):
            return _hints(init).get(name), parameters[name].default
    return None, None


def _hints(obj: object) -> dict[str, object]:
    """``typing.get_type_hints``, or nothing where an annotation cannot be resolved (a name
    imported only for type checkers)."""
    try:
        return typing.get_type_hints(obj)
    except Exception:  # any failure to resolve means "cannot be told"
        return {}
