"""Why a guard on few held-out inputs rejects every fix that loses one input's answer.

Clean accuracy on N held-out inputs moves in steps of 1/N. scikit-learn's wine table (178 rows)
leaves 53 held-out inputs, one of which is 1.89 points: past the default ``clean_tolerance`` of
one point, so a fix that got one more input wrong was rejected, and the closing line said only to
lower the learning rate or raise ``clean_share``, which no fine-tune can meet on such a split.
"""

from __future__ import annotations

import math
from typing import Any


def one_input_note(record: dict[str, Any], option: str, where: str = "") -> str | None:
    """``note: one of the 53 held-out inputs is 1.89 points ...`` for a fix ``record``
    (mitigation.json's, or loop.json's ``mitigation``, which keeps ``guard.inputs``) rejected for
    lost clean accuracy where one held-out input is more than ``clean_tolerance`` and the fix lost
    no more than that one input (a fix that lost several would still be rejected at the tolerance
    the note offers); else None.

    ``option`` and ``where`` say how to set the tolerance where the line is read, around the value
    that allows one input: ``--model.init_args.clean_tolerance 0.02`` for ``ffade fit``;
    ``model.init_args.clean_tolerance: 0.02 in fix.yaml`` for ``ffade loop``, whose fine-tune
    takes no command-line options (``where``: `` in fix.yaml``, the loop's mitigate config)."""
    if not str(record.get("clean_metric", "accuracy")).endswith("accuracy"):
        return None  # a graded score (BLEU / 100) moves in no steps of inputs
    inputs = (record.get("guard") or {}).get("inputs")
    tolerance, change = record.get("clean_tolerance"), record.get("clean_accuracy_change")
    if not isinstance(inputs, int) or inputs < 1 or None in (tolerance, change):
        return None
    one = 1 / inputs
    if one <= tolerance + 1e-12 or not tolerance + 1e-12 < -change <= one + 1e-9:
        return None  # one input is within the tolerance, or the fix lost none or several past it
    allows = math.ceil(one * 100 - 1e-9) / 100  # 0.0189 -> 0.02
    return (
        f"note: one of the {inputs} held-out inputs is {100 * one:.2f} points of clean "
        f"accuracy, more than the tolerance of {100 * tolerance:.2f}, so a fix that loses a "
        f"single input's answer is rejected; {option} {allows:g}{where} allows one, or give the "
        "heldout split more inputs"
    )
