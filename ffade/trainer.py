"""The Lightning Trainer settings every ffade run shares, from the command line or from Python.

``ffade fit`` (:mod:`ffade.lightning_run`) and :func:`ffade.explore.run.discover` both start from
these, so a run made from code looks like one made from a config: same logger, same progress bar,
same checkpoints.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

from ffade.checkpoint import LastCheckpoint
from ffade.errors import ConfigError
from ffade.progress import BudgetProgressBar


def trainer_defaults(max_epochs: int | None = 1) -> dict[str, Any]:
    """Explorers make their own data and end when the budget is spent: one 'epoch', logged per step.

    ``ffade fit`` passes ``max_epochs=None``: once the config is parsed, the model's own length
    fills it where nothing set it (:func:`ffade.run_length.fill_max_epochs`; a fine-tuner's ten).
    Fresh callback objects each call, so several runs in one process never share state.
    """
    return {
        "max_epochs": max_epochs,
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


def check_trainer_config(config: dict[str, Any], model: Any) -> None:
    """Refuse Trainer settings no ffade run can work with, before the run starts.

    ``model`` is the run's module, or its class where none is built yet (``ffade loop`` checks
    every stage's config before the first stage runs).

    ``logger: false`` would leave the run no directory of its own. A zero ``max_epochs``,
    ``max_steps`` or ``limit_train_batches`` would end at once with exit 0, leaving a run
    directory with a config and no evaluations. ``max_epochs: -1`` (Lightning's "no end")
    never ends a fine-tune, whose fix is judged when training ends; an explorer ends when its
    budget is spent whatever it says. Below -1 is no limit at all: Lightning refused it only
    when the stage's Trainer was built, in ``ffade loop`` after its discovery had run.

    A NaN or infinite float (``.nan`` in YAML) is refused in ffade's words: ``gradient_clip_val
    .nan`` was taken, and clipping by NaN made every gradient of a fine-tune NaN. An explorer
    makes its own updates (Lightning's manual optimization: the DQN clips their norm itself), so
    any ``gradient_clip_val`` above 0 ended its run in Lightning's traceback.
    """
    for key in _FLOAT_KEYS:  # before the checks below: nan == 0 is false
        value = config.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"trainer.{key} must be a finite number, got {value}")
    if config.get("logger") in (False, []):
        raise ConfigError(
            "trainer.logger false leaves the run no directory of its own: its log, "
            "summary.json, checkpoints and config.yaml would land in the current directory, "
            "over any files of those names; keep a logger (lightning.pytorch.loggers."
            "CSVLogger writes no TensorBoard files) and choose its save_dir"
        )
    for key in ("max_epochs", "max_steps", "limit_train_batches"):  # 0.0 too
        if config.get(key) == 0:
            raise ConfigError(f"trainer.{key} 0 trains nothing; give at least 1, or leave it out")
    for key in ("max_epochs", "max_steps"):  # Lightning refused -3 only once its stage began
        value = config.get(key)
        if isinstance(value, int) and value < -1:
            unit = key.removeprefix("max_")
            raise ConfigError(
                f"trainer.{key} {value} is no number of {unit}; give at least 1, or leave it out"
            )
    from ffade.explore.base import Explorer

    cls = model if isinstance(model, type) else type(model)
    clip = config.get("gradient_clip_val")
    if issubclass(cls, Explorer) and clip is not None and clip > 0:
        raise ConfigError(
            f"trainer.gradient_clip_val {clip} clips a fine-tuner's gradients; {cls.__name__} "
            "makes its own updates (the DQN clips their norm itself), so leave it out"
        )
    if config.get("max_epochs") == -1 and config.get("max_steps") in (None, -1):
        from ffade.mitigate.base import FineTuner

        if issubclass(cls, FineTuner):
            raise ConfigError(
                f"trainer.max_epochs -1 never ends {cls.__name__}, whose fix is judged "
                "when training ends; give at least 1, or leave it out"
            )


_FLOAT_KEYS = (
    "gradient_clip_val",
    "val_check_interval",
    "overfit_batches",
    "limit_train_batches",
    "limit_val_batches",
    "limit_test_batches",
    "limit_predict_batches",
)
"""The Trainer's float settings: Lightning named NaN in its own words, or took it unsaid."""

_HARDWARE = ("accelerator", "devices", "strategy", "precision", "num_nodes")


def check_trainer_hardware(config: dict[str, Any], one_process: bool = False) -> None:
    """Refuse an accelerator, devices, strategy or precision Lightning would refuse, by building
    a bare Trainer with them (no logger, callbacks or files): ``ffade loop`` checks its later
    stages' configs so before the first stage runs, as :func:`check_trainer_config` does.

    ``one_process``: also refuse settings that make more than one process (``devices: 2``, on
    GPUs ``devices: auto`` or several nodes). ``ffade loop`` runs its stages in its own process;
    Lightning's ``ddp`` starts the command again for every other rank, so each of them ran a
    whole loop of its own, in a loop directory of its own: rank 1's failed for want of the
    summary rank 0 writes, and took the others down with it (exit 137, two loop directories).
    """
    import logging

    from lightning import Trainer
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    given = {k: config[k] for k in _HARDWARE if k in config and not isinstance(config[k], dict)}
    if not given and not one_process:
        return
    quiet = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no "GPU available: ..." lines for a trainer never used
    try:
        trainer = Trainer(
            **given,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
    except (
        MisconfigurationException,
        ValueError,
        RuntimeError,
        ModuleNotFoundError,
        TypeError,
    ) as exc:
        raise ConfigError(f"trainer: {str(exc).strip().splitlines()[0]}") from exc
    finally:
        quiet.setLevel(level)
    if one_process and trainer.world_size > 1:
        # devices 1 alone still makes a process per node: name every setting to change
        fix = "trainer.devices 1" + (" and trainer.num_nodes 1" if trainer.num_nodes > 1 else "")
        raise ConfigError(
            f"trainer: devices {config.get('devices')!r} and num_nodes "
            f"{config.get('num_nodes', 1)!r} make {trainer.world_size} processes, and ffade loop "
            f"runs its stages in one; give {fix}, or run the stage as its own ffade fit command "
            "(docs/scale.md)"
        )


def relative_default_root(config: dict[str, Any]) -> None:
    """Give Lightning's own logger (``--trainer.logger true``) the working folder as ``.``.

    That logger saves under ``default_root_dir``, which Lightning sets to ``os.getcwd()`` where
    none is given: its run was said as ``/home/me/lightning_logs/version_0`` where every other
    run is said relative to the working folder (``runs/synthetic/version_0``). ``.`` is the same
    folder, said as ``lightning_logs/version_0``. ``config``: the Trainer's keyword arguments.
    """
    if config.get("logger") in (True, None) and config.get("default_root_dir") is None:
        config["default_root_dir"] = os.curdir


def trainer_notes(config: dict[str, Any], model: Any) -> list[str]:
    """Trainer settings a run takes but that will not do what they say, named as it starts.

    Lightning's ``max_steps`` counts optimizer steps; an explorer without an optimizer (random,
    grid and epsilon-greedy search) makes none, so the limit would never stop it, unsaid.
    """
    from ffade.explore.base import Explorer

    cls = model if isinstance(model, type) else type(model)
    max_steps = config.get("max_steps")
    learns = getattr(cls, "configure_optimizers", None) is not Explorer.configure_optimizers
    if max_steps in (None, -1) or not issubclass(cls, Explorer) or learns:
        return []
    from ffade.run_lines import PYTHON_CALL  # ffade.discover(budget=...): the keyword it took

    budget = "budget" if PYTHON_CALL.get() else "model.init_args.budget"
    return [
        f"trainer.max_steps ({max_steps}) counts optimizer steps and {cls.__name__} makes "
        f"none, so it will not stop this run; give trainer.max_time, or a smaller {budget}"
    ]


def use_root_dir(trainer: Any, argv: Any, say: bool = True) -> str | None:
    """Put the run under ``trainer.default_root_dir`` where a Lightning user expects it there.

    Lightning's default logger saves under ``default_root_dir``; a logger given its own
    ``save_dir`` saves there. ffade's default logger names ``save_dir: runs``, and most configs
    name one too, so ``--trainer.default_root_dir X`` placed nothing. Now it becomes the logger's
    ``save_dir`` when given on the command line (over the config's), or when the logger is
    ffade's default; a ``save_dir`` on the command line still wins, as in Lightning. A
    ``default_root_dir`` that a config sets beside its logger's own ``save_dir`` places nothing,
    as in Lightning: an ``ffade: note:`` line says so, unless ``say`` is false (jsonargparse
    parses a config file on its own first, then the whole command line); the note is returned
    either way, for ``--print_config`` to say of the config it prints.
    """
    if trainer is None:  # a parser's own section, not the subcommand's
        return None
    root = trainer.get("default_root_dir")
    logger = trainer.get("logger")
    args = getattr(logger, "init_args", None)
    if root is None or args is None or args.get("save_dir") is None:
        return None  # no root, or Lightning's own default logger (logger: true) uses it
    save_dir = args.get("save_dir")
    argv = [a for a in argv if isinstance(a, str)] if isinstance(argv, list) else []

    def given(option: str) -> bool:
        return any(a == option or a.startswith((f"{option}=", f"{option}.")) for a in argv)

    def names_save_dir(option: str) -> bool:
        """A whole logger, or its save_dir: a logger's name or version given alone places
        nothing, so it left the run under the config's save_dir, unsaid."""
        option = option.split("=", 1)[0]
        return option == "--trainer.logger" or (
            option.startswith("--trainer.logger.") and option.endswith(".save_dir")
        )

    if str(save_dir) == str(root) or any(names_save_dir(a) for a in argv):
        return None
    default = trainer_defaults()["logger"]
    ffade_default = (
        logger.get("class_path") == default["class_path"]
        and save_dir == default["init_args"]["save_dir"]
        and args.get("name") == default["init_args"]["name"]
    )
    if given("--trainer.default_root_dir") or ffade_default:
        args["save_dir"] = str(root)
        return None
    note = (
        f"trainer.default_root_dir {root} does not place this run: the config's trainer.logger "
        f"save_dir {save_dir} does, as in Lightning; set that save_dir to {root} to put the run "
        "there"
    )
    if say:
        print(f"ffade: note: {note}", file=sys.stderr)
    return note
