"""Word concepts: delete, repeat, shuffle, drop stop words, misspell (``functional.words``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from ffade.errors import ConceptValueError
from ffade_text.concepts._base import TextEdit, word_list, word_pairs
from ffade_text.functional import words
from ffade_text.functional._spans import words as word_spans
from ffade_text.functional.lexicon import ENGLISH_MARKERS, MISSPELLINGS, STOP_WORDS


def _has_word(texts: Sequence[str], known: Collection[str]) -> bool:
    """Whether any text holds a word of ``known`` (lowercase), matched whole."""
    return any(text[s:e].lower() in known for text in texts for s, e in word_spans(text))


def _english_only_note(label: str, texts: Sequence[str], what: str, fix: str) -> str:
    """The one note of an English-only edit on inputs with no English word: ``fix`` is the
    argument that adapts it, or leaving the concept out."""
    return (
        f"concept '{label}': none of the task's {len(texts)} inputs has an English word such as "
        f"'the', 'and' or 'with', so its {what} may not fit them; {fix}"
    )


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
    """Delete one stop word per edit; English ("the", "of", "was", ...) unless stop_words.

    English only with the built-in list: in another language its words are other words (French
    "a" is the verb "has"), so they are deleted as if they were stop words. A task none of whose
    inputs has an English word ("the", "and", ...) gets a note before the search; give the
    texts' own ``stop_words`` for another language.

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
        self.built_in = stop_words is None
        chosen = STOP_WORDS if stop_words is None else stop_words
        self.stop_words = frozenset(w.lower() for w in chosen)

    def check_inputs(self, inputs: Sequence[str]) -> list[str]:
        """The base's checks, and a note when the built-in English list meets inputs with no
        English word: its "a", "in" or "was" are other words in French or German, and deleting
        them is no stop-word edit. A note, not an error: a few English words may be enough."""
        notes = super().check_inputs(inputs)
        texts = list(inputs)
        if (
            self.built_in
            and max(self.values) > 0
            and texts
            and not _has_word(texts, ENGLISH_MARKERS)
        ):
            what = "English stop words (a, in, was, ...)"
            fix = "drop_stopwords is English only: give the texts' own stop_words, or leave it out"
            notes.append(_english_only_note(self.label, texts, what, fix))
        return notes

    def edit(self, text: str, count: int) -> str:
        return words.drop_stopwords(text, count, self.seed, self.stop_words)


class Misspell(TextEdit):
    """Misspell one English word per edit: a known slip ("recieved") or sound-alike ("aproved").

    English only: the known slips are of English words and the rules (ie/ei, ss/s, tion/sion,
    ...) are English sound-alikes, which still rewrite words of other Latin-script languages. A
    task none of whose inputs has an English word ("the", "and", ...) or a listed word gets a
    note before the search; ``misspellings`` adds the texts' own words.

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

    def check_inputs(self, inputs: Sequence[str]) -> list[str]:
        """The base's checks, and a note when no input has an English word or a word of the
        lists: then every edit is an English sound-alike rule applied to another language."""
        notes = super().check_inputs(inputs)
        texts = list(inputs)
        known = ENGLISH_MARKERS | MISSPELLINGS.keys() | self.misspellings.keys()
        if max(self.values) > 0 and texts and not _has_word(texts, known):
            what = "English misspellings and sound-alike rules (ie/ei, ss/s, ...)"
            fix = (
                "misspell is English only: add the texts' words with misspellings, or leave it out"
            )
            notes.append(_english_only_note(self.label, texts, what, fix))
        return notes

    def edit(self, text: str, count: int) -> str:
        return words.misspell(text, count, self.seed, self.misspellings)
