"""Turn what a Python user passes (names, dicts, classes, instances) into a config's pieces.

The API runs the same LightningCLI as ``ffade fit``, so every piece must become what a config
says: a plugin ``{name, args}``, an explorer ``{class_path, init_args}``. Plugin classes and
instances are registered in this process (:func:`ffade.registry.register`) under a free name, so
the config can name them and every check the CLI makes still runs.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from ffade import registry
from ffade.errors import FfadeError, shown
from ffade.plugin_names import snake_case
from ffade.task import TASK_MODES, TaskSpec, check_task_keys
from ffade.task_values import key_hint
from ffade.written import a_type

EXPLORERS = {
    "dqn": "ffade.explore.DQNExplorer",
    "random": "ffade.explore.RandomExplorer",
    "grid": "ffade.explore.GridExplorer",
    "epsilon_greedy": "ffade.explore.EpsilonGreedyExplorer",
}
"""Short explorer names the API takes, besides class names and class paths."""

FINETUNERS = {"classifier": "ffade.mitigate.ClassifierFineTuner"}
"""Short fine-tuner names; plugins' fine-tuners go by class path (ffade_text.mitigate....)."""

BASES = {"explorer": ("Explorer", "an explorer"), "finetuner": ("FineTuner", "a fine-tuner")}
"""The class an explorer or fine-tuner class passed in must subclass, in its default module."""

TASK_KEYS = tuple(f.name for f in fields(TaskSpec))


def in_process_name(kind: str, plugin: Any, label: Any = None) -> str:
    """Register a plugin class or instance for this process; returns the name it goes by.

    A new one gets its own label (a concept instance's, or the ``label`` a concept class is
    given in its args), else its class's name in snake case, with a number added when the name
    is taken. The same object keeps its name, but for each label it is given its own: one
    concept class used twice, labelled ``tilt`` and ``slide``, goes by both, and given with no
    label it goes by its class's name, not by a label an earlier call gave it (a concept's name
    is its label, which the run's report shows).
    """
    cls = plugin if inspect.isclass(plugin) else type(plugin)
    base = getattr(plugin, "label", None) if not inspect.isclass(plugin) else label
    labelled = isinstance(base, str) and bool(base)
    base = base if labelled else snake_case(cls.__name__)
    for info in registry.available(kind):
        same = registry.registered(kind, info.name) is plugin
        named = not (labelled or kind == "concept")  # another kind's name is no label
        mine = named or re.fullmatch(rf"{re.escape(base)}(_\d+)?", info.name)
        if same and mine and info.distribution == registry.IN_PROCESS:
            return info.name
    taken = {info.name for info in registry.available(kind)}
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}_{number}"
    registry.register(kind, name, plugin)
    return name


def plugin_spec(kind: str, piece: Any, where: str) -> dict[str, Any]:
    """A task piece as a config spells it, ``{"name": ..., "args": {...}}``.

    Takes a plugin name, a ``{name, args}`` dict (or PluginSpec) whose name may be a class, or a
    plugin class or instance itself.
    """
    base = registry.KINDS[kind][1]
    if is_dataclass(piece) and not inspect.isclass(piece):
        piece = asdict(piece)
    if isinstance(piece, dict):
        unknown = sorted(set(piece) - {"name", "args"})
        if unknown or "name" not in piece:
            raise FfadeError(
                f"{where}: expected {{name, args}}; "
                + (
                    f"unknown key {unknown[0]!r}{key_hint(unknown[0], ['name', 'args'])}"
                    if unknown
                    else "'name' is missing"
                )
            )
        args = {} if piece.get("args") is None else piece["args"]  # an array has no truth
        if not isinstance(args, dict):
            raise FfadeError(f"{where}.args: expected a mapping of arguments, got {shown(args)}")
        name = piece["name"]
        if kind == "concept" and inspect.isclass(name) and issubclass(name, base):  # its label
            name = in_process_name(kind, name, args.get("label"))
        if not isinstance(name, str) and not inspect.isclass(name) and args:
            # was refused under the name it was registered by ("reward 'margin_reward_2' is an
            # instance"), a name never typed, and registered again at each try
            function = getattr(name, "__qualname__", None)  # a function has no class to give
            given = function or f"a {type(name).__name__} instance"
            fix = (
                "bind them yourself (functools.partial)"
                if function
                else (
                    f"give its class as name ({{'name': {type(name).__name__}, 'args': {{...}}}}), "
                    "or construct it with them"
                )
            )
            raise FfadeError(
                f"{where}: {given} is used as it is; it takes no args "
                f"(got {', '.join(map(repr, args))}); {fix}"
            )
        if not isinstance(name, str):
            name = plugin_spec(kind, name, f"{where}.name")["name"]
        return {"name": name, "args": plain(dict(args))}
    if isinstance(piece, str):
        return {"name": piece, "args": {}}
    if (inspect.isclass(piece) and issubclass(piece, base)) or isinstance(piece, base):
        return {"name": in_process_name(kind, piece), "args": {}}
    if kind == "target" and callable(piece) and not inspect.isclass(piece):
        return {"name": in_process_name(kind, callable_target(piece)), "args": {}}
    model = " (or a torch.nn.Module or function)" if kind == "target" else ""
    raise FfadeError(
        f"{where}: {shown(piece)} is not a {kind} name, a {{name, args}} mapping, or a "
        f"ffade.plugin_api.{base.__name__} class or instance{model}"
    )


def plain(value: Any) -> Any:
    """``value`` as a config would hold it: a NumPy array or a torch tensor as a list, a NumPy
    scalar as a Python number, inside mappings and lists too. A notebook's ``np.linspace(...)``
    as a concept's ``values`` was "values must be a list, got 'Unable to serialize instance
    [ 0 10]'", after a JsonargparseWarning."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(plain(item) for item in value)
    if type(value).__module__ == "numpy" or isinstance(value, _tensor_type()):
        tolist = getattr(value, "tolist", None)  # ndarray, np.float32, tensor: Python values
        return tolist() if callable(tolist) else value
    return value


def _tensor_type() -> type:
    import torch  # the run imports it anyway; ``import ffade`` stays light

    return torch.Tensor


_WRAPPERS: dict[int, Any] = {}
"""id of each model or function passed as a target -> the CallableTarget made for it (kept for
the process, as the registry keeps it, so an id is never reused while its entry stands)."""


def callable_target(model: Any) -> Any:
    """A ``torch.nn.Module`` or a function, passed as a target, as :class:`CallableTarget`.

    The README promises that a model or a ``predict`` function "is a target as it is". The same
    object gets the same wrapper (so the same in-process name): ``ffade.mitigate`` then trains
    the very module the user holds, and a second ``discover`` reuses it. Labels still need
    ``num_classes``, which only an explicit ``ffade.CallableTarget(f, num_classes=N)`` gives.
    """
    from ffade.callable_target import CallableTarget

    wrapper = _WRAPPERS.get(id(model))
    if wrapper is None or wrapper.function is not model:
        wrapper = _WRAPPERS[id(model)] = CallableTarget(model)
    return wrapper


def task_config(task: Any, pieces: dict[str, Any]) -> dict[str, Any]:
    """The config's ``task`` section from a task (dict or TaskSpec) and pieces that override it."""
    if task is None:
        task = {}
    elif is_dataclass(task) and not inspect.isclass(task):
        task = {key: getattr(task, key) for key in TASK_KEYS}
    elif not isinstance(task, dict):
        raise FfadeError(f"task: expected a mapping or a TaskSpec, got {type(task).__name__}")
    task = {**task, **{k: v for k, v in pieces.items() if v is not None}}
    check_task_keys(task)
    concepts = task["concepts"]
    if not isinstance(concepts, (list, tuple)):
        concepts = [concepts]
    return {
        **task,
        **{k: plugin_spec(k, task[k], f"task.{k}") for k in ("target", "dataset", "reward")},
        "concepts": [
            plugin_spec("concept", c, f"task.concepts[{i}]") for i, c in enumerate(concepts)
        ],
    }


def check_mode(mode: Any) -> None:
    """discover's ``mode`` keyword, named as typed: jsonargparse said
    "model.init_args.task.mode: 'macro' is not allowed", config words for a Python keyword."""
    if mode is not None and mode not in TASK_MODES:
        raise FfadeError(f"mode must be one of {', '.join(TASK_MODES)}, got {shown(mode)}")


def module_config(piece: Any, aliases: dict[str, str], default_module: str, where: str) -> dict:
    """An explorer or fine-tuner as ``{class_path, init_args}``, from a name, class or dict."""
    if isinstance(piece, dict):
        unknown = sorted(set(piece) - {"class_path", "init_args"})
        if unknown or "class_path" not in piece:
            raise FfadeError(
                f"{where}: expected {{class_path, init_args}}; "
                + (
                    f"unknown key {unknown[0]!r}{key_hint(unknown[0], ['class_path', 'init_args'])}"
                    if unknown
                    else "'class_path' is missing"
                )
            )
        config = module_config(piece["class_path"], aliases, default_module, where)
        init_args = {} if piece.get("init_args") is None else piece["init_args"]
        if not isinstance(init_args, dict):  # dict() of it was "TypeError: 'int' object is not
            raise FfadeError(  # iterable", from here, of explorer={..., "init_args": 3}
                f"{where}.init_args: expected a mapping of arguments, got {shown(init_args)}"
            )
        return {**config, "init_args": plain(dict(init_args))}
    if inspect.isclass(piece):
        base_name, kind = BASES[where]
        base = getattr(importlib.import_module(default_module), base_name)
        if not issubclass(piece, base):  # not 'Parser key "model": ... LightningModule'
            raise FfadeError(
                f"{where}: {piece.__qualname__} is not {kind} class; give a subclass of "
                f"{default_module}.{base.__name__}, a name ({', '.join(aliases)}) or a class path"
            )
        return {"class_path": f"{piece.__module__}.{piece.__qualname__}", "init_args": {}}
    if not isinstance(piece, str) or not piece:
        raise FfadeError(
            f"{where}: {shown(piece)} is not a name ({', '.join(aliases)}), a class path or a class"
        )
    if (
        piece not in aliases
        and "." not in piece
        and not hasattr(importlib.import_module(default_module), piece)
    ):
        from ffade.model_classes import model_class_guess  # the command's guess for --model

        close = difflib.get_close_matches(piece, list(aliases), n=1)
        guess = close[0] if close else model_class_guess(piece)
        if not close and guess and not guess.startswith(f"{default_module}."):
            guess = None  # an explorer's class offered for a fine-tuner, or the other way round
        hint = f" (did you mean {guess!r}?)" if guess else ""
        raise FfadeError(
            f"{where}: unknown {where} {piece!r}{hint}; give {', '.join(aliases)}, a class name "
            f"of {default_module}, a class path or a class"
        )
    path = aliases.get(piece, piece if "." in piece else f"{default_module}.{piece}")
    return {"class_path": path, "init_args": {}}


def logger_config(save_dir: str, name: str) -> dict[str, Any]:
    """The TensorBoard logger ``ffade fit`` uses, writing to ``save_dir/name/version_N``."""
    return {
        "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
        "init_args": {"save_dir": str(save_dir), "name": name},
    }


def check_plugins_known(task: dict[str, Any], run_dir: Any) -> None:
    """Refuse, in one line that says why, a run whose plugin this process does not know.

    A run searched a module or class passed to ``ffade.discover`` under an in-process name
    (``callable_target``); a new process (a restarted notebook) knows it no longer, and the
    registry's "unknown target 'callable_target' (did you mean 'callable'?)" would mislead.
    """
    pieces = [(k, task.get(k)) for k in ("target", "dataset", "reward")]
    pieces += [("concept", c) for c in task.get("concepts") or []]
    for kind, spec in pieces:
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or ":" in name:
            continue
        if name not in {info.name for info in registry.available(kind)}:
            raise FfadeError(
                f"{run_dir}: its {kind} '{name}' is neither installed nor registered in this "
                f"process; a plugin registered where the run was made (a model, function, class "
                f"or instance passed to ffade.discover) must be registered again: "
                f"ffade.register({kind!r}, {name!r}, ...)"
            )


def unrecorded_callbacks(trainer: dict[str, Any]) -> list[str]:
    """A line for each of ``trainer``'s callbacks given as an object, not ``{class_path,
    init_args}``: the run uses it, but config.yaml can only hold its class's name and
    arguments, so jsonargparse wrote "Unable to serialize instance" there (or a name of the
    caller's ``__main__``) and printed a warning that said neither what nor why."""
    callbacks = trainer.get("callbacks")
    listed = callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]
    return [
        f"trainer.callbacks[{i}] is {a_type(c)} object made in this process: the run "
        "uses it, but its config.yaml cannot record it, so `ffade fit --config` cannot rerun "
        "that config; give {class_path, init_args} to record it"
        for i, c in enumerate(listed)
        if c is not None and not isinstance(c, (dict, str))
    ]


def detach_model_logging(trainer: dict[str, Any]) -> None:
    """Take back the ``log``/``log_dict`` Lightning sets on each callback object (the run's
    model's bound methods): kept, they held the finished run's model, trainer and streams, and
    the same callback given again (the ``resume=`` a stopped run's line names, or a second run)
    was refused with "trainer.callbacks: cannot pickle '_io.TextIOWrapper' object"."""
    from lightning.pytorch import LightningModule

    callbacks = trainer.get("callbacks")
    for callback in callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]:
        attributes = getattr(callback, "__dict__", {})
        for name in ("log", "log_dict"):
            bound_to = getattr(attributes.get(name), "__self__", None)
            if isinstance(bound_to, LightningModule):
                del attributes[name]
