"""The character edits, made fast with letter arrays, give exactly the texts the per-character
loop gave: every recorded evaluation depends on which sites an edit picks. The digests below were
recorded from that older code (2026-12-06, before the arrays) on texts of every kind of letter.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from ffade_text import functional as F


def varied_texts() -> list[str]:
    """Texts with every kind of letter (accents composed and decomposed, CJK with its marks ー
    and 々, Arabic, Devanagari, emoji, the Kelvin sign, ligatures) and lengths from none to
    3,000 words (~16,000 letters)."""
    rng = random.Random(5)
    pieces = ["The", "council", "approved", "the", "budget", "don't", "7.5", "café", "cafe\u0301",
              "naïve", "İstanbul", "\u212aelvin", "ﬁne", "市议会批准了预算", "コーヒー", "人々",
              "ーー", "مرحبا", "हिन्दी", "👍🏽", "a😀b", "x²", "Ⅻ", "ʼokina",
              "e\u0301\u0301te"]  # fmt: skip
    texts = ["", "...!?", "a", "ab", "Ab ba", "AaAa council"]
    for size in (6, 40, 3000):
        for _ in range(2):
            texts.append(" ".join(rng.choice(pieces) for _ in range(size)) + ".")
    return texts


RECORDED = {  # sha256 (first 32 hex digits) of every output, from the code before the arrays
    # delete_char since it keeps a letter of each word (2026-12-07): 1,000 deletions emptied words
    "delete_char": "6d8fcec62821251309ad249a311e13c5",
    "insert_char": "696a5d7858dcae9bb49f6a73035f21b0",
    "swap_char": "a508c894d167ff2ea5a822b2cd4aa259",
    "repeat_char": "b474f34c722b952cc8055aaf797be6e2",
    "keyboard_typo": "061a0aa85c5fc3b1eb879c84b6869e57",
}


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_character_edits_give_the_texts_recorded_before_they_were_made_fast(name: str) -> None:
    digest = hashlib.sha256()
    for text in varied_texts():
        for count in (1, 3, 1000):
            for seed in (0, 1):
                digest.update(getattr(F, name)(text, count, seed).encode() + b"\0")
    assert digest.hexdigest()[:32] == RECORDED[name]
