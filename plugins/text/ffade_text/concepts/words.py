"""Word concepts: delete, repeat, shuffle, drop stop words, misspell (``functional.words``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ffade.errors import ConceptValueError
from ffade_text.concepts._base import TextEdit, word_list, word_pairs
from ffade_text.functional import words
from ffade_text.functional.lexicon import STOP_WORDS


class DeleteWord(TextEdit):
    """Delete one word per edit, never a negation: "the city council" -> "the council"."""

    def edit(self, text: str, count: int) -> str:
        return words.delete_word(text, count, self.seed)


class RepeatWord(TextEdit):
    """Write one word twice per edit: "the city council" -> "the city city council"."""

    def edit(self, text: str, count: int) -> str:
        return words.repeat_word(text, count, self.seed)


class ShuffleWords(TextEdit):
    """Swap two words of one sentence per edit: "the council approved" -> "approved council the"."""

    def edit(self, text: str, count: int) -> str:
        return words.shuffle_words(text, count, self.seed)


class DropStopwords(TextEdit):
    """Delete one stop word ("the", "of", "was", ...) per edit.

    Args:
        values, label, seed: as :class:`~ffade_text.concepts._base.TextEdit`.
        stop_words: the words that count as stop words; they replace the built-in English list
            (default). An empty list is refused: with no stop words the concept would be a no-op
            that every grid value leaves unchanged.
    """

    def __init__(
        self,
        values: Sequence[int] | None = None,
        label: str | None = None,
        seed: int = 0,
        stop_words: Sequence[str] | None = None,
    ) -> None:
        super().__init__(values, label, seed)
        stop_words = word_list(self.label, "stop_words", stop_words, "[the, of, was]")
        if stop_words is not None and not stop_words:
            raise ConceptValueError(
                f"concept '{self.label}': stop_words is empty, so no edit could be made; list "
                "at least one word, or leave stop_words out for the built-in English list"
            )
        chosen = STOP_WORDS if stop_words is None else stop_words
        self.stop_words = frozenset(w.lower() for w in chosen)

    def edit(self, text: str, count: int) -> str:
        return words.drop_stopwords(text, count, self.seed, self.stop_words)


class Misspell(TextEdit):
    """Misspell one word per edit: a known slip ("recieved") or a sound-alike rule ("aproved").

    Args:
        values, label, seed: as :class:`~ffade_text.concepts._base.TextEdit`.
        misspellings: extra {word: misspelling} pairs, added to the built-in list.
    """

    def __init__(
        self,
        values: Sequence[int] | None = None,
        label: str | None = None,
        seed: int = 0,
        misspellings: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(values, label, seed)
        pairs = word_pairs(self.label, "misspellings", misspellings)
        self.misspellings = {k.lower(): v for k, v in pairs.items()}

    def edit(self, text: str, count: int) -> str:
        return words.misspell(text, count, self.seed, self.misspellings)
