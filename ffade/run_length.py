"""How many epochs ``ffade fit`` trains where neither a config nor the command line says.

The Trainer's default (ffade's ``trainer_defaults``) was one epoch for every run: an explorer's
length, as its budget ends its one epoch. A fine-tuner typed bare (``ffade fit --model
ffade.mitigate.ClassifierFineTuner --model.init_args.run RUN``) trained that one epoch too, which
fixes little (docs/mitigation.md, Fixing your own run), while ``ffade.mitigate`` trained ten and
``ffade feedback``'s closing command named ten. Now a module declares its own length as the
class attribute ``default_epochs`` (:class:`~ffade.mitigate.base.FineTuner`: 10, and each
fine-tuner may declare its own), and :func:`fill_max_epochs` puts it in ``trainer.max_epochs``
once the config is parsed, before ``--print_config`` prints it and config.yaml records it: what
is printed and recorded is what runs. A module that declares none (an explorer) trains one.

Torch-free, and it imports no run module: the fine-tuner base imports :data:`FINETUNE_EPOCHS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ffade.model_arguments import class_at

FINETUNE_EPOCHS = 10
"""A fine-tune's epochs where none are given (:class:`~ffade.mitigate.base.FineTuner`'s
``default_epochs``, so the classifier's): with ``configs/mitigate_digits.yaml``'s recipe, ten took
three digits CNNs' targeted failure rates from 38.9% to 23.0%, 37.3% to 19.5% and 62.9% to 22.4%,
where one took them to 35.4%, 33.2% and 41.8% (docs/mitigation.md, Fixing your own run)."""

UNSAID_EPOCHS = 1
"""The epochs of a module that declares no ``default_epochs``: an explorer's one epoch, which its
budget ends (and any other LightningModule's, as before)."""

MAX_EPOCHS_HELP = (
    "Stop training once this number of epochs is reached; -1: no end. Default (null): the "
    "model's own: an explorer's 1 (its budget ends it), a fine-tuner's default_epochs "
    "(ClassifierFineTuner 10), or, resuming a fine-tune, the epochs it was started with."
)
"""``ffade fit --help``'s line for ``--trainer.max_epochs``: Lightning's said null meant 1000."""


def default_epochs(model_class: Any) -> int:
    """The epochs ``model_class`` trains where none are given: its ``default_epochs``, else 1."""
    return getattr(model_class, "default_epochs", UNSAID_EPOCHS)


def fill_max_epochs(section: Any) -> None:
    """Give ``section`` (a parsed ``ffade fit`` config: a jsonargparse Namespace with ``model``
    and ``trainer``) the model's own ``trainer.max_epochs`` where no config file or option set
    one (it is null: ``run_lightning``'s trainer default). ``max_steps`` still caps it, as in
    ``ffade.mitigate(trainer={"max_steps": N})``: a fine-tune's length is its ``max_epochs``, or
    ``max_steps`` where that is fewer.

    A fine-tune resumed (``ckpt_path``) keeps the length it started with, which its run's
    config.yaml records: without it, a fine-tune started with ``--trainer.max_epochs 3`` and
    resumed by the same command without the option would have trained on to 10.
    """
    trainer = section.get("trainer") if hasattr(section, "get") else None
    model = section.get("model")
    if trainer is None or trainer.get("max_epochs") is not None or not hasattr(model, "get"):
        return
    model_class = class_at(model.get("class_path"))
    epochs = default_epochs(model_class)
    if hasattr(model_class, "default_epochs") and section.get("ckpt_path"):
        epochs = started_epochs(section.get("ckpt_path")) or epochs
    trainer["max_epochs"] = epochs


def started_epochs(ckpt_path: str | Path) -> int | None:
    """The ``trainer.max_epochs`` the run of ``ckpt_path`` (a run directory or its
    ``checkpoints/last.ckpt``) was started with, from its config.yaml; None where that cannot be
    read (:func:`ffade.resume.plan_resume` then says what is wrong with the path, if anything)."""
    from ffade.checkpoint import LAST_CHECKPOINT  # torch: only as a run resumes

    path = Path(ckpt_path).expanduser()
    run_dir = path if path.is_dir() else path.parent
    if run_dir.name == LAST_CHECKPOINT.parent.name:
        run_dir = run_dir.parent
    try:
        config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
        epochs = config["trainer"]["max_epochs"]
    except (OSError, ValueError, yaml.YAMLError, TypeError, KeyError):
        return None
    whole = isinstance(epochs, int) and not isinstance(epochs, bool)
    return epochs if whole and epochs >= 1 else None
