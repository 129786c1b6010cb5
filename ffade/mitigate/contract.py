"""What the fine-tune checks of a fine-tuner subclass and of the run's target, in one line each.

- :func:`check_fixes_kind`: the fine-tuner's ``output_kinds`` against the target's
  ``output_kind``. ``ffade loop`` compared the two before its first stage
  (:mod:`ffade.loop_kinds`), but ``ffade fit`` with a fine-tuner config did not: a third party's
  regression target (``output_kind = "regression"``) given to ``ClassifierFineTuner`` was refused
  by the classifier's own look at its outputs, in a line that named the summarizer's and the
  text-to-image fine-tuners and not the one thing such a target needs, a fine-tuner of its own.
- :func:`checked_loss`: what ``training_loss`` returned. A fine-tuner of one's own that returned
  the loss alone (not ``(loss, metrics)``) crashed in the unpacking with torch's "iteration over
  a 0-d tensor", and a per-row loss in Lightning's logging, with the tensor printed whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ffade.errors import FfadeError, PluginError
from ffade.fix_command import FINETUNERS
from ffade.plugin_checks import OUTPUT_KINDS, declared_kinds
from ffade.written import a_type


def check_fixes_kind(finetuner: type, target: Any, name: str, run: Path) -> None:
    """One line unless ``finetuner`` (its declared ``output_kinds``) fixes what the built
    ``target`` (registered as ``name``) of discovery run ``run`` declares it returns; either side
    declaring nothing passes, as in the loop. Called after the fine-tuner's own ``check_target``,
    whose line (a shipped fine-tuner's) may say more."""
    kinds = declared_kinds(finetuner)
    kind = getattr(target, "output_kind", None)
    if not kinds or not isinstance(kind, str) or kind in kinds:
        return
    fixes = " or ".join(OUTPUT_KINDS.get(k, f"output_kind '{k}'") for k in kinds)
    returns = OUTPUT_KINDS.get(kind, f"output_kind '{kind}'")
    shipped = FINETUNERS.get(kind)
    give = (
        f"model.class_path: {shipped}"
        if shipped
        else f"model.class_path a fine-tuner of your own for {returns}, which no fine-tuner "
        "shipped with ffade fixes"
    )
    raise FfadeError(
        f"model.init_args.run: {finetuner.__name__} fixes targets that return {fixes}, but the "
        f"run '{run}' searched target '{name}', which returns {returns}: give {give}; to write "
        "a fine-tuner, see docs/plugins.md, Your own fine-tuner"
    )


def checked_loss(finetuner: Any, returned: Any) -> tuple[torch.Tensor, dict[str, Any]]:
    """``returned`` (what ``training_loss`` gave) if it is ``(loss, metrics)``: a one-number
    tensor with gradients and a dict; else one line naming the fine-tuner by its class path."""
    cls = type(finetuner)
    who = f"fine-tuner {cls.__module__}.{cls.__qualname__}: training_loss(batch) returned"
    want = (
        "; return (loss, metrics): a one-number tensor with gradients and a dict of numbers to "
        "log ({} for none) (docs/plugins.md, Your own fine-tuner)"
    )
    if not (isinstance(returned, (tuple, list)) and len(returned) == 2):
        raise PluginError(f"{who} {_kind_of(returned)}{want}")
    loss, metrics = returned
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise PluginError(f"{who} a loss that is {_kind_of(loss)}, not one number{want}")
    if not loss.requires_grad:
        raise PluginError(
            f"{who} a loss with no gradient (made under torch.no_grad() or inference_mode, or "
            "detached, or from frozen weights); compute it from "
            "self.target.model(self.target.preprocess(batch.inputs))"
        )
    if not isinstance(metrics, dict):
        raise PluginError(f"{who} metrics that are {_kind_of(metrics)}, not a dict{want}")
    return loss, metrics


def _kind_of(value: Any) -> str:
    """A value as a line names it: a tensor by its shape, anything else by its type."""
    if value is None:
        return "None"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return a_type(value)
