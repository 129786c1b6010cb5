"""Word edits: delete, repeat, shuffle, drop stop words, misspell; ``count`` words per text.

Each function takes ``(text, count, seed)`` (plus an optional word list) and returns the edited
text; ``count`` 0 returns it unchanged, and a text with fewer sites gets an edit at every site.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
    pair, in a sentence of up to 65 words), so the time is linear in the length of the text:
    with every pair of a long sentence (a text without stops is one), 2,000 words took 9 s and
    260 MB per call, quadratic.
    """
    spans = words(text)
    lower = [text[s:e].lower() for s, e in spans]
    pairs = []
    k = 0  # one pass over the words: each sentence's words follow the previous sentence's
    for sentence in SENTENCE.finditer(text):
        while k < len(spans) and spans[k][0] < sentence.start():
            k += 1
        first = k
        while k < len(spans) and spans[k][1] <= sentence.end():
            k += 1
        pairs += [
            (i, j)
            for i in range(first, k)
            for j in range(i + 1, min(k, i + 1 + SWAP_REACH))
            if lower[i] != lower[j]
        ]
    order = first_sites(pairs, len(pairs), generator(text, seed, "shuffle_words"))
    used: set[int] = set()
    placed: dict[tuple[int, int], str] = {}
    for i, j in order:
        if len(placed) == 2 * count:
            break
        if i not in used and j not in used:
            used.update((i, j))
            placed[spans[i]] = text[slice(*spans[j])]
            placed[spans[j]] = text[slice(*spans[i])]
    pieces, last = [], 0  # one join: splicing word by word copied the whole text per word
    for start, end in sorted(placed):
        pieces += (text[last:start], placed[(start, end)])
        last = end
    return "".join(pieces) + text[last:]
