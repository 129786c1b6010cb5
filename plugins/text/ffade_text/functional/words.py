"""Word edits: delete, repeat, shuffle, drop stop words, misspell; ``count`` words per text.

Each function takes ``(text, count, seed)`` (plus an optional word list) and returns the edited
text; ``count`` 0 returns it unchanged, and a text with fewer sites gets an edit at every site.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from itertools import accumulate

from ffade_text.functional._spans import (
    SENTENCE,
    first_sites,
    generator,
    match_case,
    remove_word,
    replace,
    splice,
    words,
)
from ffade_text.functional.lexicon import MISSPELLINGS, NEGATIONS, SPELLING_RULES, STOP_WORDS

SWAP_REACH = 64
"""How many words apart two swapped words may be, at most."""


def is_negation(word: str) -> bool:
    """Whether deleting ``word`` would turn its sentence around: "not", "never", "didn't"."""
    lower = word.lower()
    return lower in NEGATIONS or lower.endswith(("n't", "n’t"))


def delete_word(text: str, count: int, seed: int = 0) -> str:
    """Delete ``count`` words with the space beside each: "the city council" -> "the council".

    Negations are never deleted (:func:`is_negation`): the edit keeps what the text says.
    """
    candidates = [(s, e) for s, e in words(text) if not is_negation(text[s:e])]
    sites = first_sites(candidates, count, generator(text, seed, "delete_word"))
    return splice(text, sites, remove_word)


def repeat_word(text: str, count: int, seed: int = 0) -> str:
    """Write ``count`` words twice: "the city council" -> "the city city council"."""
    sites = first_sites(words(text), count, generator(text, seed, "repeat_word"))
    return splice(text, sites, replace(lambda word: f"{word} {word}"))


def drop_stopwords(
    text: str, count: int, seed: int = 0, stop_words: Iterable[str] = STOP_WORDS
) -> str:
    """Delete ``count`` stop words ("the", "of", "was", ...): "the mayor of Riverton" ->
    "mayor of Riverton"."""
    stop = {w.lower() for w in stop_words}
    candidates = [(s, e) for s, e in words(text) if text[s:e].lower() in stop]
    sites = first_sites(candidates, count, generator(text, seed, "drop_stopwords"))
    return splice(text, sites, remove_word)


def misspelling(word: str, extra: Mapping[str, str] | None = None) -> str | None:
    """A plausible misspelling of ``word``, or None when neither the lists nor the rules apply.

    A known real-world misspelling is preferred; otherwise the first sound-alike rule that
    applies rewrites the word's first match (never its first letter, which readers anchor on).
    """
    lower = word.lower()
    known = {**MISSPELLINGS, **(extra or {})}
    if lower in known:
        return match_case(word, known[lower])
    for old, new in SPELLING_RULES:
        at = lower.find(old, 1)
        if at > 0:
            return match_case(word, lower[:at] + new + lower[at + len(old) :])
    return None


def misspell(text: str, count: int, seed: int = 0, extra: Mapping[str, str] | None = None) -> str:
    """Misspell ``count`` words that have a known or rule-made misspelling: "recieved"."""
    candidates = [(s, e) for s, e in words(text) if misspelling(text[s:e], extra) is not None]
    sites = first_sites(candidates, count, generator(text, seed, "misspell"))
    return splice(text, sites, replace(lambda word: misspelling(word, extra) or word))


def shuffle_words(text: str, count: int, seed: int = 0) -> str:
    """Swap ``count`` pairs of different words within a sentence; each word moves at most once.

    "The council approved the budget." -> "The budget approved the council." Words keep their
    places' punctuation, and swaps stay inside sentences so the text keeps its sentence count.
    Every pair of words of a sentence at most ``SWAP_REACH`` words apart is a candidate (every
    pair, in a sentence of up to 65 words): with every pair of a long sentence (a text without
    stops is one), 2,000 words took 9 s and 260 MB per call, quadratic.
    """
    spans = words(text)
    lower = [text[s:e].lower() for s, e in spans]
    sentences = []  # (first word, end) of each sentence's words
    k = 0  # one pass over the words: each sentence's words follow the previous sentence's
    for sentence in SENTENCE.finditer(text):
        while k < len(spans) and spans[k][0] < sentence.start():
            k += 1
        first = k
        while k < len(spans) and spans[k][1] <= sentence.end():
            k += 1
        sentences.append((first, k))
    rng = generator(text, seed, "shuffle_words")
    reach = [min(end - 1 - i, SWAP_REACH) for first, end in sentences for i in range(first, end)]
    owners = [i for first, end in sentences for i in range(first, end)]
    drawn = sum(reach) > SHUFFLE_ALL  # else at most SHUFFLE_ALL pairs: counting costs more
    if not drawn:
        pairs = [
            (i, j)
            for first, end in sentences
            for i in range(first, end)
            for j in range(i + 1, min(end, i + 1 + SWAP_REACH))
            if lower[i] != lower[j]
        ]
        order: Iterable[tuple[int, int]] = first_sites(pairs, len(pairs), rng)
    else:
        reach = _differing_reach(lower, sentences, reach)
        order = _drawn_pairs(owners, reach, rng)
    left: _Swappable | None = None  # counted once refused draws outnumber the words
    refused, taken = 0, []
    used: set[int] = set()
    placed: dict[tuple[int, int], str] = {}
    for i, j in order:
        if len(placed) == 2 * count or (left is not None and not left.pairs):
            break
        if i not in used and j not in used and lower[i] != lower[j]:
            if left is not None:
                left.take(i, j, used)
            taken.append((i, j))
            used.update((i, j))
            placed[spans[i]] = text[slice(*spans[j])]
            placed[spans[j]] = text[slice(*spans[i])]
        elif left is None and drawn:
            refused += 1
            if refused > len(lower):
                left = _Swappable(lower, owners, reach, taken)
    pieces, last = [], 0  # one join: splicing word by word copied the whole text per word
    for start, end in sorted(placed):
        pieces += (text[last:start], placed[(start, end)])
        last = end
    return "".join(pieces) + text[last:]


SHUFFLE_ALL = 50_000
"""Up to this many candidate pairs, shuffle_words lists and shuffles them all (a 700-word
article with 25-word sentences has about 9,000); above, it draws pairs one at a time."""


def _differing_reach(
    lower: list[str], sentences: list[tuple[int, int]], reach: list[int]
) -> list[int]:
    """``reach``, with 0 for each word the next ``reach`` words of whose sentence all equal it:
    it has no pair to swap, and drawing its pairs only to refuse them ("the the the ...", 25,000
    words) took 16 s."""
    kept, n = [], 0
    for first, end in sentences:
        other = end  # the first word after i (in its sentence) that differs from it
        for i in range(end - 1, first - 1, -1):
            if i + 1 < end and lower[i + 1] != lower[i]:
                other = i + 1
            kept.append(reach[n + i - first] if other - i <= reach[n + i - first] else 0)
        kept[n:] = kept[n:][::-1]
        n += end - first
    return kept


class _Swappable:
    """How many candidate pairs ``(i, i + 1 + d)``, ``d < reach`` of word ``i``, are still
    swappable: different words, neither already moved. Drawn or not, a pair counted here has not
    been drawn (a drawn swappable pair is taken), so at 0 no later pair can be taken and the
    edit stops with the same text: a text nearly all one word ("the" 24,000 times, "cat" 120)
    with more edits than it has swaps drew all of its 1.5 million pairs, 3 s and 100 MB a call.
    """

    def __init__(
        self, lower: list[str], owners: list[int], reach: list[int], taken: list[tuple[int, int]]
    ) -> None:
        self.lower = lower
        self.reach = dict(zip(owners, reach, strict=True))
        places: dict[str, list[int]] = {}
        for i in owners:
            places.setdefault(lower[i], []).append(i)
        self.pairs = 0  # a word's pairs less those with an equal word: found by bisection
        for i, r in self.reach.items():
            same = places[lower[i]]
            self.pairs += r - (bisect_right(same, i + r) - bisect_right(same, i))
        used: set[int] = set()
        for i, j in taken:  # the swaps made before counting
            self.take(i, j, used)
            used.update((i, j))

    def take(self, i: int, j: int, used: set[int]) -> None:
        """Count off the swap ``(i, j)`` and every other swappable pair of ``i`` or ``j``."""
        self.pairs -= 1
        for word in (i, j):
            other = {i, j} - {word}
            after = range(word + 1, word + 1 + self.reach[word])
            before = (k for k in range(word - SWAP_REACH, word) if k + self.reach.get(k, 0) >= word)
            for k in (*after, *before):
                if k not in used and k not in other and self.lower[k] != self.lower[word]:
                    self.pairs -= 1


def _drawn_pairs(
    owners: list[int], reach: list[int], rng: random.Random
) -> Iterator[tuple[int, int]]:
    """Candidate pairs ``(i, i + 1 + d)``, ``d < reach`` of word ``owners[n]``, in seeded random
    order, drawn one at a time (a Fisher-Yates shuffle that stores only the places it moved).

    Listing and shuffling every pair made shuffle_words's time and memory 64 times the number
    of words (SWAP_REACH): 25,000 words without a stop, 1.6 million pairs, took 6 s per call.
    A draw costs a logarithm; the edit needs a few draws per swap.
    """
    ends = list(accumulate(reach))  # pairs of the words up to and including each one
    total = ends[-1] if ends else 0
    moved: dict[int, int] = {}
    for place in range(total):
        drawn = rng.randrange(place, total)
        pair = moved.get(drawn, drawn)
        moved[drawn] = moved.pop(place, place)
        n = bisect_right(ends, pair)
        yield owners[n], owners[n] + 1 + pair - (ends[n] - reach[n])
