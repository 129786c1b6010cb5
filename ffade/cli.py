"""The ``ffade`` command: LightningCLI for ``fit`` and friends, plus ffade's own subcommands.

``ffade fit --config configs/quickstart.yaml`` trains an explorer (or a fine-tuner) exactly as a
Lightning user expects (``--help``, ``--print_config``, ``--ckpt_path`` to resume). A user's
mistake — an unknown plugin, a value off the grid, a misspelled key, a missing file — ends with
one line naming the key or value and what is allowed, and exit status 2; never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from jsonargparse import ArgumentError
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

from ffade.errors import FfadeError
from ffade.progress import BudgetProgressBar


def trainer_defaults() -> dict:
    """Explorers make their own data and end when the budget is spent: one 'epoch', logged per step.

    Fresh callback objects each call, so several runs in one process never share state.
    """
    return {
        "max_epochs": 1,
        "logger": {
            "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
            "init_args": {"save_dir": "runs", "name": "ffade"},
        },
        "log_every_n_steps": 1,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
        "callbacks": [
            BudgetProgressBar(),
            ModelCheckpoint(every_n_train_steps=10, save_last=True, save_top_k=0),
        ],
    }


class FfadeCLI(LightningCLI):
    """LightningCLI whose model is any LightningModule ffade or a plugin provides."""


def run_lightning(args: list[str]) -> None:
    from lightning.pytorch import LightningModule

    import ffade.explore  # noqa: F401  (makes the explorers known by their short class names)

    FfadeCLI(
        LightningModule,
        subclass_mode_model=True,
        seed_everything_default=0,
        trainer_defaults=trainer_defaults(),
        save_config_kwargs={"overwrite": True},
        parser_kwargs={"exit_on_error": False, "prog": "ffade"},
        auto_configure_optimizers=False,
        args=args,
    )


def plugins_command(args: list[str]) -> int:
    """``ffade plugins``: every installed plugin with its kind and distribution."""
    from ffade import registry

    rows = registry.available()
    if not rows:
        print("no ffade plugins installed")
        return 0
    width = max(len(r.name) for r in rows)
    for kind in registry.KINDS:
        kind_rows = [r for r in rows if r.kind == kind]
        if kind_rows:
            print(f"{kind}s:")
            for r in kind_rows:
                print(f"  {r.name:<{width}}  {r.distribution:<24}  {r.value}")
    return 0


def report_command(args: list[str]) -> int:
    from ffade.summarize.report import main as report_main

    return report_main(args)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "plugins": plugins_command,
    "report": report_command,
}


def _one_line(message: str) -> str:
    """jsonargparse nests reasons across lines; the user needs the first and the innermost."""
    lines = [ln.strip(" -") for ln in str(message).splitlines() if ln.strip(" -")]
    if len(lines) <= 1:
        return lines[0] if lines else "invalid arguments"
    return f"{lines[0]} {lines[-1]}" if lines[-1] not in lines[0] else lines[0]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in COMMANDS:
            return COMMANDS[args[0]](args[1:])
        run_lightning(args)
    except ArgumentError as exc:
        print(f"ffade: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except FfadeError as exc:
        print(f"ffade: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"ffade: error: file not found: {exc.filename or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ffade: interrupted; evaluations so far are in the run directory", file=sys.stderr)
        return 130
    return 0
