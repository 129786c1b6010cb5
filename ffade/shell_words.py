"""Paths in the commands ffade prints for a person to type next ("next: ffade report RUN")."""

from __future__ import annotations

import shlex
from pathlib import Path


def shell_path(path: str | Path) -> str:
    """``path`` as one shell word that a command reads as a path: quoted as needed, and one that
    starts with ``-`` (a run saved under ``-runs``) led by ``./``, which an option parser would
    otherwise take for an option (``ffade report -runs/x`` is refused)."""
    text = str(path)
    return shlex.quote(f"./{text}" if text.startswith("-") else text)
