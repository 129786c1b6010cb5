"""The fine-tune command ``ffade feedback`` closes with, for the run it ranked.

Its closing line said ``ffade fit --config MITIGATE.yaml --model.init_args.run RUN``, but the
only fine-tuner config shipped is the digits quickstart's: a person who ranked the failures of
their own model had no MITIGATE.yaml, and docs/mitigation.md showed none to write. A fine-tuner
needs nothing but the run (its target, data, splits and grid are the run's summary.json's), so
where the run's target declares what it returns (summary.json's ``output_kind``), the line names
the shipped fine-tuner for it by class path, and the command works as typed. Torch-free: the
feedback command with ``--no-examples`` imports no model.

For a classifier the command also names its epochs, the fine-tuner's own ten
(:data:`ffade.run_length.FINETUNE_EPOCHS`): typed bare it trains them too now, but named, the
line shows the reader how long it trains and the option that changes it. (It once trained the
trainer's one there, an explorer's length, which fixed little: docs/mitigation.md, Fixing your
own run.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.run_length import FINETUNE_EPOCHS as FINETUNE_EPOCHS  # re-exported, as before
from ffade.shell_words import shell_path

FINETUNERS = {
    "class_scores": "ffade.mitigate.ClassifierFineTuner",
    "texts": "ffade_text.mitigate.Seq2SeqFineTuner",
    "images": "ffade_diffusion.mitigate.DiffusionLoRAFineTuner",
}
"""The shipped fine-tuner for each kind ffade's plugins declare, by the path a config names."""

EPOCHS = {"class_scores": FINETUNE_EPOCHS}
"""The epochs the printed command names, per kind: the classifier's ``default_epochs``. The text
and image fine-tuners declare theirs in their plugins (3 and 150), which this torch-free module
does not import, so their command names none (typed bare, they train those)."""


def fix_command(run_dir: str | Path, summary: dict[str, Any], feedback: str | Path | None) -> str:
    """``fix them with ...: ffade fit ...`` for run ``run_dir`` (as the user typed it), whose
    summary.json is ``summary``; ``feedback``: the answers file where it is not the run's own
    (a fine-tuner reads ``RUN/feedback.yaml`` unless told). A target of no declared kind, or one
    no shipped fine-tuner fixes, gets the config placeholder after where the docs show one
    (the command last, so it pastes alone)."""
    kind = summary.get("output_kind")
    finetuner = FINETUNERS.get(kind) if isinstance(kind, str) else None
    run = f"--model.init_args.run {shell_path(run_dir)}"
    extra = f" --model.init_args.feedback {shell_path(feedback)}" if feedback else ""
    if finetuner is None:
        return (
            "fix them with a fine-tuner config (docs/mitigation.md, Fixing your own run): "
            f"ffade fit --config MITIGATE.yaml {run}{extra}"
        )
    epochs = f" --trainer.max_epochs {EPOCHS[kind]}" if kind in EPOCHS else ""
    return (
        f"fix them with its target's fine-tuner: ffade fit --model {finetuner} {run}{extra}{epochs}"
    )
