"""The ``ffade`` command: LightningCLI for ``fit`` and friends, plus ffade's own subcommands.

``ffade fit --config configs/quickstart.yaml`` trains an explorer (or a fine-tuner) exactly as a
Lightning user expects (``--help``, ``--print_config``, ``--ckpt_path`` to resume). A user's
mistake — an unknown plugin, a value off the grid, a misspelled key, a missing file — ends with
one line naming the key or value and what is allowed, and exit status 2; never a traceback.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import sys
from collections.abc import Callable

from jsonargparse import ArgumentError
from lightning.pytorch.cli import LightningCLI

from ffade.checkpoint import LastCheckpoint
from ffade.errors import FfadeError
from ffade.progress import BudgetProgressBar, quiet_lightning


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
            LastCheckpoint(every_n_steps=10),
        ],
        "enable_checkpointing": False,  # Lightning's own ModelCheckpoint: see LastCheckpoint
    }


class FfadeCLI(LightningCLI):
    """LightningCLI whose model is any LightningModule ffade or a plugin provides."""

    def instantiate_classes(self) -> None:
        """jsonargparse wraps a constructor's error in its own; unwrap ours, condense the rest."""
        try:
            super().instantiate_classes()
        except (ValueError, TypeError) as exc:
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, FfadeError):
                cause = cause.__cause__ or cause.__context__
            if cause is not None:
                raise cause from None
            raise FfadeError(config_error_line(str(exc))) from exc


def run_lightning(args: list[str]) -> None:
    quiet_lightning()
    from lightning.pytorch import LightningModule

    # explorers and fine-tuners known by their short class names (class_path: DQNExplorer)
    import ffade.explore
    import ffade.mitigate  # noqa: F401

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


def feedback_command(args: list[str]) -> int:
    from ffade.feedback.command import main as feedback_main

    return feedback_main(args)


def loop_command(args: list[str]) -> int:
    from ffade.loop import main as loop_main

    return loop_main(args)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "plugins": plugins_command,
    "report": report_command,
    "feedback": feedback_command,
    "loop": loop_command,
}


_NOISE = (
    "Given value",
    "Subtypes:",
    "Does not validate",
    "Errors:",
    "Expected a <class 'NoneType'>",
    "Subclass types expect",
    "a class path",
    "a dict with",
    "a dict without",
)


def config_error_line(message: str) -> str:
    """jsonargparse explains a bad config over many nested lines; say it in one.

    Keeps the deepest key and the first real reason, and for an option a class does not take,
    lists the options it does take (with the closest match first).
    """
    lines = [ln.strip(" -") for ln in str(message).splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(_NOISE)]
    keys = [ln.rstrip(":") for ln in lines if ln.startswith("Parser key")]
    classes = re.findall(r"Problem with given class_path '([\w.]+)'", message)
    reasons = [
        ln for ln in lines if not ln.startswith(("Parser key", "Problem with given class_path"))
    ]
    reason = reasons[0] if reasons else (lines[0] if lines else "invalid arguments")
    unknown = re.match(r"Option '([\w.]+)' is not accepted", reason)
    if unknown and classes:
        allowed = _init_parameters(classes[-1])
        if allowed:
            close = difflib.get_close_matches(unknown.group(1), allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            reason = f"{reason} by {classes[-1]}{hint}; allowed: {', '.join(allowed)}"
    return f"{keys[-1]}: {reason}" if keys and reason not in keys[-1] else reason


def _init_parameters(class_path: str) -> list[str]:
    module_name, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return []
    names: list[str] = []
    for klass in cls.__mro__:  # explorers pass **kwargs up to their base
        if "__init__" in vars(klass):
            params = inspect.signature(klass.__init__).parameters
            names += [
                p
                for p, v in params.items()
                if p != "self"
                and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)
                and p not in names
            ]
            if not any(v.kind is v.VAR_KEYWORD for v in params.values()):
                break
    return names


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in COMMANDS:
            return COMMANDS[args[0]](args[1:])
        run_lightning(args)
    except ArgumentError as exc:
        print(f"ffade: error: {config_error_line(str(exc))}", file=sys.stderr)
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
