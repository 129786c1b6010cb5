"""Character edits: the slips of a typing hand, ``count`` of them per text.

Each function takes ``(text, count, seed)`` and returns the edited text; ``count`` 0 returns the
text unchanged, and a text with fewer sites than ``count`` gets an edit at every site. Only
letters inside words of at least two letters are touched, so the edits read as typos rather than
as deleted or invented words.
"""

from __future__ import annotations

import string
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import numpy as np

from ffade_text.functional._spans import (
    disjoint_sites,
    first_sites,
    generator,
    replace,
    splice,
    words,
)
from ffade_text.functional.lexicon import KEYBOARD_NEIGHBOURS


class _Letters(NamedTuple):
    """The letters of a text as arrays: a per-character Python loop over a 25,000-word text
    (unicodedata per character) took most of a character edit's 0.4-1 s."""

    codes: np.ndarray  # the code point of each character of the text
    starts: np.ndarray  # where each letter starts, ascending
    ends: np.ndarray  # where it ends: after the combining marks that follow it
    chars: frozenset[str]  # the distinct characters of the text

    def lookup(self, value: Callable[[str], int], dtype: type = np.int32) -> np.ndarray:
        """``value(character)`` per code point of the text's characters (0 elsewhere): a
        table indexed by ``codes``, computed once per distinct character."""
        table = np.zeros(int(self.codes.max(initial=0)) + 1, dtype)
        for char in self.chars:
            table[ord(char)] = value(char)
        return table

    def at(self, positions: np.ndarray) -> set[str]:
        """The distinct characters at ``positions``."""
        found = np.zeros(int(self.codes.max(initial=0)) + 1, np.bool_)
        found[self.codes[positions]] = True
        return {char for char in self.chars if found[ord(char)]}


def _letter_table(text: str) -> _Letters:
    """Each letter inside words of two or more characters, with the combining marks that
    follow it: a decomposed "é" (e + U+0301) is one letter, so no edit parts an accent from its
    letter (deleting the "e" of "café" put the accent on the "f").

    A word's characters are units: each one that continues no letter (:func:`_continues`: a
    combining mark, a Hangul vowel or final written apart) starts one,
    and so does the word's first; a word of two or more units has letters, the units that start
    with an alphabetic character (``str.isalpha``), digits and apostrophes being no letters.
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    letters = _Letters(codes, np.zeros(0, np.intp), np.zeros(0, np.intp), frozenset(text))
    spans = words(text)
    if not spans:
        return letters
    kind = letters.lookup(lambda c: _continues(c) | c.isalpha() << 1, np.uint8)[codes]
    first, last = np.array(spans, dtype=np.intp).T
    unit = _inside(len(text), first, last) & (kind & 1 == 0)
    unit[first] = True
    several = np.add.reduceat(unit.astype(np.intp), first) > 1
    starts = np.flatnonzero(
        unit & (kind & 2 != 0) & _inside(len(text), first[several], last[several])
    )
    edge = np.zeros(len(text) + 1, np.bool_)  # where units and words end
    edge[: len(text)] = unit
    edge[last] = True
    edges = np.flatnonzero(edge)
    ends = edges[np.searchsorted(edges, starts, side="right")]
    return letters._replace(starts=starts, ends=ends)


def _continues(char: str) -> bool:
    """Whether ``char`` continues the letter before it: a combining mark (Unicode M*), or a
    conjoining Hangul vowel or final consonant (jamo), the parts of a syllable written apart
    (NFD, as macOS writes file names): deleting or swapping them one by one left a syllable
    without its vowel ("승인" to "승ᆫ"), no slip of a Korean typist's hand."""
    return unicodedata.category(char).startswith("M") or (
        "\u1160" <= char <= "\u11ff" or "\ud7b0" <= char <= "\ud7ff"
    )


def _inside(size: int, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Which of ``size`` characters lie inside one of the disjoint spans [first, last)."""
    depth = np.zeros(size + 1, np.intp)
    depth[first] += 1
    depth[last] -= 1
    return np.cumsum(depth[:-1]) > 0


def _letters(text: str) -> list[tuple[int, int]]:
    """(start, end) of each letter inside words of two or more characters (`_letter_table`)."""
    letters = _letter_table(text)
    return list(zip(letters.starts.tolist(), letters.ends.tolist(), strict=True))


def delete_char(text: str, count: int, seed: int = 0) -> str:
    """Delete ``count`` letters: "council" -> "counil"; each word keeps one of its letters.

    Letters are taken in one seeded order, skipping one that is the last its word has left, so
    severity n + 1 is still severity n plus one deletion: at two or more edits both letters of
    "Is" went, and "Is it late" became " it late", a word deleted rather than mistyped.
    """
    letters = _letter_table(text)
    word_starts = [s for s, _ in words(text)]
    left = np.bincount(np.searchsorted(word_starts, letters.starts, side="right") - 1)
    order = first_sites(
        letters.starts.tolist(), len(letters.starts), generator(text, seed, "delete_char")
    )
    ends = dict(zip(letters.starts.tolist(), letters.ends.tolist(), strict=True))
    sites = []
    for start in order:
        if len(sites) == count:
            break
        word = bisect_right(word_starts, start) - 1
        if left[word] > 1:
            left[word] -= 1
            sites.append((start, ends[start]))
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
    letters = _letter_table(text)
    starts = letters.starts
    alphabets = _alphabets(letters.at(starts))
    # the gaps: letters right after another letter (t), whose script has letters to insert
    after = np.flatnonzero(starts[1:] == letters.ends[:-1]) + 1
    previous = letters.codes[starts[after - 1]]
    modifier = letters.lookup(lambda c: unicodedata.category(c) == "Lm", np.bool_)[previous]
    known = letters.lookup(lambda c: _script(c) in alphabets, np.bool_)[previous]
    gaps = set(after[~modifier & known].tolist())
    scripts = {t: _gap_script(text, letters, t) for t in after[modifier].tolist()}
    gaps.update(t for t, script in scripts.items() if script in alphabets)
    rng = generator(text, seed, "insert_char")
    sites = first_sites(starts[sorted(gaps)].tolist(), count, rng)
    place = np.searchsorted(starts, sites).tolist()
    inserted = {
        i: rng.choice(alphabets[_gap_script(text, letters, t)])
        for i, t in zip(sites, place, strict=True)
    }
    return splice(text, [(i, i) for i in sites], lambda t, i, _: t[:i] + inserted[i] + t[i:])


def _gap_script(text: str, letters: _Letters, gap: int) -> str:
    """The script of the letters the gap before letter ``gap`` takes: that of the letter before
    it, or, after modifier letters, of the letter they follow ("" when the word starts with
    them)."""
    starts, ends = letters.starts, letters.ends
    before = gap - 1
    while unicodedata.category(text[starts[before]]) == "Lm":
        if before == 0 or starts[before] != ends[before - 1]:
            return ""
        before -= 1
    return _script(text[starts[before]])


@cache  # a name look-up per letter of a long text was most of insert_char's time
def _script(letter: str) -> str:
    """The script of a letter, as the first word of its Unicode name: LATIN, CJK, ARABIC ..."""
    return unicodedata.name(letter, "").split(" ")[0]


def _is_initial_jamo(letter: str) -> bool:
    """A Hangul initial consonant written apart from its syllable: inserted alone, it makes no
    syllable (a precomposed one, "가", is a letter to insert)."""
    return "\u1100" <= letter <= "\u115f" or "\ua960" <= letter <= "\ua97f"


def _alphabets(letters: set[str]) -> dict[str, str]:
    """Per script, the letters to insert: a-z for Latin (as before: English texts keep their
    edits), else the text's own letters of that script, lowercased, in code point order;
    modifier letters (Lm: "ー", "々") and Hangul initials written apart are none of them."""
    found: dict[str, set[str]] = {}
    for letter in letters:
        if unicodedata.category(letter) == "Lm" or _is_initial_jamo(letter):
            continue
        letter = letter.lower() if len(letter.lower()) == 1 else letter
        found.setdefault(_script(letter), set()).add(letter)
    alphabets = {script: "".join(sorted(chars)) for script, chars in found.items()}
    alphabets["LATIN"] = string.ascii_lowercase
    return alphabets


def swap_char(text: str, count: int, seed: int = 0) -> str:
    """Swap ``count`` pairs of neighbouring letters that differ: "council" -> "cuoncil"."""
    letters = _letter_table(text)
    starts, ends = letters.starts, letters.ends
    second = np.flatnonzero(starts[1:] == ends[:-1]) + 1  # a letter right after another
    first = second - 1
    # letters differ case aside; one-character letters compare by a number per lowercase form
    lowered: dict[str, int] = {}
    form = letters.lookup(lambda c: lowered.setdefault(c.lower(), len(lowered) + 1))
    codes = letters.codes
    differ = form[codes[starts[first]]] != form[codes[starts[second]]]
    long = np.flatnonzero((ends[first] - starts[first] > 1) | (ends[second] - starts[second] > 1))
    for k in long.tolist():
        a, b, d = int(starts[first[k]]), int(starts[second[k]]), int(ends[second[k]])
        differ[k] = text[a:b].lower() != text[b:d].lower()
    a, b, d = starts[first[differ]].tolist(), starts[second[differ]].tolist(), ends[second[differ]]
    middle = dict(zip(zip(a, d.tolist(), strict=True), b, strict=True))
    sites = disjoint_sites(middle, count, generator(text, seed, "swap_char"))
    return splice(
        text, sites, lambda t, a, d: t[:a] + t[middle[a, d] : d] + t[a : middle[a, d]] + t[d:]
    )


def keyboard_typo(text: str, count: int, seed: int = 0) -> str:
    """Replace ``count`` letters by a key next to them on a QWERTY keyboard: "coumcil"."""
    # an accented letter is no key of the map, composed ("é") or not (e + U+0301): typing
    # the "e" of a decomposed one wrote "ś", an accent on a key never pressed with it
    letters = _letter_table(text)
    on_keys = letters.lookup(lambda c: c.lower() in KEYBOARD_NEIGHBOURS, np.bool_)
    single = letters.starts[letters.ends == letters.starts + 1]
    candidates = single[on_keys[letters.codes[single]]].tolist()
    rng = generator(text, seed, "keyboard_typo")
    sites = first_sites(candidates, count, rng)
    typed = {}
    for i in sites:
        key = rng.choice(KEYBOARD_NEIGHBOURS[text[i].lower()])
        typed[i] = key.upper() if text[i].isupper() else key
    return splice(text, [(i, i + 1) for i in sites], lambda t, i, _: t[:i] + typed[i] + t[i + 1 :])
