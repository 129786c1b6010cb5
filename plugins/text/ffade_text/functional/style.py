"""Style edits: lowercase words, remove punctuation; ``count`` sites per text.

Each function takes ``(text, count, seed)`` and returns the edited text; ``count`` 0 returns it
unchanged, and a text with fewer sites gets an edit at every site.
"""

from __future__ import annotations

import re
import unicodedata

from ffade_text.functional._spans import (
    NUMBER_MARK,
    first_sites,
    generator,
    replace,
    splice,
    words,
)


def lowercase(text: str, count: int, seed: int = 0) -> str:
    """Lowercase ``count`` words with a capital letter: "Mayor Ana Lopez" -> "mayor Ana lopez"."""
    candidates = [(s, e) for s, e in words(text) if text[s:e] != text[s:e].lower()]
    sites = first_sites(candidates, count, generator(text, seed, "lowercase"))
    return splice(text, sites, replace(str.lower))


def remove_punctuation(text: str, count: int, seed: int = 0) -> str:
    """Remove ``count`` punctuation marks (any Unicode punctuation): "Monday." -> "Monday".

    A point or comma between digits (7.5, 1,312) is part of the number, as it is to the word
    edits, not a mark: removing it wrote "75" and "1312", another number, not a careless text.
    """
    number = {m.start() for m in re.finditer(NUMBER_MARK, text)}
    candidates = [
        i for i, c in enumerate(text) if unicodedata.category(c).startswith("P") and i not in number
    ]
    sites = first_sites(candidates, count, generator(text, seed, "remove_punctuation"))
    return splice(text, [(i, i + 1) for i in sites], _remove_mark)


def _remove_mark(text: str, start: int, end: int) -> str:
    """Delete one mark; a mark that stood alone between spaces ("Harlow — a town") takes one
    space with it, so no double space is left."""
    alone = (start == 0 or text[start - 1].isspace()) and text[end : end + 1] in (" ", "\t")
    return text[:start] + text[end + alone :]
