"""Options ``ffade fit`` would lose to a ``--config`` given after them.

jsonargparse reads arguments in order, each source merging into what came before, so a key a
later config sets replaces the option typed before it: ``ffade fit --seed_everything 1 --config
configs/quickstart.yaml`` ran seed 0 (the config's) and wrote ``seed: 0``, exit 0, a rerun of
seed 0 where a user asked for another seed; ``--trainer.logger.init_args.name x`` before it wrote
to the config's folder. Said before anything runs, in one line naming the option and the config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.fit_options import _key, model_help_without_class, repeated_fit_option

CONFIG_FLAGS = ("--config", "-c")


def repeated_or_replaced_option(args: list[str]) -> str | None:
    """The error for an option given twice, or given before a config that sets it again (or
    ``--model.help`` given no class to show)."""
    return (
        repeated_fit_option(args)
        or option_replaced_by_config(args)
        or model_help_without_class(args)
    )


def option_replaced_by_config(args: list[str]) -> str | None:
    """The error for the first option a later ``--config`` sets again, else None.

    ``args`` are ``ffade fit``'s, the command name first. Appended options (``KEY+=...``) add
    to what the config gives and are left alone; a config that cannot be read is left to the
    run, whose error names what is wrong with it.
    """
    for position, arg in enumerate(args[1:], start=1):
        key = _key(arg)
        if not key.startswith("--") or key in CONFIG_FLAGS or key.endswith("+"):
            continue
        for path in _configs_after(args, position):
            if _sets(_read(path), key.removeprefix("--").split(".")):
                name = key.removeprefix("--")
                return (
                    f"{arg.split('=', 1)[0]} comes before --config {path}, which sets {name} "
                    "too: arguments are read in order, so the config's value would replace "
                    "yours; give --config first"
                )
    return None


def _configs_after(args: list[str], position: int) -> list[Path]:
    """The config files named after ``args[position]``, in every spelling argparse takes."""
    paths = []
    for i in range(position + 1, len(args)):
        arg = args[i]
        if arg in CONFIG_FLAGS and i + 1 < len(args):
            paths.append(Path(args[i + 1]))
        elif arg.startswith("--config="):
            paths.append(Path(arg.removeprefix("--config=")))
        elif arg.startswith("-c") and not arg.startswith("--") and len(arg) > 2:
            paths.append(Path(arg[2:].removeprefix("=")))
    return paths


def _read(path: Path) -> Any:
    """The config's data, or None where it cannot be read (the run says why)."""
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _sets(data: Any, keys: list[str]) -> bool:
    """Whether ``data`` (a config's mapping, or its ``fit:`` section) holds the dotted key."""
    if isinstance(data, dict) and isinstance(data.get("fit"), dict) and keys[0] not in data:
        data = data["fit"]  # a config written for LightningCLI's subcommands
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True
