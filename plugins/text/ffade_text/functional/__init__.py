"""The text edits as pure functions ``edit(text, count, seed) -> text``, one module per theme.

Concept plugins (``ffade_text.concepts``) wrap them: they validate the grid of severities and
apply one severity to a whole batch of strings.
"""

from __future__ import annotations

from ffade_text.functional.characters import (
    delete_char,
    insert_char,
    keyboard_typo,
    repeat_char,
    swap_char,
)
from ffade_text.functional.grammar import negate
from ffade_text.functional.inflection import singular_plural, verb_tense
from ffade_text.functional.style import lowercase, remove_punctuation
from ffade_text.functional.words import (
    delete_word,
    drop_stopwords,
    misspell,
    repeat_word,
    shuffle_words,
)

__all__ = [
    "delete_char",
    "delete_word",
    "drop_stopwords",
    "insert_char",
    "keyboard_typo",
    "lowercase",
    "misspell",
    "negate",
    "remove_punctuation",
    "repeat_char",
    "repeat_word",
    "shuffle_words",
    "singular_plural",
    "swap_char",
    "verb_tense",
]
