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
    named with what it was (``"journeys" -> "jiurneys"``, ``"the" deleted``). Words that only
    changed places (the text plugin's ``shuffle_words``) are said so, ``"town" and "Residents"
    swapped`` or ``"storm" moved``, not as a word deleted here and the same word inserted there."""
    before, after = re.findall(r"\S+", original), re.findall(r"\S+", changed)
    edits = _swaps(before, after)
    if edits is None:
        edits = _diff(before, after)
    if not edits:
        return "no word changed" if original == changed else "only spacing changed"
    more = len(edits) - MAX_EDITS
    return "; ".join(edits[:MAX_EDITS]) + (f"; ... and {more} more" if more > 0 else "")


def _swaps(before: list[str], after: list[str]) -> list[str] | None:
    """The word swaps that turn ``before`` into ``after``, or None when it is not only swaps: a
    diff aligns "About 1312 people" with "people 1312 About" as two runs of two words inserted
    and deleted, where the reader's edit is "About" and "people" trading places."""
    if len(before) != len(after):
        return None
    differ = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    swaps, paired = [], set()
    for i in differ:
        if i in paired:
            continue
        partner = next(
            (
                j
                for j in differ
                if j > i and j not in paired and before[i] == after[j] and before[j] == after[i]
            ),
            None,
        )
        if partner is None:
            return None
        paired |= {i, partner}
        swaps.append(f'"{before[i]}" and "{before[partner]}" swapped')
    return swaps or None


def _diff(before: list[str], after: list[str]) -> list[str]:
    """Each changed run of words with what it was; a run deleted in one place and inserted in
    another is one move, and two runs that took each other's place are one swap."""
    edits: list[str] = []
    inserted: dict[str, int] = {}  # a run inserted or deleted -> its edit's index, to pair them
    deleted: dict[str, int] = {}
    replaced: dict[tuple[str, str], int] = {}
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for kind, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = " ".join(before[i1:i2]), " ".join(after[j1:j2])
        if kind == "replace":
            if (new, old) in replaced:
                edits[replaced.pop((new, old))] = f'"{new}" and "{old}" swapped'
            else:
                replaced[(old, new)] = len(edits)
                edits.append(f'"{old}" -> "{new}"')
        elif kind == "delete":
            if old in inserted:
                edits[inserted.pop(old)] = f'"{old}" moved'
            else:
                deleted[old] = len(edits)
                edits.append(f'"{old}" deleted')
        elif kind == "insert":
            if new in deleted:
                edits[deleted.pop(new)] = f'"{new}" moved'
            else:
                inserted[new] = len(edits)
                edits.append(f'"{new}" inserted')
    return edits
