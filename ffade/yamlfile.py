"""Reading the YAML files users write (feedback, priorities, loop configs) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ffade.errors import FfadeError


def read_yaml(path: Path, not_found: str) -> Any:
    """The file's data. A missing file raises ``not_found``; bad YAML names the file and why."""
    if not path.is_file():
        raise FfadeError(not_found)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FfadeError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
