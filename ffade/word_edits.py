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
    and deleted, where the reader's edit is "About" and "people" trading places. A word swaps
    without the marks around it ("won the vote." -> "vote the won."), as ``shuffle_words``
    swaps them."""
    if len(before) != len(after):
        return None
    old = [_marked(word) for word in before]
    new = [_marked(word) for word in after]
    differ = [i for i in range(len(old)) if before[i] != after[i]]
    swaps, paired = [], set()
    for i in differ:
        if i in paired:
            continue
        partner = next(
            (j for j in differ if j > i and j not in paired and _swapped(old, new, i, j)), None
        )
        if partner is None:
            return None
        paired |= {i, partner}
        swaps.append(f'"{old[i][1]}" and "{old[partner][1]}" swapped')
    return swaps or None


def _marked(word: str) -> tuple[str, str, str]:
    """A word as the marks before it, itself, and the marks after it: ``"vote."`` -> ``("",
    "vote", ".")``."""
    core = re.fullmatch(r"(\W*)(.*?)(\W*)", word)
    assert core is not None  # the pattern matches any string
    return core[1], core[2], core[3]


def _swapped(
    old: list[tuple[str, str, str]], new: list[tuple[str, str, str]], i: int, j: int
) -> bool:
    """Whether words ``i`` and ``j`` traded places, each place keeping its marks."""
    return (
        old[i][1] == new[j][1]
        and old[j][1] == new[i][1]
        and all(old[k][0] == new[k][0] and old[k][2] == new[k][2] for k in (i, j))
        and bool(old[i][1] and old[j][1])
    )


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
