"""The worst failing examples a run saved, read back from ``examples/examples.json``.

:func:`ffade.explore.examples.save_worst_examples` writes the listing when a run finishes: one
entry per example, with a ``file`` (a PNG beside it) or, for targets without pictures, the
changed ``input`` text. Reports and :class:`ffade.Run` read it here, checked entry by entry, so
a hand-edited or damaged listing is one line naming the entry and key, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.summarize.regions import format_value
from ffade.word_edits import text_edits

EXAMPLES_LISTING = Path("examples") / "examples.json"

EXAMPLES_ORDER = "Highest reward first, one per input first."
"""The examples' order, said under their heading: "worst" is the reward's, and the paper's
misclassification reward (symmetric about p = 0.5) put "predicted 8 (p=0.25)" among misses at
p >= 0.75 on the digits quickstart, where "worst" read as "most confident"."""
MAX_EXAMPLES = 12
"""Worst failing examples a report shows; more make the HTML heavy without telling more."""


def read_examples(run_dir: str | Path) -> list[dict[str, Any]]:
    """The listing's entries, worst first ([] when the run saved none).

    Raises:
        FfadeError: the listing is not JSON, not a list, or an entry is not a mapping with a
            ``file`` or ``input`` string (and, if given, ``changed`` as a mapping).
    """
    listing = Path(run_dir) / EXAMPLES_LISTING
    if not listing.is_file():
        return []
    try:
        entries = json.loads(listing.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        why = str(error).splitlines()[0][:80]
        raise FfadeError(f"{listing} is not valid JSON ({why}); expected a list") from None
    if not isinstance(entries, list):
        raise FfadeError(f"{listing} is damaged: expected a list of examples, one per failure")
    for i, entry in enumerate(entries):
        where = f"{listing} entry [{i}]"
        if not isinstance(entry, dict):
            raise FfadeError(f"{where} is {entry!r}; expected a mapping with 'file' or 'input'")
        if not any(isinstance(entry.get(key), str) for key in ("file", "input")):
            raise FfadeError(
                f"{where} has no 'file' (its picture) or 'input' (its text) string; "
                "`ffade fit` writes one of them"
            )
        if not isinstance(entry.get("original", ""), str):
            raise FfadeError(
                f"{where}: 'original' is {entry['original']!r}; expected the unchanged text"
            )
        if not isinstance(entry.get("changed") or {}, dict):
            raise FfadeError(
                f"{where}: 'changed' is {entry['changed']!r}; expected a mapping of concept "
                "labels to values"
            )
    return entries


def report_examples(run_dir: Path) -> list[dict[str, Any]]:
    """The worst failing examples the run saved (:func:`read_examples`), as {"path" or "text",
    "caption"}; a picture also has its ``file`` from the run directory, which still points at
    it once the run is moved or copied (``path`` is where it was). An entry whose picture has
    since been deleted is left out."""
    examples: list[dict[str, Any]] = []
    for entry in read_examples(run_dir):
        if isinstance(entry.get("input"), str):
            example = {"text": entry["input"], "caption": example_caption(entry)}
            if "original" in entry:  # a listing written before it kept the changed text only
                example["original"] = entry["original"]
                example["edits"] = text_edits(entry["original"], entry["input"])
            examples.append(example)
        elif (run_dir / "examples" / entry["file"]).is_file():
            path = str((run_dir / "examples" / entry["file"]).absolute())  # read from anywhere
            file = f"examples/{entry['file']}"
            examples.append({"path": path, "file": file, "caption": example_caption(entry)})
        if len(examples) == MAX_EXAMPLES:
            break
    return examples


def example_caption(entry: dict[str, Any]) -> str:
    """What an example's caption says, in words: which input, what it should be, what changed
    it (only the concepts that did: fifteen zeros would hide a text's one edit) and what the
    target answered. The metric and reward are internals; report.json's listing keeps them.
    """
    changes = entry.get("changed") or {}
    changed = (  # an input failing as it is read "changed by no change"
        "changed by "
        + " and ".join(f"{label} {format_value(value)}" for label, value in changes.items())
        if changes
        else "unchanged"
    )
    subject = f"Input {entry.get('input_id', '?')}"
    if entry.get("reference") not in (None, ""):
        subject += f" (should be {entry['reference']})"
    output = entry.get("output")
    return f"{subject}, {changed}" + (f": the target says {output}" if output else "")
