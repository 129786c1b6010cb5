"""Style edits: lowercase words, remove punctuation; ``count`` sites per text.

Each function takes ``(text, count, seed)`` and returns the edited text; ``count`` 0 returns it
unchanged, and a text with fewer sites gets an edit at every site.
"""

from __future__ import annotations

import unicodedata

from ffade_text.functional._spans import first_sites, generator, replace, splice, words


def lowercase(text: str, count: int, seed: int = 0) -> str:
    """Lowercase ``count`` words with a capital letter: "Mayor Ana Lopez" -> "mayor Ana lopez"."""
    candidates = [(s, e) for s, e in words(text) if text[s:e] != text[s:e].lower()]
    sites = first_sites(candidates, count, generator(text, seed, "lowercase"))
    return splice(text, sites, replace(str.lower))


def remove_punctuation(text: str, count: int, seed: int = 0) -> str:
    """Remove ``count`` punctuation marks (any Unicode punctuation): "Monday." -> "Monday"."""
    candidates = [i for i, c in enumerate(text) if unicodedata.category(c).startswith("P")]
    sites = first_sites(candidates, count, generator(text, seed, "remove_punctuation"))
    return splice(text, [(i, i + 1) for i in sites], _remove_mark)


def _remove_mark(text: str, start: int, end: int) -> str:
    """Delete one mark; a mark that stood alone between spaces ("Harlow — a town") takes one
    space with it, so no double space is left."""
    alone = (start == 0 or text[start - 1].isspace()) and text[end : end + 1] in (" ", "\t")
    return text[:start] + text[end + alone :]
