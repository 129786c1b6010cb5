"""jsonargparse's words for a value of a key other than ``--model``, said as the user typed it.

A value jsonargparse could read neither as it is nor as a file is quoted as Python writes it,
under the key of the field it was reading when it gave up: ``--model.init_args.task.concepts
'[{name: rotation, args: null}]'`` was answered ``model.init_args.args: [{'name': 'rotation',
'args': None}] is neither a class ...``, a key nobody typed and a ``None`` no YAML has.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
import sys
from contextlib import suppress
from pathlib import Path

import yaml

from ffade.written import as_written

_NEITHER = (
    re.compile(r"Expected a path but (?P<value>.*) either not accessible or invalid$"),
    re.compile(r'Unable to load config "(?P<value>[^"]*)"'),
)
_NO_CLASS = re.compile(r"module '(?P<module>[\w.]+)' has no attribute '(?P<name>\w+)'$")
NO_ARGS = "for no arguments leave args out or write args: {}"
"""Said after a value with ``args: null``: a config file takes it, the command line does not."""

NO_DATA = (
    "data: ffade takes no data section: a run's inputs come from its task's dataset "
    "(model.init_args.task.dataset; a fine-tuner's from its run); leave data out"
)
"""LightningCLI's ``data`` section, which no ffade model reads: a misspelt key in it was told
only "Option 'foo' is not accepted", and a LightningDataModule given there ran without a word,
unused by an explorer (Lightning feeds a datamodule's batches in place of a model's own)."""


LOGGER_VALUES = (
    "true, false, a logger as {class_path: lightning.pytorch.loggers.CSVLogger, init_args: "
    "{save_dir: runs}}, or a list of loggers"
)
"""What ``trainer.logger`` takes (Lightning's ``Logger | Iterable[Logger] | bool | None``)."""
_LOGGER_GIVEN = re.compile(
    r'^Parser key "trainer\.logger":.*?Subtypes: \[.*?Logger.*?Given value: (?P<value>.*)$',
    re.DOTALL,
)


def logger_reason(message: str) -> str | None:
    """ "trainer.logger must be true, false, a logger ... got 7", or None when ``message``,
    jsonargparse's whole error, is not about a ``trainer.logger`` value of no type it takes.

    jsonargparse said "trainer.logger: Not a valid subclass of Logger" for ``logger: 7`` (and
    "7 is neither a class nor a readable file" for ``--trainer.logger 7``), naming nothing it
    takes. A class path that does not import is left to :func:`other_key_hint`, whose closest
    class says more.
    """
    given = _LOGGER_GIVEN.search(message)
    if not given or "No module named" in message:
        return None
    missing = _NO_LOGGER_CLASS.search(message)
    if missing:  # a misspelt class in any form: said as a mapping's class_path is, whose
        # closest class :func:`other_key_hint` adds (a plain string or a list entry was told
        # "... is neither a class nor a readable file", "Not a valid subclass of Logger")
        return f'Parser key "trainer.logger": {missing.group(0).rpartition(":")[2].strip()}'
    value = given.group("value").strip()
    if "." in value and not value.replace(".", "").isdigit():  # a class or file path: said better
        return None
    try:
        shown = as_written(yaml.safe_load(value))
    except yaml.YAMLError:
        shown = value
    short = _SHORT_NAME.search(message)  # logger: CSVLoger, or {class_path: CSVLoger}
    return f"trainer.logger must be {LOGGER_VALUES}; got {shown}" + (
        _logger_guess(short.group("name")) if short else ""
    )


_NO_LOGGER_CLASS = re.compile(
    r"Problem with given class_path '[\w.]+':\s*"
    r"module '(?P<module>[\w.]+)' has no attribute '(?P<name>\w+)'"
)
"""jsonargparse's reason for a logger class that does not import, in whatever form it was
given (the module's own words follow the colon)."""
_SHORT_NAME = re.compile(r"Expected a dot import path string: (?P<name>\w+)$", re.MULTILINE)
"""jsonargparse's reason for a bare class name (``CSVLogger`` works) that names no logger."""


def _logger_guess(name: str) -> str:
    """`` (did you mean 'lightning.pytorch.loggers.CSVLogger'?)`` for a misspelt bare logger
    name, as a misspelt ``class_path`` is told; empty when no logger is close."""
    from lightning.pytorch import loggers
    from lightning.pytorch.loggers import Logger

    names = [n for n, v in vars(loggers).items() if inspect.isclass(v) and issubclass(v, Logger)]
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean '{loggers.__name__}.{close[0]}'?)" if close else ""


def other_key_hint(message: str, key: str, args: list[str]) -> str:
    """``message`` said plainly for ``key`` (``trainer.logger``, ``task.concepts``); the model's
    classes would be the wrong list to offer (``--trainer.logger CSVLoger`` was answered "unknown
    model class"). ``args``, the command's arguments, give the key and value as typed."""
    missing = _NO_CLASS.search(message)
    if missing:  # class_path: ...TensorBoardLoger was told no closest class, nor any class
        module, name = missing.group("module"), missing.group("name")
        hint = _classes_hint(module, name)
        if "(did you mean" in hint:  # a misspelt class: its module imported
            return message + hint
        written = " ".join([message, *args, *_config_texts(args)])
        typed = re.search(rf"{re.escape(module)}\.{name}\.[\w.]+", written)
        # no whole path found: the module alone (``module.`` imports any module)
        guess = module_path_guess(typed.group(0) if typed else f"{module}.{name}.")
        if guess:  # a misspelt module (lightning.pytorch.logers.CSVLogger): no class is close
            return f"{message} (did you mean '{guess}'?)"
        return message + hint
    for pattern in _NEITHER:
        match = pattern.search(message)
        if match:
            break
    else:
        return message
    value = match.group("value") or "an empty string"  # "but  either": the value was ''
    typed = _typed(match.group("value"), args)
    after = ""
    if typed is not None:
        key, loaded = typed
        value = as_written(loaded)
        after = f" ({NO_ARGS})" if _null_args(loaded) else ""
    if key.endswith("task.concepts"):
        return (
            f"{key}: expected a list of concepts, each written {{name: ..., args: {{...}}}}, "
            f"such as [{{name: rotation, args: {{values: [-10, 0, 10]}}}}]; got {value}{after}"
        )
    if pattern is _NEITHER[1]:
        return (
            f"{key}: expected a mapping of keys to values, or a YAML file of one; "
            f"got {value}{after}"
        )
    guess = module_path_guess(value) if re.fullmatch(r"\w+(\.\w+)+", value) else None
    if guess:  # lightning.pytorch.callbaks.EarlyStopping
        after += f" (did you mean '{guess}'?)"
    return f"{key}: {value} is neither a class (module.Class) nor a readable file{after}"


def _config_texts(args: list[str]) -> list[str]:
    """The text of each ``--config`` file in ``args`` that reads: where a class path it writes
    is found whole."""
    texts = []
    for i, arg in enumerate(args):
        flag, equals, given = arg.partition("=")
        if flag == "--config":
            path = given if equals else (args[i + 1] if i + 1 < len(args) else "")
            with suppress(OSError, UnicodeDecodeError):
                texts.append(Path(path).read_text(encoding="utf-8"))
    return texts


def module_path_guess(path: str) -> str | None:
    """``path`` with its first misspelt module name replaced by the closest module that makes
    it import (``lightning.pytorch.logers.CSVLogger`` -> ``...loggers.CSVLogger``), or None.

    A class path whose module is misspelt got the import's error and no "did you mean", which a
    misspelt class gets (:func:`_classes_hint`). The modules offered are the package's own
    submodules: the parent imported already, so nothing new runs but the guess's import.
    """
    parts = path.split(".")
    for i in range(1, len(parts) - 1):
        parent = sys.modules.get(".".join(parts[:i]))
        if parent is None or ".".join(parts[: i + 1]) in sys.modules:
            continue
        names = {m.name for m in pkgutil.iter_modules(getattr(parent, "__path__", []))}
        names |= {n for n, v in vars(parent).items() if inspect.ismodule(v)}
        for close in difflib.get_close_matches(parts[i], sorted(names), n=3):
            guess = ".".join([*parts[:i], close, *parts[i + 1 :]])
            if _imports(guess):
                return guess.rstrip(".")
        return None
    return None


def _imports(path: str) -> bool:
    """Whether ``path`` (module.Class) names an attribute of a module that imports."""
    module, _, name = path.rpartition(".")
    try:
        return hasattr(importlib.import_module(module), name) if name else True
    except Exception:  # any module's import may fail in its own way: then it is no guess
        return False


def _typed(quoted: str, args: list[str]) -> tuple[str, object] | None:
    """The key (without ``--``) and YAML value of the option in ``args`` whose list or mapping
    jsonargparse quotes as ``quoted`` (Python's repr), or None."""
    for i, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        flag, equals, given = arg.partition("=")
        if not equals:
            given = args[i + 1] if i + 1 < len(args) else ""
        try:
            loaded = yaml.safe_load(given)
        except yaml.YAMLError:
            continue
        if isinstance(loaded, (list, dict)) and repr(loaded) == quoted:
            return flag.removeprefix("--"), loaded
    return None


def _null_args(value: object) -> bool:
    """Whether ``value`` holds a mapping with ``args: null`` (a plugin given no arguments)."""
    if isinstance(value, dict):
        return ("args" in value and value["args"] is None) or any(
            _null_args(v) for v in value.values()
        )
    return isinstance(value, list) and any(_null_args(v) for v in value)


def _classes_hint(module_name: str, name: str) -> str:
    """The closest class of the module a class path names (jsonargparse imported it already),
    and its public classes, to append to "module 'M' has no attribute 'N'"."""
    module = sys.modules.get(module_name)
    names = sorted(
        n for n, v in vars(module or object()).items() if inspect.isclass(v) and n[0] != "_"
    )
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean '{module_name}.{close[0]}'?)" if close else ""
    return f"{hint}; its classes: {', '.join(names)}" if names else hint


def module_class_guess(module_name: str, name: str) -> str | None:
    """The closest model class of the module a misspelt class path names: a plugin's fine-tuner
    (``ffade_text.mitigate.Seq2SeqFineTunerTypo`` -> ``...Seq2SeqFineTuner``) is in no list of
    ffade's own, so it got the list and no "did you mean". jsonargparse imported the module
    already; core imports no plugin itself."""
    from lightning.pytorch import LightningModule  # a model class, not any class there

    module = sys.modules.get(module_name)  # none for a bare name (DQNExplorr)
    names = [
        n
        for n, v in (vars(module) if module else {}).items()
        if inspect.isclass(v)
        and issubclass(v, LightningModule)
        and n[0] != "_"
        and n not in ("Explorer", "FineTuner")  # ffade's bases: no model to run
    ]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"{module_name}.{close[0]}" if close else None
