"""Text-edit concepts, one per edit family; a value is the number of edits (0 changes nothing)."""

from __future__ import annotations

from ffade_text.concepts._base import TextEdit
from ffade_text.concepts.characters import (
    DeleteChar,
    InsertChar,
    KeyboardTypo,
    RepeatChar,
    SwapChar,
)
from ffade_text.concepts.grammar import Negate, SingularPlural, VerbTense
from ffade_text.concepts.style import Lowercase, RemovePunctuation
from ffade_text.concepts.words import DeleteWord, DropStopwords, Misspell, RepeatWord, ShuffleWords

__all__ = [
    "DeleteChar",
    "DeleteWord",
    "DropStopwords",
    "InsertChar",
    "KeyboardTypo",
    "Lowercase",
    "Misspell",
    "Negate",
    "RemovePunctuation",
    "RepeatChar",
    "RepeatWord",
    "ShuffleWords",
    "SingularPlural",
    "SwapChar",
    "TextEdit",
    "VerbTense",
]
