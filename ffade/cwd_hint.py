"""Where a config's relative path would have been found, for the line that says it was not.

A config's paths are read from the current directory, as Lightning reads a config's: the
bundled ``configs/loop_digits.yaml`` names ``configs/quickstart.yaml``, which exists from the
repository's root only. Typed from another folder (``ffade loop --config
~/ffade/configs/loop_digits.yaml``), the loop said the file was not found in that folder, true
but with nothing to say where to run it from.
"""

from __future__ import annotations

from pathlib import Path

from ffade.shell_words import shell_path


def not_found_where(path: Path, config: Path) -> str:
    """`` (read from the current directory, CWD)`` for a relative ``path`` that ``config``
    named, and, where ``path`` read from a folder holding ``config`` exists, which folder to run
    the command from; empty for an absolute ``path``."""
    if path.is_absolute():
        return ""
    cwd = Path.cwd()
    where = f" (read from the current directory, {cwd}"
    for folder in Path(config).expanduser().resolve().parents:
        if folder != cwd and (folder / path).is_file():
            found = shell_path(folder / path)
            return f"{where}; {found} exists: run the command from {shell_path(folder)})"
    return where + ")"
