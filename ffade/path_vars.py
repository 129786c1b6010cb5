"""``~``, ``$VAR`` and ``${VAR}`` in the run's own folders: ``save_dir`` and ``default_root_dir``.

Lightning's logger expands both in the run's directory but not in the folder above it, which it
made as typed: ``save_dir: $TMPDIR/runs`` left an empty ``./$TMPDIR/runs`` behind, and a variable
left unset made a ``./$NAME`` folder without a word. ffade expands them once, as the config is
parsed, so config.yaml records the folder the run used and reruns it from any shell; a variable
that is not set is refused in one line naming it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ffade.errors import ConfigError

_VARIABLE = re.compile(r"\$(?:(\w+)|\{([^}]*)\})")


def expand_path(value: str, key: str) -> str:
    """``value`` with ``~`` and each ``$VAR``/``${VAR}`` expanded; an unset one is refused."""
    for match in _VARIABLE.finditer(value):
        name = match.group(1) or match.group(2)
        if name not in os.environ:
            raise ConfigError(
                f"{key}: {value!r} names the environment variable {name}, which is not set; "
                f"set it or write the folder out"
            )
    return os.path.expanduser(os.path.expandvars(value))


def expand_run_folders(trainer: Any) -> None:
    """Expand the logger's ``save_dir`` and ``default_root_dir`` in a parsed trainer section."""
    if trainer is None:
        return
    root = trainer.get("default_root_dir")
    if isinstance(root, str):
        trainer["default_root_dir"] = expand_path(root, "trainer.default_root_dir")
    args = getattr(trainer.get("logger"), "init_args", None)
    save_dir = args.get("save_dir") if args is not None else None
    if isinstance(save_dir, str):
        args["save_dir"] = expand_path(save_dir, "trainer.logger.init_args.save_dir")
