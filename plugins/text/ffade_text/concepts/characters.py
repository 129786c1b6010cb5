"""Character concepts: typing slips inside words (see ``ffade_text.functional.characters``)."""

from __future__ import annotations

from ffade_text.concepts._base import TextEdit
from ffade_text.functional import characters


class DeleteChar(TextEdit):
    """Delete one letter per edit: "council" -> "counil"."""

    def edit(self, text: str, count: int) -> str:
        return characters.delete_char(text, count, self.seed)


class InsertChar(TextEdit):
    """Insert one random letter inside a word per edit: "council" -> "coquncil"."""

    def edit(self, text: str, count: int) -> str:
        return characters.insert_char(text, count, self.seed)


class SwapChar(TextEdit):
    """Swap two neighbouring letters per edit: "council" -> "cuoncil"."""

    def edit(self, text: str, count: int) -> str:
        return characters.swap_char(text, count, self.seed)


class RepeatChar(TextEdit):
    """Type one letter twice per edit: "council" -> "counncil"."""

    def edit(self, text: str, count: int) -> str:
        return characters.repeat_char(text, count, self.seed)


class KeyboardTypo(TextEdit):
    """Hit a QWERTY neighbour instead of one letter per edit: "council" -> "coumcil"."""

    def edit(self, text: str, count: int) -> str:
        return characters.keyboard_typo(text, count, self.seed)
