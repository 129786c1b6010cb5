"""What every text edit shares: a per-text seeded generator, choosing edit sites, splicing.

Determinism matters twice. ffade memoizes evaluations, so an edit must give the same text for the
same (text, severity, seed) in every process: the generator is seeded from ``zlib.crc32`` of the
text, never from Python's salted ``hash()``. And the microscopic explorer adds one edit per step,
so severity ``n + 1`` must be severity ``n`` plus one more edit: sites are drawn as one shuffled
order per text and an edit of severity ``n`` takes its first ``n`` sites.
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from ffade_text.marks import COMBINING_MARKS

T = TypeVar("T")


_MARKS = COMBINING_MARKS
NUMBER_MARK = r"(?<=\d)[.,\u066b\u066c](?=\d)"
"""A decimal point or thousands separator between digits (7.5, 1,312, Arabic ٧٫٥): part of the
number, not punctuation: the word edits keep the number whole and remove_punctuation keeps it."""
WORD = re.compile(rf"(?:[^\W_]{_MARKS}|{NUMBER_MARK})+(?:['’](?:[^\W\d_]{_MARKS})+)*")
"""A word: letters (any script, accented: "Café", "naïve", with the vowel signs of "वाक्य") and
digits, with inner apostrophes (don't, council's); a number's point or comma between digits
(7.5, 1,312) is part of it. An ASCII-only pattern cut "naïve" into "na" and "ve", and one that
knew only Latin accents cut "वाक्य" into three, so word edits deleted, repeated and swapped
pieces of words; without the point, "7.5" was two words and repeat_word wrote "7.5 5"."""

STOPS = ".!?\u3002\uff01\uff1f\u061f\u0964"  # . ! ? and 。！？ (CJK), ؟ (Arabic), । (Devanagari)
_POINT = r"(?<=\d)\.(?=\d)"  # 7.5: a decimal point, no stop
CLOSERS = "\"'" + "".join(
    chr(code) for code in range(0x10000) if unicodedata.category(chr(code)) in ("Pe", "Pf", "Pi")
)
"""Marks that close what a stop ends: quotes and brackets ('"', "”", "»", ")", "」"); right
after the stop they end its sentence, not open the next one."""
_CLOSE = "[" + re.escape(CLOSERS) + "]*"
SENTENCE = re.compile(
    rf"(?:[^{STOPS}\s]|{_POINT})(?:[^{STOPS}\n]|{_POINT}|\n(?![ \t\r]*\n))*"
    rf"(?:[{STOPS}]+{_CLOSE}|(?=\n[ \t\r]*\n)|$)"
)
"""A sentence: from its first visible character up to and including its end marks, or up to a
blank line: a headline or paragraph without a final stop is a sentence of its own, not the start
of the next paragraph's first one. The marks include other scripts' full stops and question
marks: without them a Chinese text was one sentence, and shuffle_words swapped its clauses. A
point between digits ends none: "It rose 7.5 percent." was two sentences, and negate wrote "7.It
is not true that 5 percent". A quote or bracket right after the stops (:data:`CLOSERS`) closes
the sentence: '"We won." Anna smiled.' opened its second sentence with the quote, and negate
wrote '"We won.It is not true that " Anna smiled.'."""


def generator(text: str, seed: int, edit: str) -> random.Random:
    """A generator fixed by the text, the seed and the edit's name, stable across processes."""
    return random.Random(f"{edit}|{seed}|{zlib.crc32(text.encode('utf-8'))}")


def first_sites(candidates: Iterable[T], count: int, rng: random.Random) -> list[T]:
    """The first ``count`` candidates of one seeded shuffle: severity n+1 extends severity n."""
    order = list(candidates)
    rng.shuffle(order)
    return order[: max(count, 0)]


def disjoint_sites(
    candidates: Iterable[tuple[int, int]], count: int, rng: random.Random
) -> list[tuple[int, int]]:
    """Like :func:`first_sites` for (start, end) spans, skipping spans that touch chosen ones."""
    order = list(candidates)
    rng.shuffle(order)
    chosen: list[tuple[int, int]] = []
    for start, end in order:
        if len(chosen) == count:
            break
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
    return chosen


def splice(
    text: str, spans: Sequence[tuple[int, int]], change: Callable[[str, int, int], str]
) -> str:
    """Apply ``change(text, start, end) -> text`` at each span, rightmost first.

    Working right to left keeps every span's offsets valid: each change only moves text to the
    right of the spans still waiting.
    """
    for start, end in sorted(spans, reverse=True):
        text = change(text, start, end)
    return text


def replace(replacement: Callable[[str], str]) -> Callable[[str, int, int], str]:
    """A splice change that replaces the span's text by ``replacement(span_text)``."""
    return lambda text, start, end: text[:start] + replacement(text[start:end]) + text[end:]


def remove_word(text: str, start: int, end: int) -> str:
    """Delete a word and one side's whitespace, so no double space or space before a stop is left.

    The following whitespace goes when there is some; otherwise (the word ends the text or stands
    before punctuation) the preceding whitespace does, or, where there is none (the word starts
    the text or a line: "The — budget"), the following (" — budget" was left).
    """
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    before = start
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if after > end and (
        before == start or after == len(text) or text[after].isalnum() or text[after] in "\"'("
    ):
        return text[:start] + text[after:]
    return text[:before] + text[end:]


def words(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word."""
    return [m.span() for m in WORD.finditer(text)]


def match_case(original: str, new: str) -> str:
    """``new`` written in the case pattern of ``original`` (UPPER, Capitalized or as is)."""
    if len(original) > 1 and original.isupper():
        return new.upper()
    if original[:1].isupper():
        return new[:1].upper() + new[1:]
    return new
