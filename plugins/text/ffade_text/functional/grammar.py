"""Negation: flip sentences' polarity (the number and tense edits are in ``inflection``).

Without a parser, auxiliaries and verbs are recognized from word lists (see ``lexicon``), which
callers may extend. ``negate(text, count, seed, verbs)`` returns the edited text; ``count`` 0
returns it unchanged, and a text with fewer sentences gets an edit in every one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from ffade_text.functional._clauses import (
    MAIN_VERB,
    NEGATIVE_AUXILIARIES,
    PLURAL_PRONOUNS,
    after_question_subject,
    contracts_in_wh_question,
    is_main_verb,
    opens_command,
    opens_question,
)
from ffade_text.functional._spans import (
    SENTENCE,
    WORD,
    first_sites,
    generator,
    match_case,
    replace,
    splice,
    words,
)
from ffade_text.functional.inflection import plural_engine
from ffade_text.functional.lexicon import (
    AUXILIARIES,
    NEGATIONS,
    NOUNS,
    OPENERS,
    STOP_WORDS,
    VERBS,
)

_CONTRACTED = re.compile(r"\b(\w+)n['’]t\b", re.IGNORECASE)
# "cannot" -> "can"; "not " goes; a "not" before a mark or the end ("I do not.") goes with the
# space before it (missed, it got a second "not": "I do not not.")
_NOT = re.compile(r"(?<=\bcan)not\b|\bnot\s+|\s*\bnot\b(?!\s)", re.IGNORECASE)
_AM_OF_A_CLOCK = r"(?<!\d )(?<!\d)am"
_BE_CONTRACTED = (
    r"i['’]m|(?:he|she|it|that|there|here|what|who)['’]s|(?:you|we|they|what|who)['’]re"
)
"""A pronoun and "am", "is" or "are" in one word ("I'm", "he's", "we're"); "'s" after another
word is a possessive ("Paris's") and "'s" here may be "has" ("he's gone"): "not" fits after
either."""
_AUXILIARY = re.compile(
    r"\b("
    + "|".join([_BE_CONTRACTED, *(_AM_OF_A_CLOCK if a == "am" else a for a in AUXILIARIES)])
    + r")\b",
    re.IGNORECASE,
)
"""The first auxiliary; "am" after a number is the time of day ("at 9 am"), not "I am"."""
_IRREGULAR_CONTRACTIONS = {"wo": "will", "ca": "can", "sha": "shall", "need": "need to"}
_ENGLISH_NEGATIONS = NEGATIONS - {"no"}
"""Negations no other language the prefix rule is for spells so ("no" is Spanish and Italian
too): a sentence with one is English, negated whole on purpose."""
_HELPER_AND_VERB = {pair: verb for verb, pair in MAIN_VERB.items()}
"""Removing a negation joins them back: "I do not do it now." -> "I do it now.", "Don't have a
seat." -> "Have a seat." ("I do do it now." and "Do have a seat." were written)."""
_APOSTROPHE = re.compile("['’]")
_COMMON_NOUNS = frozenset(noun.lower() for noun in NOUNS)


def negate_sentence(
    sentence: str, verbs: Iterable[tuple[str, str, str]] = VERBS, context: str | None = None
) -> str:
    """Flip one sentence's polarity, by the first rule that applies.

    1. A negation is removed: "did not approve" -> "did approve", "isn't" -> "is", "can't" ->
       "can", "cannot" -> "can", "won't" -> "will", "needn't" -> "need to", "I do not." -> "I
       do."; "ain't" agrees with its subject: "I am", "it is", "they are"; a "do" left before
       a "do" or "have" joins it: "Don't do it." -> "Do it.", "He does not have a car." -> "He
       has a car.". A sentence with another negation ("never", "no", "nobody", ...) goes to
       rule 4: a "not" beside it said it twice ("They never approved it." -> "They never did
       not approve it.").
    2. "not" follows the first auxiliary: "was approved" -> "was not approved", "I'm here" ->
       "I'm not here", "he's late" -> "he's not late" (a pronoun's "'m", "'s", "'re"); in a question
       that opens with it, the pronoun after it: "Is it late?" -> "Is it not late?" (after a
       question word, a subject pronoun: "Why do you know?" -> "Why do you not know?", "Why is
       it late?" -> "Why is it not late?"); with another subject the auxiliary takes "n't": "Is
       the mayor late?" -> "Isn't the mayor late?", "Why is the mayor late?" -> "Why isn't the
       mayor late?" (rule 1 turns it back; ``_clauses`` says what a question word allows).
       A command that opens with "do" or "have" as its verb takes "do not" before it: "Do it
       now." -> "Do not do it now.", "Have a seat." -> "Do not have a seat." So does a "do" or
       "have" that is a statement's verb, before an object: "I do it now." -> "I do not do it
       now.", "She has a car." -> "She does not have a car.", "They had a plan." -> "They did
       not have a plan.", "We had fun." -> "We did not have fun.", "He has to go." -> "He does
       not have to go.", "Who did it?" -> "Who did not do it?"; before another verb it stays an
       auxiliary ("I do like it.", "He has left."). A question keeps its form with a full stop
       too: "Do you know." -> "Do you not know." "had better" takes "not" after it: "You had
       better go." -> "You had better not go." A tag question turns around whole: "It is late,
       isn't it?" -> "It is not late, is it?".
    3. A listed verb gets "did not"/"does not": "approved" -> "did not approve"; "used to" gets
       "did not use to".
    4. Otherwise: "It is not true that ..." before the sentence.

    The rules are English: a sentence in another language gets rule 4, English words before it.
    Rule 4 lowers the sentence's first letter only where the word is evidently no name (see
    :func:`_lower_first`); ``context``, the whole text the sentence is from (default: the
    sentence), is where that shows: "Rain fell." -> "It is not true that rain fell." in a text
    that also writes "the rain"; "Anna smiled." keeps "Anna".
    """
    negated = _negate_in_place(sentence, verbs)
    if negated is not None:
        return negated
    text = sentence if context is None else context
    return "It is not true that " + _lower_first(
        sentence, capitalized_inside(text), lower_case(text)
    )


def _negate_in_place(sentence: str, verbs: Iterable[tuple[str, str, str]]) -> str | None:
    """The sentence negated by rule 1, 2 or 3 of :func:`negate_sentence`; None if none applies."""
    verbs = tuple(verbs)
    tagged = _flip_tag_question(sentence, verbs)
    if tagged is not None:
        return tagged
    contracted = _CONTRACTED.search(sentence)
    if contracted:
        stem = contracted.group(1)
        if stem.lower() == "ai":
            positive = match_case(stem, _aint(sentence, contracted.start(), contracted.end()))
        else:
            positive = match_case(stem, _IRREGULAR_CONTRACTIONS.get(stem.lower(), stem))
        positive_end = contracted.start() + len(positive)
        return _join_helper_and_verb(
            sentence[: contracted.start()] + positive + sentence[contracted.end() :],
            contracted.start(),
            positive_end,
        )
    negation = _NOT.search(sentence)
    if negation:
        positive = sentence[: negation.start()] + sentence[negation.end() :]
        before = words(positive[: negation.start()])
        if before and not positive[before[-1][1] : negation.start()].strip():
            return _join_helper_and_verb(positive, *before[-1])
        return positive
    if any(sentence[s:e].lower() in NEGATIONS for s, e in words(sentence)):
        return None  # "never", "nobody": one more "not" is a double negative, not the opposite
    auxiliary = _AUXILIARY.search(sentence)
    if auxiliary:
        start, end = auxiliary.span()
        if _APOSTROPHE.search(auxiliary.group()):  # "I'm" holds its subject: "I'm not late?"
            return sentence[:end] + " not" + sentence[end:]
        if opens_command(sentence, start, end):  # "Do it now." read "Do not it now."
            verb = auxiliary.group()
            return sentence[:start] + match_case(verb, f"do not {verb.lower()}") + sentence[end:]
        pasts = {past for _, _, past in verbs}
        if is_main_verb(sentence, start, end, pasts):  # "I do it now." read "I do not it now."
            helper, verb = MAIN_VERB[auxiliary.group().lower()]
            negative = match_case(auxiliary.group(), f"{helper} not {verb}")
            return sentence[:start] + negative + sentence[end:]
        better = re.match(r"\s+(?:better|best)\b", sentence[end:], re.IGNORECASE)
        if auxiliary.group().lower() == "had" and better:  # "You had better not go."
            at = end + better.end()
            return sentence[:at] + " not" + sentence[at:]
        at = after_question_subject(sentence, start, end)
        contracted = NEGATIVE_AUXILIARIES.get(auxiliary.group().lower())
        if at == end and contracted and opens_question(sentence, start, end):
            # "Is the mayor late?" -> "Isn't the mayor late?"; "Is not the mayor late?" was stiff
            return sentence[:start] + match_case(auxiliary.group(), contracted) + sentence[end:]
        if at == end and contracted and contracts_in_wh_question(sentence, start, end):
            # "Why is the mayor late?" -> "Why isn't the mayor late?"
            return sentence[:start] + match_case(auxiliary.group(), contracted) + sentence[end:]
        return sentence[:at] + " not" + sentence[at:]
    forms = {}
    for base, present, past in verbs:
        forms[past] = ("did", base)
        forms[present] = ("does", base)
    spans = words(sentence)
    for at, (start, end) in enumerate(spans):
        word = sentence[start:end]
        if word.lower() == "used" and "used" not in forms:  # "used" alone: "used cars"
            if [sentence[s:e].lower() for s, e in spans[at + 1 : at + 2]] == ["to"]:
                return sentence[:start] + match_case(word, "did not use") + sentence[end:]
        elif word.lower() in forms:
            helper, base = forms[word.lower()]
            return sentence[:start] + match_case(word, f"{helper} not {base}") + sentence[end:]
    return None


_TAG = re.compile(
    r",\s*(?P<tag>[^\W\d_]+(?:n['’]t)?)\s+(?P<pronoun>i|you|he|she|it|we|they|there)\s*[?\uff1f][^\w]*$",
    re.IGNORECASE,
)
_TAG_FLIPPED = (
    NEGATIVE_AUXILIARIES
    | {"won't": "will", "can't": "can", "shan't": "shall"}
    | {negative: positive for positive, negative in NEGATIVE_AUXILIARIES.items()}
)
"""A tag's auxiliary and its opposite; after "I", "am" and "aren't" ("aren't I?")."""
_TAG_OF_I = {"am": "aren't", "aren't": "am"}


def _flip_tag_question(sentence: str, verbs: tuple[tuple[str, str, str], ...]) -> str | None:
    """A tag question turned around, its clause and its tag both: "It is late, isn't it?" ->
    "It is not late, is it?", "It isn't late, is it?" -> "It is late, isn't it?" (the tag
    read "It is late, is it?"). Only a tag of the clause's opposite polarity after a comma,
    ("I'm late, aren't I?" -> "I'm not late, am I?"); a tag of the clause's own polarity ("You're
    leaving, are you?") is negated as before. None for any other sentence, or a clause no rule
    turns around ("They never come, do they?" gets rule 4)."""
    tag = _TAG.search(sentence)
    if tag is None:
        return None
    word = tag.group("tag").lower().replace("’", "'")
    table = _TAG_OF_I if tag.group("pronoun").lower() == "i" else _TAG_FLIPPED
    flipped = table.get(word)
    clause = sentence[: tag.start()]
    negative = bool(_CONTRACTED.search(clause) or _NOT.search(clause))
    if flipped is None or negative == bool(_CONTRACTED.search(word)):
        return None  # a tag of the clause's own polarity, or no auxiliary
    turned = _negate_in_place(clause, verbs)
    if turned is None:
        return None
    start, end = tag.span("tag")
    return (
        turned
        + sentence[tag.start() : start]
        + match_case(tag.group("tag"), flipped)
        + sentence[end:]
    )


def _join_helper_and_verb(sentence: str, start: int, end: int) -> str:
    """``sentence`` with the "do", "does" or "did" at ``start:end``, its negation just removed,
    joined to a "do" or "have" right after it: "Do do it." -> "Do it.", "He does have a car."
    -> "He has a car." (see ``_HELPER_AND_VERB``), and a "did" to "use to": "He did use to" ->
    "He used to"; any other sentence as it is."""
    following = WORD.search(sentence, end)
    if following is None or sentence[end : following.start()].strip():
        return sentence
    pair = (sentence[start:end].lower(), following.group().lower())
    verb = _HELPER_AND_VERB.get(pair)
    if pair == ("did", "use") and re.match(r"\s+to\b", sentence[following.end() :], re.I):
        verb = "used"  # "He did not use to work there." -> "He used to work there."
    if verb is None:
        return sentence
    return sentence[:start] + match_case(sentence[start:end], verb) + sentence[following.end() :]


def negatable_in_place(text: str, verbs: Iterable[tuple[str, str, str]] = VERBS) -> bool:
    """Whether a sentence of ``text`` holds an English negation, auxiliary or listed verb, so
    that :func:`negate` reads it as English; without one every edit is rule 4's prefix. A
    sentence with "never" or "nobody" gets the prefix too, but as English, on purpose: "Nobody
    was there." was counted with French text, a note saying it had no auxiliary."""
    verbs = tuple(verbs)
    return any(
        _negate_in_place(m.group(), verbs) is not None
        or any(m.group()[s:e].lower() in _ENGLISH_NEGATIONS for s, e in words(m.group()))
        for m in SENTENCE.finditer(text)
        if WORD.search(m.group())
    )


def _aint(sentence: str, start: int, end: int) -> str:
    """What "ain't" at ``start:end`` says without "not", agreeing with its subject: the word
    before it, or after it in a question ("Ain't it fun?"). "I ain't" -> "I am", "they ain't"
    -> "they are", "it ain't" -> "it is", "he ain't got" -> "he has got" (cutting "n't" wrote
    "ai")."""
    before = [sentence[s:e].lower() for s, e in words(sentence[:start])]
    after = [sentence[end:][s:e].lower() for s, e in words(sentence[end:])]
    subject = before[-1] if before else (after.pop(0) if after else "")
    plural = subject in PLURAL_PRONOUNS or (
        subject not in STOP_WORDS
        and subject.endswith("s")
        and bool(plural_engine().singular_noun(subject))
    )
    if after[:1] == ["got"]:
        return "have" if plural or subject == "i" else "has"
    return "am" if subject == "i" else "are" if plural else "is"


def _lower_first(sentence: str, names: Collection[str], lowered: Collection[str]) -> str:
    """The sentence with its first letter lowered where its first word is evidently no name: a
    stop word, a negation ("Nobody") or another common opener (``lexicon.OPENERS``: "However",
    "Heavy"), a listed noun ("Fire", "Storms"; ``lexicon.NOUNS``), or a word of ``lowered``, those
    the text also writes in lower case ("Rain fell. The rain stopped."). Any other first word keeps
    its capital: without a dictionary "Anna smiled at Bob." and "Paris burned." may open with
    a name ("anna" and "paris" were written).

    A stop word is lowered even before a name ("the Lopez family"); another word keeps its
    capital where it shows as a name all the same: "I", "I'm", an acronym ("NASA": "nASA" was
    written), a word of ``names``, those the text writes with their capital where they open no
    sentence, a capital inside the word ("McDonald", "O'Brien"), and a word the next word of the
    sentence follows with a capital ("New York grew.", "Frank Muller own the race."); "I" next is
    no sign ("Yesterday I left.")."""
    first = WORD.match(sentence)
    if not first:
        return sentence
    word = first.group()
    bare = _APOSTROPHE.split(word)[0]
    if word == "I" or bare == "I" or (len(word) > 1 and word.isupper()):
        return sentence
    if bare.lower() in STOP_WORDS:
        return sentence[:1].lower() + sentence[1:]
    if bare in names or word[1:] != word[1:].lower():
        return sentence
    following = WORD.search(sentence, first.end())
    if (
        following
        and not sentence[first.end() : following.start()].strip()  # no mark between: one name
        and following.group()[:1].isupper()
        and _APOSTROPHE.split(following.group())[0] != "I"
    ):
        return sentence
    common = bare.lower() in OPENERS | NEGATIONS or bare.lower().removesuffix("s") in _COMMON_NOUNS
    if common or bare.lower() in lowered:
        return sentence[:1].lower() + sentence[1:]
    return sentence


def capitalized_inside(text: str) -> set[str]:
    """The words ``text`` writes with a capital where they open no sentence: its names, as far
    as the text shows ("London" in "Fire reached London."; "London's" counts as "London")."""
    openers = {
        m.start() + w.start() for m in SENTENCE.finditer(text) if (w := WORD.search(m.group()))
    }
    return {
        _APOSTROPHE.split(m.group())[0]
        for m in WORD.finditer(text)
        if m.group()[:1].isupper() and m.start() not in openers
    }


def lower_case(text: str) -> set[str]:
    """The words ``text`` writes in lower case ("rain" in "The rain stopped."), apostrophe
    endings cut ("rain's" counts as "rain"): a capitalized first word among them is no name."""
    return {_APOSTROPHE.split(m.group())[0] for m in WORD.finditer(text) if m.group()[:1].islower()}


def negate(
    text: str, count: int, seed: int = 0, verbs: Iterable[tuple[str, str, str]] = VERBS
) -> str:
    """Negate ``count`` sentences that hold a word (see :func:`negate_sentence`); marks alone
    ("!!!", "--") are no sentence to negate ("It is not true that --" was written)."""
    verbs = tuple(verbs)
    sentences = [m.span() for m in SENTENCE.finditer(text) if WORD.search(m.group())]
    sites = first_sites(sentences, count, generator(text, seed, "negate"))
    if not sites:
        return text
    names = capitalized_inside(text)  # once per text: a long one has many sentences to negate
    lowered = lower_case(text)

    def negated(sentence: str) -> str:
        in_place = _negate_in_place(sentence, verbs)
        if in_place is not None:
            return in_place
        return "It is not true that " + _lower_first(sentence, names, lowered)

    return splice(text, sites, replace(negated))
