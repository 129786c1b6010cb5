"""Paths in the commands ffade prints for a person to type next ("next: ffade report RUN")."""

from __future__ import annotations

import os
import shlex
from pathlib import Path


def shell_path(path: str | Path) -> str:
    """``path`` as one shell word that a command reads as a path: quoted as needed, and one that
    starts with ``-`` (a run saved under ``-runs``) led by ``./``, which an option parser would
    otherwise take for an option (``ffade report -runs/x`` is refused)."""
    text = str(path)
    return shlex.quote(f"./{text}" if text.startswith("-") else text)


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
