"""The loop config (``ffade loop --config LOOP.yaml``), read and checked before anything runs.

:mod:`ffade.loop` lists its keys. Every file it names must exist and every number must be in
range before the first stage spends minutes, so a mistake is one line naming the key and the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.yamlfile import read_yaml


@dataclass
class LoopConfig:
    """The loop config's keys; see the module docstring."""

    discover: Path
    feedback: Path
    mitigate: Path
    rediscover: dict[str, Any] = field(default_factory=dict)
    out: Path = Path("runs/loop")
    threshold: float = 0.5
    min_evaluations: int = 1


def read_loop_config(path: str | Path) -> LoopConfig:
    """Load and check a loop config before anything runs: every file named must exist."""
    path = Path(path)
    data = read_yaml(path, f"--config: loop config '{path}' not found")
    allowed = list(LoopConfig.__dataclass_fields__)
    if not isinstance(data, dict):
        raise FfadeError(f"{path}: expected a mapping with keys {', '.join(allowed)}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise FfadeError(f"{path}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
    for key in ("discover", "feedback", "mitigate"):
        if not data.get(key):
            raise FfadeError(f"{path}: key {key!r} is missing; it names a file")
        where = (
            ""
            if Path(data[key]).is_absolute()
            else f" (read from the current directory, {Path.cwd()})"
        )
        read_yaml(Path(data[key]), f"{path}: {key} file '{data[key]}' not found{where}")
    rediscover = data.get("rediscover") or {}
    if not isinstance(rediscover, dict):
        raise FfadeError(f"{path}: 'rediscover' must map explorer arguments to values")
    return LoopConfig(
        discover=Path(data["discover"]),
        feedback=Path(data["feedback"]),
        mitigate=Path(data["mitigate"]),
        rediscover=rediscover,
        out=Path(data.get("out") or "runs/loop"),
        threshold=_threshold(data.get("threshold", 0.5), path),
        min_evaluations=_min_evaluations(data.get("min_evaluations", 1), path),
    )


def _threshold(value: Any, path: Path) -> float:
    """A failure rate in (0, 1], as ``ffade report --threshold`` takes."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise FfadeError(f"{path}: threshold {value!r} must be a failure rate in (0, 1]")
    return float(value)


def _min_evaluations(value: Any, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FfadeError(f"{path}: min_evaluations {value!r} must be a whole number from 1")
    return value
