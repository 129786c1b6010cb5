"""Grammar concepts: negation (``functional.grammar``), singular/plural and verb tense
(``functional.inflection``).

Nouns and verbs are recognized from word lists; the ``nouns`` and ``verbs`` arguments add to the
built-in ones, so a domain's own vocabulary can be edited too.
"""

from __future__ import annotations

from collections.abc import Sequence

from ffade.errors import ConceptValueError, as_written
from ffade_text.concepts._base import TextEdit, word_list
from ffade_text.functional import grammar, inflection
from ffade_text.functional.lexicon import NOUNS, VERBS


def _verb_table(label: str, extra: Sequence[Sequence[str]] | None) -> tuple[tuple[str, ...], ...]:
    if isinstance(extra, str) or not isinstance(extra, (Sequence, type(None))):
        extra = [extra]  # verbs: approve is one malformed entry, not seven
    for row in extra or ():
        if isinstance(row, str) or not isinstance(row, Sequence) or len(row) != 3:
            raise ConceptValueError(
                f"concept '{label}': verbs entry {as_written(row)} is not allowed; expected "
                "[base, third person present, past], e.g. [approve, approves, approved]"
            )
        word_list(label, "verbs", row)
    return (*VERBS, *(tuple(w.lower() for w in row) for row in extra or ()))


class _VerbEdit(TextEdit):
    """Shared constructor of the edits that work on verbs: the built-in table plus ``verbs``.

    Args:
        values, label, seed: as :class:`~ffade_text.concepts._base.TextEdit`.
        verbs: extra [base, present, past] triples, added to the built-in verbs.
    """

    def __init__(
        self,
        values: Sequence[int] | None = None,
        label: str | None = None,
        seed: int = 0,
        verbs: Sequence[Sequence[str]] | None = None,
    ) -> None:
        super().__init__(values, label, seed)
        self.verbs = _verb_table(self.label, verbs)


class Negate(_VerbEdit):
    """Negate one English sentence per edit: "approved" -> "did not approve", "was" -> "was not".

    Changes what the article says, so the original's summary no longer fits it: a summary that
    follows the negation is right. Reports set its failures apart (``keeps_meaning``).

    English only: its rules look for English negations, auxiliaries and verbs, and a sentence
    with none of them gets "It is not true that" before it, in English whatever the text's
    language. A task none of whose inputs has such a sentence gets a note before the search.

    Args: as :class:`_VerbEdit`.
    """

    keeps_meaning = False

    def check_inputs(self, inputs: Sequence[str]) -> list[str]:
        """The base's checks, and a note when no input has a sentence the English rules can turn
        around: then every edit is the English prefix (a French or Chinese article, or English
        with none of the listed verbs), which a user reading 'negate' would not expect."""
        notes = super().check_inputs(inputs)
        texts = list(inputs)
        if max(self.values) == 0 or not texts:
            return notes
        if not any(grammar.negatable_in_place(text, self.verbs) for text in texts):
            notes.append(
                f"concept '{self.label}': none of the task's {len(texts)} inputs has a sentence "
                "with an English negation, auxiliary (is, was, can, ...) or listed verb, so every "
                "edit puts the English 'It is not true that' before a sentence: negate is "
                "English only; add the texts' verbs with verbs, or leave negate out"
            )
        return notes

    def edit(self, text: str, count: int) -> str:
        return grammar.negate(text, count, self.seed, self.verbs)


class SingularPlural(TextEdit):
    """Flip one listed noun between singular and plural per edit: "city" <-> "cities".

    Args:
        values, label, seed: as :class:`~ffade_text.concepts._base.TextEdit`.
        nouns: extra singular nouns, added to the built-in list (plurals from ``inflect``).
    """

    def __init__(
        self,
        values: Sequence[int] | None = None,
        label: str | None = None,
        seed: int = 0,
        nouns: Sequence[str] | None = None,
    ) -> None:
        super().__init__(values, label, seed)
        nouns = word_list(self.label, "nouns", nouns)
        self.forms = inflection.number_forms((*NOUNS, *(nouns or ())))

    def edit(self, text: str, count: int) -> str:
        return inflection.singular_plural(text, count, self.seed, self.forms)


class VerbTense(_VerbEdit):
    """Move one listed verb between past and present per edit: "approved" <-> "approves".

    Args: as :class:`_VerbEdit`.
    """

    def edit(self, text: str, count: int) -> str:
        return inflection.verb_tense(text, count, self.seed, self.verbs)
