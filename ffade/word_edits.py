"""The words an edit changed in a text, named as a reader checks them.

Below explore and summarize both: a run's end writes the worst examples' TensorBoard table
(:mod:`ffade.explore.examples`) and a report quotes them (:mod:`ffade.summarize.example_listing`),
each with the same ``Edits:`` words, and explore never imports summarize.
"""

from __future__ import annotations

import difflib
import re

MAX_EDITS = 10
"""Word edits an example's line lists before it counts the rest: the quotes show them all."""


def text_edits(original: str, changed: str) -> str:
    """The words that differ between ``original`` and ``changed``, as a reader checks them: a
    typo in a 50-word article is hard to spot by reading both, so each changed run of words is
    named with what it was (``"journeys" -> "jiurneys"``, ``"the" deleted``)."""
    before, after = re.findall(r"\S+", original), re.findall(r"\S+", changed)
    edits = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for kind, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = " ".join(before[i1:i2]), " ".join(after[j1:j2])
        if kind == "replace":
            edits.append(f'"{old}" -> "{new}"')
        elif kind == "delete":
            edits.append(f'"{old}" deleted')
        elif kind == "insert":
            edits.append(f'"{new}" inserted')
    if not edits:
        return "no word changed" if original == changed else "only spacing changed"
    more = len(edits) - MAX_EDITS
    return "; ".join(edits[:MAX_EDITS]) + (f"; ... and {more} more" if more > 0 else "")
