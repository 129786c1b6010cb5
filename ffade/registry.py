"""Find plugins through ``importlib.metadata`` entry points, one group per kind, or in-process.

Loading is lazy: listing plugins imports nothing (:mod:`ffade.plugin_index` lists them, kept
apart so that a listing of names imports neither this module nor torch), and a plugin that fails
to import is reported with its name and distribution while every other plugin keeps working.

Two ways skip packaging, for a notebook or a script: :func:`register` names a class (or a ready
instance) for the rest of this Python process, and a name written ``module:attribute`` imports
that class directly (``{name: my_package.models:MyTarget}`` in a config).
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
from typing import Any

from ffade.blame import OWN_CODE
from ffade.errors import FfadeError, PluginError, clipped, first_line
from ffade.function_hint import wrap_function_hint
from ffade.grid_words import yaml_words_hint
from ffade.installed_plugins import distribution
from ffade.plugin_api import Concept, Dataset, Reward, Target
from ffade.plugin_arguments import check_defined, check_numbers, check_switches, led_by, name_by_key
from ffade.plugin_checks import check_constructed, declared_kinds
from ffade.plugin_groups import unknown_name
from ffade.plugin_index import GROUPS, kind_entries, qualified, registered_plugins
from ffade.plugin_index import IN_PROCESS as IN_PROCESS  # re-exported: its documented path
from ffade.plugin_index import PluginInfo as PluginInfo
from ffade.plugin_index import available as available
from ffade.written import a_type

KINDS: dict[str, tuple[str, type]] = {
    "target": (GROUPS["target"], Target),
    "concept": (GROUPS["concept"], Concept),
    "reward": (GROUPS["reward"], Reward),
    "dataset": (GROUPS["dataset"], Dataset),
}
"""kind -> (entry-point group, base class every plugin of that kind subclasses)."""


def _what(obj: Any) -> str:
    """What an entry point or import path gave, by name, not by repr (an address in memory)."""
    if inspect.isclass(obj):
        return f"the class {qualified(obj)}"
    named = getattr(obj, "__qualname__", None)
    if callable(obj) and named:
        return f"the {type(obj).__name__} {getattr(obj, '__module__', '?')}:{named}"
    return f"{a_type(obj)} ({clipped(obj)})"


def _other_kind(kind: str, obj: Any, by_path: bool = False) -> str:
    """Where a plugin class listed under (or named by import path in) another kind's place
    belongs; for a function given as a target, how the callable target wraps it."""
    for other, (group, base) in KINDS.items():
        if inspect.isclass(obj) and issubclass(obj, base):
            place = "one of the task's concepts" if other == "concept" else f"the task's {other}"
            return f"; it is a {other}: " + (
                f"give it as {place}" if by_path else f"list it under '{group}'"
            )
    return wrap_function_hint(kind, obj)


def reward_kinds() -> dict[str, list[str]]:
    """Each ``output_kind`` the installed and registered rewards declare, with their names.

    It imports every reward plugin, so ffade asks only once a reward has refused a target; one
    that fails to import is ``ffade plugins``' to report, not a refusal's.
    """
    kinds: dict[str, list[str]] = {}
    for info in available("reward"):
        try:
            declared = declared_kinds(load("reward", info.name)) or ()
        except PluginError:
            continue
        for kind in declared:
            if info.name not in kinds.setdefault(kind, []):
                kinds[kind].append(info.name)
    return kinds


def register(kind: str, name: str, cls_or_instance: Any) -> None:
    """Make a plugin usable by ``name`` for the rest of this process: no package, no entry point.

    ``cls_or_instance`` (the docs' name for it, a keyword too) is a class (configs give it
    arguments, as for any plugin) or a ready instance (used as it is; it takes no arguments).
    Registering a name again replaces it, so a notebook cell that redefines a class can run
    twice; a name an installed plugin already has is refused, so a config never means two things.

    Raises:
        PluginError: an unknown kind, an empty name, a taken name, or a plugin that is not a
            subclass (or an instance of one) of the kind's base class.
    """
    if not isinstance(kind, str) or kind not in KINDS:  # a list was "unhashable type" there
        raise PluginError(f"unknown plugin kind {kind!r}; known kinds: {', '.join(KINDS)}")
    base = KINDS[kind][1]
    if not isinstance(name, str) or not name or ":" in name:
        raise PluginError(f"{kind} name {name!r} is not allowed; give a non-empty name without ':'")
    plugin = cls_or_instance
    is_class = inspect.isclass(plugin) and issubclass(plugin, base)
    if not (is_class or isinstance(plugin, base)):
        what = plugin.__name__ if inspect.isclass(plugin) else a_type(plugin)
        wrap = "; wrap a model or function in ffade.CallableTarget" if kind == "target" else ""
        raise PluginError(  # named by its type: a module's repr runs over many lines
            f"{kind} '{name}': {what} is neither a subclass of ffade.plugin_api."
            f"{base.__name__} nor an instance of one{wrap}"
        )
    installed = [e for e in kind_entries(kind) if e.name == name]
    if installed:
        raise PluginError(
            f"{kind} '{name}' is already installed from {distribution(installed[0])}; "
            "register yours under another name"
        )
    registered_plugins[(kind, name)] = plugin


def unregister(kind: str, name: str) -> None:
    """Forget a plugin :func:`register` was given (nothing happens if there is none)."""
    registered_plugins.pop((kind, name), None)


def registered(kind: str, name: str) -> Any | None:
    """The class or instance registered as ``name`` in this process, else None."""
    return registered_plugins.get((kind, name))


def import_attribute(kind: str, name: str) -> Any:
    """``module:attribute`` -> that attribute, with one-line errors naming what is missing."""
    module_name, _, attribute = name.partition(":")
    try:
        obj: Any = _import_here_too(module_name)
    except ImportError as exc:
        raise PluginError(f"{kind} '{name}': cannot import module '{module_name}': {exc}") from exc
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise PluginError(f"{kind} '{name}': module '{module_name}' has no '{attribute}'")
        obj = getattr(obj, part)
    return obj


def _import_here_too(module_name: str) -> Any:
    """Import ``module_name``, also from the current directory: ``python script.py`` and
    ``python -m ffade`` search it, the ``ffade`` command does not, yet ``my_module:predict``
    beside the config is the natural place. It is searched last, only when needed."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        here = os.getcwd()
        top = module_name.partition(".")[0]
        if exc.name != top or here in sys.path or "" in sys.path:
            raise
        sys.path.append(here)
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as again:
            sys.path.remove(here)
            if again.name == top:  # not here either: the first error says what is missing
                raise exc from None
            raise


def _broken(kind: str, names: list[str]) -> list[str]:
    """Those of ``names`` that fail to load, as ``ffade plugins`` flags them BROKEN. It imports
    every plugin of the kind, so it runs only once a name has been found unknown."""
    broken = []
    for name in names:
        try:
            load(kind, name)
        except PluginError:
            broken.append(name)
    return broken


def load(kind: str, name: str) -> type:
    """The plugin class ``name`` of ``kind``, checked to be what the kind requires; found, in
    order, as a class or instance :func:`register` was given, ``module:Class``, an entry point."""
    group, base = KINDS.get(kind, (None, None))
    if base is not None and (kind, name) in registered_plugins:
        obj = registered_plugins[(kind, name)]
        return obj if inspect.isclass(obj) else type(obj)
    if base is not None and ":" in name:
        obj = import_attribute(kind, name)
        if not (inspect.isclass(obj) and issubclass(obj, base)):
            raise PluginError(
                f"{kind} '{name}' is {_what(obj)}, not a subclass of "
                f"ffade.plugin_api.{base.__name__}{_other_kind(kind, obj, by_path=True)}"
            )
        return obj
    matches = [e for e in kind_entries(kind) if e.name == name]
    if not matches:
        names = sorted({e.name for e in kind_entries(kind)})
        raise PluginError(unknown_name(kind, name, names, GROUPS, _broken(kind, names)))
    if len(matches) > 1:
        dists = "; ".join(f"{distribution(e)} ({e.value})" for e in matches)
        raise PluginError(
            f"{kind} '{name}' is registered more than once in '{group}': {dists}. "
            "Rename the entry point in one of them (a name of its own, such as 'tab_mlp', not "
            "a built-in's) and reinstall it, or uninstall one of these distributions."
        )
    entry = matches[0]
    try:
        obj = entry.load()
    except Exception as exc:  # a broken plugin must not take the others down with it
        raise PluginError(
            f"{kind} '{name}' from {distribution(entry)} failed to import "
            f"({entry.value}): {type(exc).__name__}: {exc}"
        ) from exc
    if not (inspect.isclass(obj) and issubclass(obj, base)):
        raise PluginError(
            f"{kind} '{name}' from {distribution(entry)} loads {_what(obj)}, "
            f"which is not a subclass of ffade.plugin_api.{base.__name__}{_other_kind(kind, obj)}"
        )
    return obj


def checked_arguments(
    kind: str, name: str, init_args: dict[str, Any] | None = None, key: str | None = None
) -> tuple[type, dict[str, Any]]:
    """The plugin class ``name`` of ``kind`` and ``init_args`` as it will be built with, its
    argument names and switches checked against its signature without constructing it (which may
    load a model): ``ffade loop`` checks its discovery config's plugins so before any stage.

    ``key`` is where a config holds the plugin (``model.init_args.task.target``): a misspelt
    argument is then named as the YAML spells it (``model.init_args.task.target.args.nope``),
    the key a user searches a config for, as a misspelt model or trainer key is; without it
    (the Python API) the plugin's name says whose argument it is.
    """
    if name is None and key is not None:  # `name:` left empty, or the plugin left out
        raise PluginError(f"{key}.name has no default: give it a value (null is no value)")
    try:
        cls = load(kind, name)
    except PluginError as exc:
        if key is None:
            raise
        raise PluginError(f"{key}.name: {exc}") from exc.__cause__
    where = f"{key}.args." if key else ""
    init_args = dict(init_args or {})
    params = inspect.signature(cls.__init__).parameters
    own_init = cls.__init__ is not object.__init__  # a reward without __init__ takes nothing
    takes_kwargs = own_init and any(p.kind is p.VAR_KEYWORD for p in params.values())
    allowed = [p for p in params if p not in ("self", "args", "kwargs")]
    unknown = [k for k in init_args if k not in allowed]
    if unknown and not takes_kwargs:
        own = [k for k in unknown if k in ("values", "label")] if kind == "concept" else []
        fix = (
            f"; {cls.__name__}.__init__ must take values=None and label=None and pass both to "
            "super().__init__(values, label)"
        ) * bool(own)
        close = difflib.get_close_matches(unknown[0], allowed, n=1)
        hint = f" (did you mean '{where}{close[0]}'?)" if close and not own else ""
        if key:  # said as a misspelt model key is: "unknown key 'model.init_args....'"
            words = ", ".join(f"'{where}{k}'" for k in unknown)
            raise PluginError(
                f"unknown key{'s' * (len(unknown) > 1)} {words}{hint}; allowed {key}.args keys "
                f"of {kind} '{name}': {', '.join(allowed) or 'none'}{fix}"
            )
        raise PluginError(
            f"{kind} '{name}' has no argument {', '.join(map(repr, unknown))}{hint}; "
            f"allowed: {', '.join(allowed) or 'none'}{fix}"
        )
    if issubclass(cls, Concept) and ("label" in allowed or takes_kwargs):
        init_args.setdefault("label", name)
    missing = [
        p.name
        for p in params.values()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name != "self"
        and p.name not in init_args
    ]
    if missing and key:  # said here, not as "__init__() missing 1 required positional argument"
        raise PluginError(
            f"{', '.join(where + m for m in missing)}: {kind} '{name}' needs "
            f"{'it' if len(missing) == 1 else 'each'} (no default); allowed: {', '.join(allowed)}"
        )
    if missing:
        raise PluginError(
            f"{kind} '{name}' needs {', '.join(map(repr, missing))} in its args; "
            f"allowed: {', '.join(allowed)}"
        )
    check_switches(kind, name, params, init_args, where)
    check_defined(kind, name, cls)
    for argument, nested in getattr(cls, "plugin_arguments", {}).items() if key else ():
        inner = init_args.get(argument)  # the judge reward's classifier: a target, named in full
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            checked_arguments(nested, inner["name"], inner.get("args"), f"{where}{argument}")
    return cls, init_args


def create(
    kind: str, name: str, init_args: dict[str, Any] | None = None, key: str | None = None
) -> Any:
    """Load a plugin and construct it, checking its arguments against its signature first.

    Misspelled arguments get an error that lists the allowed ones, rather than a TypeError. A
    registered instance is returned as it is. ``key``: where a config holds the plugin, for
    messages (:func:`checked_arguments`).
    """
    instance = registered_plugins.get((kind, name))
    if instance is not None and not inspect.isclass(instance):
        if init_args:
            raise PluginError(
                f"{kind} '{name}' is an instance registered in this process; it takes no "
                f"arguments (got {', '.join(map(repr, init_args))}); register its class instead"
            )
        instance.plugin_name = name
        check_constructed(instance, kind, name)
        return instance
    cls, init_args = checked_arguments(kind, name, init_args, key)
    params = inspect.signature(cls.__init__).parameters
    where = f"{key}.args." if key else ""
    try:  # plugin_name is set before __init__, so the plugin's own errors can name it
        instance = cls.__new__(cls)
        instance.plugin_name = name
        instance.__init__(**init_args)
    except FfadeError as exc:  # a grid's False may have been typed as a word: say so
        exc = _name_inner(exc, cls, kind, name, init_args, where)
        exc = name_by_key(exc, kind, params, where)  # its own check, named as the YAML spells it
        raise yaml_words_hint(exc, init_args.get("values")) from exc.__cause__
    except (TypeError, ValueError) as exc:
        check_numbers(kind, name, params, init_args, where)  # the likelier cause, in our words
        # torch's own errors carry its C++ stack below the first line (num_inputs: 1e30)
        said = PluginError(led_by(f"{kind} '{name}'", first_line(exc)))
        raise name_by_key(said, kind, params, where) from exc
    except Exception as exc:  # a bug of its own: the traceback stays, and says whose it is
        try:  # unless a number argument is none (``seed: x``: torch's RuntimeError)
            check_numbers(kind, name, params, init_args, where)
        except PluginError as said:
            raise said from exc
        exc.add_note(f"ffade: raised by {kind} '{name}': __init__(){OWN_CODE}")  # as blamed
        raise
    check_constructed(instance, kind, name)
    return instance


def _name_inner(
    error: FfadeError, cls: type, kind: str, name: str, init_args: dict[str, Any], where: str
) -> FfadeError:
    """``error`` from a plugin built inside another (the judge reward's classifier, which the
    judge wraps as ``reward 'judge': classifier: target 'digits_cnn': device ...``) with the
    inner plugin's argument named by its full key from a config (``target 'digits_cnn':
    model.init_args.task.reward.args.classifier.args.device ...``), as its own top-level check
    would be. From the Python API (no ``where``), or any other words, left as they are."""
    said = str(error)
    for argument, nested in getattr(cls, "plugin_arguments", {}).items() if where else ():
        inner = init_args.get(argument)
        prefix = f"{kind} '{name}': {argument}: "
        if not (said.startswith(prefix) and isinstance(inner, dict) and len(error.args) == 1):
            continue
        try:
            params = inspect.signature(load(nested, inner["name"]).__init__).parameters
        except (PluginError, KeyError, TypeError):  # not loadable: it said so itself
            return error
        inner_said = FfadeError(said[len(prefix) :])
        named = str(name_by_key(inner_said, nested, params, f"{where}{argument}.args."))
        if named != said[len(prefix) :]:
            error.args = (named,)
    return error
