"""Grammar edits of number and tense: flip nouns between singular and plural, move verbs
between past and present.

Nouns and verbs are recognized from word lists (see ``lexicon``), which callers may extend. Each
function takes ``(text, count, seed, ...)`` and returns the edited text; ``count`` 0 returns it
unchanged, and a text with fewer sites gets an edit at every site.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from ffade_text.functional._spans import first_sites, generator, match_case, replace, splice, words
from ffade_text.functional.lexicon import NOUNS, VERBS

if TYPE_CHECKING:
    import inflect

_PERFECT_OR_PASSIVE = {"has", "have", "had", "was", "were", "been", "be", "is", "are", "being"}


@cache
def plural_engine() -> inflect.engine:
    """The plural engine, imported on first use: importing ``inflect`` costs ~5 s of CPU
    (its type-checking decorators), which listing plugins and collecting tests paid for nothing."""
    import inflect

    return inflect.engine()


def number_forms(nouns: Iterable[str] = NOUNS) -> dict[str, str]:
    """singular -> plural and plural -> singular for each noun, plurals from ``inflect``."""
    engine = plural_engine()
    forms: dict[str, str] = {}
    for noun in nouns:
        if noun.lower() in forms:  # a known form: "cities", given again, would get "citiess"
            continue
        plural = engine.plural_noun(noun.lower())
        if plural and plural != noun.lower():
            forms[noun.lower()] = plural
            forms.setdefault(plural, noun.lower())
    return forms


@cache
def _default_number_forms() -> dict[str, str]:
    return number_forms()


def singular_plural(
    text: str, count: int, seed: int = 0, forms: dict[str, str] | None = None
) -> str:
    """Flip ``count`` listed nouns between singular and plural: "city" <-> "cities".

    ``forms`` maps each form to the other (see :func:`number_forms`); default: the built-in nouns.
    """
    forms = _default_number_forms() if forms is None else forms
    candidates = [(s, e) for s, e in words(text) if text[s:e].lower() in forms]
    sites = first_sites(candidates, count, generator(text, seed, "singular_plural"))
    return splice(text, sites, replace(lambda word: match_case(word, forms[word.lower()])))


def tense_forms(verbs: Iterable[tuple[str, str, str]] = VERBS) -> dict[str, str]:
    """past -> present (third person) and present -> past, for each listed verb.

    Base forms are left out: after "did not" or "to" they are not a tense, and many double as
    nouns ("vote", "plan").
    """
    forms: dict[str, str] = {}
    for _base, present, past in verbs:
        forms[past] = present
        forms[present] = past
    return forms


def verb_tense(
    text: str, count: int, seed: int = 0, verbs: Iterable[tuple[str, str, str]] = VERBS
) -> str:
    """Move ``count`` listed verbs between past and present: "approved" <-> "approves".

    A verb right after "has", "was", "been"... is skipped: it is a participle ("has approved"),
    and turning it into "has approves" is noise rather than a change of tense.
    """
    forms = tense_forms(verbs)
    spans = words(text)
    candidates = [
        (s, e)
        for k, (s, e) in enumerate(spans)
        if text[s:e].lower() in forms
        and (k == 0 or text[slice(*spans[k - 1])].lower() not in _PERFECT_OR_PASSIVE)
    ]
    sites = first_sites(candidates, count, generator(text, seed, "verb_tense"))
    return splice(text, sites, replace(lambda word: match_case(word, forms[word.lower()])))
