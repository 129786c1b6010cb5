"""Character edits: the slips of a typing hand, ``count`` of them per text.

Each function takes ``(text, count, seed)`` and returns the edited text; ``count`` 0 returns the
text unchanged, and a text with fewer sites than ``count`` gets an edit at every site. Only
letters inside words of at least two letters are touched, so the edits read as typos rather than
as deleted or invented words.
"""

from __future__ import annotations

import string
import unicodedata
from functools import cache
from itertools import pairwise

from ffade_text.functional._spans import (
    disjoint_sites,
    first_sites,
    generator,
    replace,
    splice,
    words,
)
from ffade_text.functional.lexicon import KEYBOARD_NEIGHBOURS


def _letters(text: str) -> list[tuple[int, int]]:
    """(start, end) of each letter inside words of two or more characters, with the combining
    marks that follow it: a decomposed "é" (e + U+0301) is one letter, so no edit parts an
    accent from its letter (deleting the "e" of "café" put the accent on the "f")."""
    letters = []
    for start, end in words(text):
        units, i = [], start
        while i < end:
            j = i + 1
            while j < end and unicodedata.category(text[j]).startswith("M"):
                j += 1
            units.append((i, j))
            i = j
        if len(units) > 1:
            letters += [(i, j) for i, j in units if text[i].isalpha()]
    return letters


def delete_char(text: str, count: int, seed: int = 0) -> str:
    """Delete ``count`` letters: "council" -> "counil"."""
    sites = first_sites(_letters(text), count, generator(text, seed, "delete_char"))
    return splice(text, sites, replace(lambda _: ""))


def repeat_char(text: str, count: int, seed: int = 0) -> str:
    """Type ``count`` letters twice: "council" -> "counncil"."""
    sites = first_sites(_letters(text), count, generator(text, seed, "repeat_char"))
    return splice(text, sites, replace(lambda c: c + c))


def insert_char(text: str, count: int, seed: int = 0) -> str:
    """Insert ``count`` random lowercase letters between two letters of a word: "coquncil".

    The letter comes from the script of the letter before the gap: a-z after a Latin one, as
    before; after a letter of another script, one of the letters of that script the text
    itself uses ("批准了" -> "批准准了" or "批了准了"), since a-z in a Chinese, Hindi or Arabic
    word ("批准e了") is no slip of that script's writer, and the text's own letters need no
    table of every script's alphabet.

    A modifier letter (Unicode Lm: the long-vowel mark "ー", the iteration mark "々", "ʼ") is
    never inserted, and a gap after one takes the script of the letter it follows: the mark
    lengthens or repeats that letter, so typing it twice ("コーーヒー", "人々々") is no slip
    of a hand that knows the script, where a letter of it ("コーカヒー") is.
    """
    letters = _letters(text)
    before = {end: start for start, end in letters}
    alphabets = _alphabets(text, letters)
    scripts = {start: _gap_script(text, before, start) for start, _ in letters if start in before}
    gaps = [start for start, _ in letters if alphabets.get(scripts.get(start, ""))]
    rng = generator(text, seed, "insert_char")
    sites = first_sites(gaps, count, rng)
    inserted = {i: rng.choice(alphabets[scripts[i]]) for i in sites}
    return splice(text, [(i, i) for i in sites], lambda t, i, _: t[:i] + inserted[i] + t[i:])


def _gap_script(text: str, before: dict[int, int], gap: int) -> str:
    """The script of the letters a gap takes: that of the letter before it, or, after modifier
    letters, of the letter they follow ("" when the word starts with them)."""
    start = before[gap]
    while unicodedata.category(text[start]) == "Lm":
        if start not in before:
            return ""
        start = before[start]
    return _script(text[start])


@cache  # a name look-up per letter of a long text was most of insert_char's time
def _script(letter: str) -> str:
    """The script of a letter, as the first word of its Unicode name: LATIN, CJK, ARABIC ..."""
    return unicodedata.name(letter, "").split(" ")[0]


def _alphabets(text: str, letters: list[tuple[int, int]]) -> dict[str, str]:
    """Per script, the letters to insert: a-z for Latin (as before: English texts keep their
    edits), else the text's own letters of that script, lowercased, in code point order;
    modifier letters (Lm: "ー", "々") are none of them."""
    found: dict[str, set[str]] = {}
    for letter in {text[start] for start, _ in letters}:
        if unicodedata.category(letter) == "Lm":
            continue
        letter = letter.lower() if len(letter.lower()) == 1 else letter
        found.setdefault(_script(letter), set()).add(letter)
    alphabets = {script: "".join(sorted(chars)) for script, chars in found.items()}
    alphabets["LATIN"] = string.ascii_lowercase
    return alphabets


def swap_char(text: str, count: int, seed: int = 0) -> str:
    """Swap ``count`` pairs of neighbouring letters that differ: "council" -> "cuoncil"."""
    letters = _letters(text)
    middle = {
        (a, d): b
        for (a, b), (c, d) in pairwise(letters)
        if b == c and text[a:b].lower() != text[c:d].lower()
    }
    sites = disjoint_sites(middle, count, generator(text, seed, "swap_char"))
    return splice(
        text, sites, lambda t, a, d: t[:a] + t[middle[a, d] : d] + t[a : middle[a, d]] + t[d:]
    )


def keyboard_typo(text: str, count: int, seed: int = 0) -> str:
    """Replace ``count`` letters by a key next to them on a QWERTY keyboard: "coumcil"."""
    # an accented letter is no key of the map, composed ("é") or not (e + U+0301): typing
    # the "e" of a decomposed one wrote "ś", an accent on a key never pressed with it
    candidates = [
        i for i, end in _letters(text) if end == i + 1 and text[i].lower() in KEYBOARD_NEIGHBOURS
    ]
    rng = generator(text, seed, "keyboard_typo")
    sites = first_sites(candidates, count, rng)
    typed = {}
    for i in sites:
        key = rng.choice(KEYBOARD_NEIGHBOURS[text[i].lower()])
        typed[i] = key.upper() if text[i].isupper() else key
    return splice(text, [(i, i + 1) for i in sites], lambda t, i, _: t[:i] + typed[i] + t[i + 1 :])
