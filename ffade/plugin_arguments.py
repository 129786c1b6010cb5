"""A plugin's constructor arguments and methods, checked against its class before it is built.

Split from :mod:`ffade.registry`, which finds and builds plugins: these checks turn what Python
would say (a bool read from any non-empty string, "could not convert string to float", "Can't
instantiate abstract class") into one line that names the plugin, the argument and what it takes
(docs/plugins.md). They read only the class and its signature, never construct it.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import numbers
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ffade.errors import FfadeError, PluginError, as_written

_REQUIRED_METHODS = {
    "predict": "predict(self, inputs)",
    "apply": "apply(self, inputs, value)",
    "score": "score(self, outputs, references, clean_outputs=None)",
    "split": "split(self, name)",
}
"""The base classes' abstract methods -> the signature a plugin defines them with."""


def check_defined(kind: str, name: str, cls: type) -> None:
    """Refuse a class that lacks a method its base requires (a dataset without ``split``) in
    ffade's words, rather than Python's "Can't instantiate abstract class"."""
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        needed = " and ".join(_REQUIRED_METHODS.get(m, f"{m}()") for m in missing)
        raise PluginError(
            f"{kind} '{name}': {cls.__name__} does not define {needed}, which every {kind} "
            "must (docs/plugins.md)"
        )


_BOOL_ANNOTATIONS = {bool: False, "bool": False, "bool | None": True, "Optional[bool]": True}
"""A constructor annotation that means an on/off switch -> whether it also takes None."""


def check_switches(
    kind: str,
    name: str,
    params: Mapping[str, inspect.Parameter],
    init_args: dict[str, Any],
    where: str = "",
) -> None:
    """Refuse a non-bool value for an argument declared ``bool`` (``channels_last: "yes"``,
    ``trust_remote_code: "false"``): Python would read any non-empty string, or 2, as on.
    ``where``: the config's key of the arguments (``model.init_args.task.target.args.``), if any."""
    for key, value in init_args.items():
        param = params.get(key)
        annotation = param.annotation if param is not None else None
        if not isinstance(annotation, (str, type)) or annotation not in _BOOL_ANNOTATIONS:
            continue
        if isinstance(value, bool) or (value is None and _BOOL_ANNOTATIONS[annotation]):
            continue
        raise PluginError(
            f"{kind} '{name}': {where}{key} must be true or false, got {as_written(value)}"
        )


_NUMBER_ANNOTATIONS = {
    float: (False, False),
    "float": (False, False),
    "float | None": (False, True),
    "Optional[float]": (False, True),
    int: (True, False),
    "int": (True, False),
    "int | None": (True, True),
    "Optional[int]": (True, True),
}
"""A constructor annotation that means a number -> (whether it must be whole, takes None)."""

_INT64 = (-(2**63), 2**63 - 1)
"""The whole numbers torch and numpy take as sizes and seeds: a larger one overflows in C."""


def check_numbers(
    kind: str,
    name: str,
    params: Mapping[str, inspect.Parameter],
    init_args: dict[str, Any],
    where: str = "",
) -> None:
    """After a plugin's constructor failed with Python's words ("could not convert string to
    float", "'<=' not supported between 'float' and 'str'"), name the argument declared ``int``
    or ``float`` that was given something else (``threshold: twenty``, ``seed: abc``), and what
    it takes, or one too large for a 64-bit integer (``num_inputs: 1e30`` written out in full).
    Plugins that check their own numbers keep their own messages. ``where``: as for
    :func:`check_switches`."""
    for key, value in init_args.items():
        param = params.get(key)
        annotation = param.annotation if param is not None else None
        if not isinstance(annotation, (str, type)) or annotation not in _NUMBER_ANNOTATIONS:
            continue
        whole, takes_none = _NUMBER_ANNOTATIONS[annotation]
        if value is None and takes_none:
            continue
        is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if key == "seed" and is_number and value < 0:  # numpy: "expected non-negative integer"
            raise PluginError(
                f"{kind} '{name}': {where}seed must be a whole number >= 0, got {as_written(value)}"
            )
        if is_number and whole and math.isfinite(value) and not _INT64[0] <= value <= _INT64[1]:
            # torch and numpy said "Overflow when unpacking long long", naming no argument
            raise PluginError(
                f"{kind} '{name}': {where}{key} must be a whole number from {_INT64[0]} to "
                f"{_INT64[1]} (a 64-bit integer), got {as_written(value)}"
            )
        if is_number and (not whole or not math.isfinite(value) or value == int(value)):
            continue
        what = "a whole number" if whole else "a number"
        raise PluginError(
            f"{kind} '{name}': {where}{key} must be {what}{' or null' if takes_none else ''}, "
            f"got {as_written(value)}"
        )


def led_by(plugin: str, message: str) -> str:
    """``message`` led by ``plugin`` (``"dataset 'yours'"``) unless it starts with it already: a
    constructor's ``ValueError`` may name its plugin itself (``self.plugin_name``), and its one
    line says the name once, so :func:`name_by_key` finds the argument after it."""
    return message if message.startswith(plugin) else f"{plugin}: {message}"


def name_by_key(error: Exception, kind: str, params: Mapping[str, Any], where: str) -> Exception:
    """``error`` from a plugin's own check of one of its arguments (``dataset 'synthetic':
    num_inputs must be ...``) with that argument named as the config spells it (``dataset
    'synthetic': model.init_args.task.dataset.args.num_inputs must be ...``), the key a user
    searches a config for; ``where`` is that key up to the argument (empty: unchanged, as from
    the Python API). A later argument its hint sets as YAML writes it (``set local_files_only:
    false to download``) is named so too: the key to type on the command line. Any other
    message is left as the plugin wrote it."""
    said = str(error)
    if not where or len(error.args) != 1:
        return error
    found = re.match(rf"({re.escape(kind)} '[^']*'): (\w+)(?=[\s\[.:,;]|$)", said)
    if found and found[2] in params:
        said = f"{found[1]}: {where}{found[2]}{said[found.end() :]}"
    said = re.sub(
        # after "set ", "; " or "(" only: "... text-classification model: 4 of its weights" is
        # prose, not an argument set
        r"(?:(?<=set )|(?<=; )|(?<=\())(\w+)(?=: [\w.-]+)",
        lambda m: f"{where}{m[1]}" if m[1] in params and m[1] != "self" else m[1],
        said,
    )
    error.args = (said,)
    return error


@contextmanager
def checks_by_key(
    plugin: Any, kind: str, key: str | None, concepts: Sequence[Any] = ()
) -> Iterator[None]:
    """A built plugin's later checks (``check_task``, ``check_references``), an argument they
    name (``target 'synthetic': feature_dim is 8, ...``) named by the config's key as its
    constructor's checks are (:func:`name_by_key`); ``key``: where the config holds the plugin
    (None: the Python API, words left as the plugin wrote them). A concept's argument it names
    as ``concept 'LABEL' has ARGUMENT`` (a t2i target's ``neutral``) is named by its key too,
    ``concepts``: the task's, in the config's order, beside the plugin's key."""
    try:
        yield
    except FfadeError as error:
        if key:
            params = inspect.signature(type(plugin).__init__).parameters
            name_by_key(error, kind, params, f"{key}.args.")
            _name_concept_arguments(error, concepts, key.rpartition(".")[0])
        raise


def _name_concept_arguments(error: FfadeError, concepts: Sequence[Any], task_key: str) -> None:
    """``concept 'inference_steps' has neutral 5`` in ``error`` said with the concept's key,
    ``concept 'inference_steps' has model.init_args.task.concepts[2].args.neutral 5``."""
    if len(error.args) != 1:
        return
    said = str(error)
    for index, concept in enumerate(concepts):
        params = inspect.signature(type(concept).__init__).parameters
        prefix = f"concept '{concept.label}' has "
        found = re.search(rf"{re.escape(prefix)}(\w+) ", said)
        if found and found[1] in params:
            where = f"{task_key}.concepts[{index}].args.{found[1]}"
            said = f"{said[: found.start(1)]}{where}{said[found.end(1) :]}"
    error.args = (said,)


def checked_call(init: Callable[..., None]) -> Callable[..., None]:
    """``init`` (a class's ``__init__``) refusing arguments it does not take in one line: the
    argument, the closest it takes and all of them, as ``ffade.discover(budjet=...)`` is told.

    For a plugin class users construct themselves (``ffade.CallableTarget(model,
    feature=...)``): Python's "__init__() got an unexpected keyword argument 'feature'" named
    neither what is allowed nor the one meant. A config's ``args`` are checked before the class
    is built (:func:`ffade.registry.checked_arguments`, naming the config's key); the wrapper
    keeps ``init``'s signature (``functools.wraps``), which that check reads.
    """
    signature = inspect.signature(init)
    owner = init.__qualname__.rpartition(".")[0]
    allowed = [name for name in signature.parameters if name != "self"]

    @functools.wraps(init)
    def checked(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as error:
            unknown = [key for key in kwargs if key not in allowed]
            close = difflib.get_close_matches(unknown[0], allowed, n=1) if unknown else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            said = f"unknown argument {unknown[0]!r}{hint}" if unknown else str(error)
            raise PluginError(f"{owner}: {said}; allowed: {', '.join(allowed)}") from None
        init(self, *args, **kwargs)

    return checked
