"""Paths in the commands ffade prints for a person to type next ("next: ffade report RUN"), and
the ``--model.init_args`` words that both the loop and its printed ``next:`` command pass."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any


def shell_path(path: str | Path) -> str:
    """``path`` as one shell word that a command reads as a path: quoted as needed, and one that
    starts with ``-`` (a run saved under ``-runs``) led by ``./``, which an option parser would
    otherwise take for an option (``ffade report -runs/x`` is refused)."""
    text = str(path)
    return shlex.quote(f"./{text}" if text.startswith("-") else text)


def option_path(option: str, path: str | Path) -> str:
    """``option`` and ``path`` as the user would type them again: a path with a space quoted, or
    ``--out my reports: a directory is there`` reads as two words the option never took."""
    return f"{option} {shell_path(path)}" if option else shell_path(path)


def model_overrides(overrides: dict[str, Any]) -> list[str]:
    """``--model.init_args.KEY TEXT`` per key, as arguments (unquoted): a string as typed, any
    other value as JSON. ``ffade loop`` runs its stages with these and its printed ``next:``
    command (:mod:`ffade.run_endings`) repeats them, so one builder keeps the two alike."""
    words: list[str] = []
    for key, value in overrides.items():
        words += [
            f"--model.init_args.{key}",
            value if isinstance(value, str) else json.dumps(value),
        ]
    return words


def absolute(path: Path) -> Path:
    """``path`` from the filesystem's root, for a command run from any directory; a ``..`` in it
    resolved (``/work/runs/x``, not ``/work/scripts/../runs/x``), links and all, since dropping
    ``a/..`` by its letters alone names another folder where ``a`` is a link."""
    return path.resolve() if ".." in path.parts else path.absolute()


SLASHES_NOTE = "paths here are written with /, not \\"
"""Said of a path typed with Windows' backslashes, where ``/`` alone separates folders."""


def stray_backslash(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds a backslash, which is part of a name here (on Windows, not)."""
    return os.sep != "\\" and "\\" in os.fspath(path)


def backslash_hint(path: str | os.PathLike) -> str:
    """`` (paths here are written with /, not \\: 'runs/quickstart/version_0' exists)`` when
    ``path`` holds a backslash and names something once each backslash is a ``/``; else "".

    A Windows path typed by mistake (``'runs\\quickstart\\version_0'``, quoted, so the shell
    keeps the backslashes) names nothing where ``/`` separates: a backslash is part of a name
    there, and "does not exist" alone hid that the run was right there."""
    if not stray_backslash(path):
        return ""
    typed = os.fspath(path).replace("\\", "/")
    if not os.path.exists(os.path.expanduser(typed)):
        return ""
    return f" ({SLASHES_NOTE}: {shell_path(typed)} exists)"
