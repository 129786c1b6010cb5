"""The fine-tune's own check of the fine-tuner's ``output_kinds`` against the run's target.

``ffade loop`` compared the two before its first stage (:mod:`ffade.loop_kinds`), but ``ffade fit``
with a fine-tuner config did not: a third party's regression target (``output_kind =
"regression"``) given to ``ClassifierFineTuner`` was refused by the classifier's own look at its
outputs, in a line that named the summarizer's and the text-to-image fine-tuners and not the one
thing such a target needs, a fine-tuner of its own. The set-up now refuses it first, in the
loop's words, keyed to the config's ``model.init_args.run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.plugin_checks import OUTPUT_KINDS, declared_kinds

FINETUNERS = {
    "class_scores": "ffade.mitigate.ClassifierFineTuner",
    "texts": "ffade_text.mitigate.Seq2SeqFineTuner",
    "images": "ffade_diffusion.mitigate.DiffusionLoRAFineTuner",
}
"""The shipped fine-tuner for each kind ffade's plugins declare, by the path a config names."""


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
