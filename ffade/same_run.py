"""Whether a checkpoint (or a run directory's summary) is of the run the config builds: a resume
continues *that* run, so a model class or any argument other than the run's is refused, naming
the first setting that differs as a config names it (``model.init_args.task.concepts[2]...``)."""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, is_dataclass
from typing import Any

from ffade.errors import FfadeError
from ffade.resume_names import as_saved
from ffade.task import PluginSpec, TaskSpec, absolute_plugin_paths


def check_same_run(saved: dict[str, Any], model: Any, where: str) -> None:
    """Refuse a resume whose model class or arguments differ from the run it continues."""
    saved_class = saved.get("_class_path")
    advice = "resume with that run's own config.yaml, or drop --ckpt_path to start a new run"
    saved_type = _resolve(saved_class) if saved_class else None
    if saved_class and saved_type is not type(model):
        said = _public_path(saved_type) if isinstance(saved_type, type) else saved_class
        raise FfadeError(
            f"{where} was saved by {said}, but the config runs "
            f"{_public_path(type(model))}; {advice}"
        )
    now = dict(getattr(model, "hparams", {}))
    for key, value in saved.items():
        if key.startswith("_") or key not in now:
            continue
        if key == "task":
            value, now[key] = _task(value), as_saved(_task(value), _task(now[key]))
        if _plain(value) != _plain(now[key]):
            path, value, current = _first_difference(key, _data(value), _data(now[key]))
            if isinstance(value, list) and isinstance(current, list):
                said = _count_difference(f"model.init_args.{path}", value, current)
            else:
                said = f"model.init_args.{path} = {_short(value)}, but the config says "
                said += _short(current)
            raise FfadeError(
                f"{where} was saved with {said}; a resume keeps every argument of its run: {advice}"
            )


def _first_difference(path: str, saved: Any, now: Any) -> tuple[str, Any, Any]:
    """The first leaf where two plain values differ, so a long task spec's difference shows;
    a plugin's ``name`` before its ``args``, which differ because the plugin does."""
    if isinstance(saved, dict) and isinstance(now, dict):
        for key in sorted(set(saved) | set(now), key=lambda key: (key != "name", key)):
            if key not in saved or key not in now or _plain(saved[key]) != _plain(now[key]):
                return _first_difference(f"{path}.{key}", saved.get(key), now.get(key))
    if isinstance(saved, list) and isinstance(now, list) and len(saved) == len(now):
        for index, (left, right) in enumerate(zip(saved, now, strict=True)):
            if _plain(left) != _plain(right):
                return _first_difference(f"{path}[{index}]", left, right)
    return path, saved, now


def _count_difference(path: str, saved: list[Any], now: list[Any]) -> str:
    """Two lists of different lengths (a concept dropped or added), as the entries one has and
    the other lacks: both lists cut short hid the difference at their ends."""
    same = next(
        (i for i, (a, b) in enumerate(zip(saved, now, strict=False)) if _plain(a) != _plain(b)),
        min(len(saved), len(now)),
    )
    extra, name = len(saved) - len(now), path.rpartition(".")[2]
    listed = (
        f"{len(saved)} {path} ({_items(saved)}), but the config says {len(now)} ({_items(now)})"
    )
    if extra > 0 and _plain(saved[:same] + saved[same + extra :]) == _plain(now):
        lacks = ", ".join(
            f"{name}[{same + i}] = {_item(e)}" for i, e in enumerate(saved[same : same + extra])
        )
        return f"{listed}: it lacks the run's {lacks}"
    if extra < 0 and _plain(now[:same] + now[same - extra :]) == _plain(saved):
        adds = ", ".join(
            f"{name}[{same + i}] = {_item(e)}" for i, e in enumerate(now[same : same - extra])
        )
        return f"{listed}: it adds {adds}"
    return f"{listed}: they differ first at {name}[{same}]"


def _items(values: list[Any], limit: int = 120) -> str:
    text = ", ".join(_item(value) for value in values)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _item(value: Any) -> str:
    """A list entry in short: a plugin spec as ``name(arg=value, ...)``, as a concept reads."""
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        args = value.get("args") or {}
        if isinstance(args, dict) and set(value) <= {"name", "args"}:
            inner = ", ".join(f"{key}={json.dumps(arg, default=str)}" for key, arg in args.items())
            return f"{value['name']}({inner})" if inner else value["name"]
    return _short(value, 60)


def _public_path(cls: type) -> str:
    """The shortest import path of ``cls`` (``ffade.explore.RandomExplorer``, not its
    ``ffade.explore.baselines`` module): how configs and the docs name it."""
    parts = cls.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = ".".join(parts[:end])
        try:
            if getattr(importlib.import_module(module), cls.__qualname__, None) is cls:
                return f"{module}.{cls.__qualname__}"
        except ImportError:
            continue
    return f"{cls.__module__}.{cls.__qualname__}"


def _resolve(class_path: str) -> Any:
    """The class a saved ``_class_path`` names (``ffade.explore.DQNExplorer``), None if gone."""
    module, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return None


def _task(spec: Any) -> Any:
    """A task spec with its defaults filled in, as a dict: written out or not, they are equal."""
    try:
        spec = TaskSpec(**spec) if isinstance(spec, dict) else spec
        spec.concepts = [PluginSpec(**c) if isinstance(c, dict) else c for c in spec.concepts]
        for name in ("target", "dataset", "reward"):
            plugin = getattr(spec, name)
            setattr(spec, name, PluginSpec(**plugin) if isinstance(plugin, dict) else plugin)
    except TypeError:
        return spec  # not a task spec: compared as it is, and it differs
    spec = asdict(spec)
    absolute_plugin_paths(spec)  # a run saved with a relative weights path, resumed from there
    return spec


def _plain(value: Any) -> str:
    """A comparable text of a config value: dataclasses (TaskSpec) and dicts alike."""
    return json.dumps(_data(value), sort_keys=True, default=str)


def _data(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return {str(k): _data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_data(v) for v in value]
    return value


def _short(value: Any, limit: int = 80) -> str:
    text = _plain(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
