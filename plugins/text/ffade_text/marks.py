"""A regular-expression class of Unicode's combining marks, shared by the text edits' words and
ROUGE-L's tokens (Python's ``\\w`` leaves them out: a pattern of it alone cuts words at an
accent or a vowel sign). Standard library only: the rewards import it without the edits."""

from __future__ import annotations

import unicodedata


def _combining_marks() -> str:
    """A character class of the combining marks of the Basic Multilingual Plane (categories Mn,
    Mc, Me): a decomposed accent (e + U+0301), and the vowel signs and viramas of Devanagari,
    Bengali, Thai, Arabic ..., which Python's ``\\w`` leaves out (0.1 s, once)."""
    ranges: list[list[int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]*"


COMBINING_MARKS = _combining_marks()
"""Any run of combining marks: what follows a letter as part of it, to the edits' words and to
ROUGE-L's."""
