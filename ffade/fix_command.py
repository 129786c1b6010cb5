"""The fine-tune command ``ffade feedback`` closes with, for the run it ranked.

Its closing line said ``ffade fit --config MITIGATE.yaml --model.init_args.run RUN``, but the
only fine-tuner config shipped is the digits quickstart's: a person who ranked the failures of
their own model had no MITIGATE.yaml, and docs/mitigation.md showed none to write. A fine-tuner
needs nothing but the run (its target, data, splits and grid are the run's summary.json's), so
where the run's target declares what it returns (summary.json's ``output_kind``), the line names
the shipped fine-tuner for it by class path, and the command works as typed. Torch-free: the
feedback command with ``--no-examples`` imports no model.

For a classifier the command also names its epochs: typed bare it trained ffade's default one
(12 SGD steps on the digits fine-tuning split, the learning rate falling to 0 by the last), which
three digits CNNs of one's own took from a targeted failure rate of 38.9% to 35.4%, 37.3% to
33.2% and 62.9% to 41.8%, where ten epochs (``ffade.mitigate``'s default and
``configs/mitigate_digits.yaml``'s) took them to 23.0%, 19.5% and 22.4%, clean accuracy kept
within 0.3 points (docs/mitigation.md, Fixing your own run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.shell_words import shell_path

FINETUNERS = {
    "class_scores": "ffade.mitigate.ClassifierFineTuner",
    "texts": "ffade_text.mitigate.Seq2SeqFineTuner",
    "images": "ffade_diffusion.mitigate.DiffusionLoRAFineTuner",
}
"""The shipped fine-tuner for each kind ffade's plugins declare, by the path a config names."""

FINETUNE_EPOCHS = 10
"""A classifier fine-tune's epochs where none are given: ``ffade.mitigate``'s default, and the
``--trainer.max_epochs`` the printed command carries for a classifier (the trainer's own default,
one, is an explorer's, which its budget ends)."""

EPOCHS = {"class_scores": FINETUNE_EPOCHS}
"""The epochs the printed command names, per kind; the text and image fine-tuners' recipes
(``configs/text_mitigate.yaml``'s 3, ``t2i_mitigate.yaml``'s 150) are their models', not
any model's, so their command names none."""


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
