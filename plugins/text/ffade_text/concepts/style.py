"""Style concepts: lowercase words, remove punctuation (see ``ffade_text.functional.style``)."""

from __future__ import annotations

from ffade_text.concepts._base import TextEdit
from ffade_text.functional import style


class Lowercase(TextEdit):
    """Lowercase one capitalized word per edit: "Mayor Ana Lopez" -> "mayor Ana Lopez"."""

    def edit(self, text: str, count: int) -> str:
        return style.lowercase(text, count, self.seed)


class RemovePunctuation(TextEdit):
    """Remove one punctuation mark per edit: "on Monday. Mayor" -> "on Monday Mayor"."""

    def edit(self, text: str, count: int) -> str:
        return style.remove_punctuation(text, count, self.seed)
