"""How ``negate`` reads a clause without a parser: questions, commands, "do"/"have" as verbs.

Word lists stand in for a grammar (see ``lexicon``). Each reader answers one question about the
auxiliary ``negate`` found at ``start:end`` of a sentence: does the sentence open with it as a
question or a command, is it the sentence's verb, where does its subject end.

Handled: yes/no questions ("Is it late?"), questions after one question word ("Why is the mayor
late?", "What did it cost?", "Who did it?"), commands opening with "do"/"have", and "do"/"have"
as a statement's verb ("She has a car.", "We had fun.", "He has to go."). Not handled: a
question word with more words before the auxiliary ("How many people were hurt?"), "who" or
"what" as the subject of a "do" with an object that more words follow ("Who did the dishes?"),
a "has"/"had" before an "-ed" word that is no participle ("has skilled workers"), and embedded
questions ("She asked why it was late.", which is a statement).
"""

from __future__ import annotations

from collections.abc import Collection

from ffade_text.functional._spans import CLOSERS, STOPS, WORD, words
from ffade_text.functional.lexicon import DONE, OPENERS, PARTICIPLES, STOP_WORDS

PLURAL_PRONOUNS = {"you", "we", "they", "these", "those", "y'all", "y’all"}
PRONOUNS = {"i", "he", "she", "it", "there", "this", "that"} | PLURAL_PRONOUNS
SUBJECTS = {"i", "you", "he", "she", "we", "they"}
"""Pronouns that are only ever subjects: after "do" or "have" they make a question ("Do you
know"), where "Do it now" is a command."""
NEGATIVE_AUXILIARIES = {
    aux: f"{aux}n't" for aux in ("is", "are", "was", "were", "would", "could", "should", "must")
} | {
    "has": "hasn't", "have": "haven't", "had": "hadn't", "does": "doesn't", "do": "don't",
    "did": "didn't", "will": "won't", "can": "can't", "shall": "shan't", "might": "mightn't",
}  # fmt: skip
"""What an auxiliary opening a question becomes before a subject longer than a pronoun: "Isn't
the mayor late?", "Why isn't the mayor late?". "may" has none in use; it keeps "not" after it."""
MAIN_VERB = {
    "do": ("do", "do"), "does": ("does", "do"), "did": ("did", "do"),
    "have": ("do", "have"), "has": ("does", "have"), "had": ("did", "have"),
}  # fmt: skip
"""A "do" or "have" that is a sentence's verb, not its auxiliary ("I do it now.", "She has a
car."), and the helper and verb its negation takes: "I do not do it now.", "She does not have a
car." ("not" after it read "I do not it now.", "She has not a car.")."""
_HAD_ADVERBS = {"so", "as", "well", "better", "again", "now", "more", "less"}
"""Words of ``lexicon.DONE`` that after "has" or "had" start no object: "He has now left.",
"You had better go." keep "has"/"had" an auxiliary."""
WH_WORDS = {"why", "what", "when", "where", "who", "whom", "whose", "which", "how"}
_NO_SUBJECT = {"why", "when", "where", "how"}
"""Question words that are never a question's subject: the words after their auxiliary are
("Why is it late?"), where "Who did it?" and "What has changed?" may open with theirs."""
_ADVERBS = OPENERS | {"already", "always", "just", "long", "once", "twice", "all", "both", "best"}
"""Words between "has"/"had" and a participle: "He has already left.", "They have all left.",
"We had best leave." (with ``lexicon.OPENERS``: "also", "still", "since", "nearly"; and any word
in "-ly": "has recently moved")."""


def ends_question(sentence: str) -> bool:
    """Whether ``sentence`` ends with a question mark ("?", the CJK "？", the Arabic "؟")."""
    return sentence.rstrip().rstrip(CLOSERS).endswith(("?", "\uff1f", "\u061f"))


def opens_question(sentence: str, start: int, end: int) -> bool:
    """Whether ``sentence`` is a question opened by the auxiliary at ``start:end``. Marks before
    that word (an opening quote or bracket, a Spanish "¿") open no other clause: a quoted
    question ('"Is it late?" she asked.') read "Is not it late?". A sentence with no end mark
    that opens with an auxiliary is a question too, as typed into a search box or a chat ("Is
    it late" read "Is not it late"), but for "do" and "have" before anything but a subject
    pronoun, which open commands ("Do it now", "Have a seat"). One with a full stop is a
    question where a pronoun follows its auxiliary ("Do you know.", "Is it late."): "Do not you
    know." was written."""
    if WORD.search(sentence[:start]) is not None:
        return False
    if ends_question(sentence):
        return True
    ending = sentence.rstrip().rstrip(CLOSERS)
    following = WORD.search(sentence, end)
    after = "" if following is None else following.group().lower()
    command = sentence[start:end].lower() in ("do", "have")
    if ending.endswith(tuple(STOPS)):  # "Do you know." with a full stop is still a question
        return after in SUBJECTS or (not command and after in PRONOUNS)
    return not command or after in SUBJECTS


def wh_question(sentence: str, start: int) -> str | None:
    """The question word of a question whose auxiliary at ``start`` follows it alone: "why" for
    "Why is the mayor late?" (or without its mark, "Where is she"); else None."""
    before = [sentence[s:e].lower() for s, e in words(sentence[:start])]
    if len(before) != 1 or before[0] not in WH_WORDS:
        return None
    if not ends_question(sentence) and sentence.rstrip().rstrip(CLOSERS).endswith(tuple(STOPS)):
        return None
    return before[0]


def after_question_subject(sentence: str, start: int, end: int) -> int:
    """Where "not" goes for the auxiliary at ``start:end``: after it, or in a question that
    opens with it and a pronoun, after the pronoun ("Is it late?" -> "Is it not late?"; after
    the auxiliary it read "Is not it late?"). A longer subject keeps "not" after the auxiliary:
    without a parser, where it ends is unknown. After a question word, a pronoun that is only
    a subject takes it too ("Why do you know?" -> "Why do you not know?"; was "Why do not you
    know?"); so does any pronoun after "why", "when", "where" or "how", which are never the
    subject ("Why is it late?" -> "Why is it not late?"), and after a "do" that more words
    follow ("What did it cost?" -> "What did it not cost?"); "it" may be an object after "who"
    or "what" ("Who is it for?")."""
    following = words(sentence[end:])
    if not following:
        return end
    pronoun = sentence[end:][following[0][0] : following[0][1]].lower()
    if opens_question(sentence, start, end) and pronoun in PRONOUNS:
        return end + following[0][1]
    wh = wh_question(sentence, start)
    if wh is None or pronoun not in PRONOUNS:
        return end
    do = sentence[start:end].lower() in ("do", "does", "did") and len(following) > 1
    if pronoun in SUBJECTS or wh in _NO_SUBJECT or do:
        return end + following[0][1]
    return end


def contracts_in_wh_question(sentence: str, start: int, end: int) -> bool:
    """Whether the auxiliary at ``start:end`` takes "n't" after a question word, as it does
    opening a yes/no question before a subject longer than a pronoun: after "why", "when",
    "where" or "how", or a "do" after any question word ("Why is the mayor late?" -> "Why isn't
    the mayor late?", "What did the council approve?" -> "What didn't the council approve?";
    "Why is not the mayor late?" was stiff). After "who" or "what" another auxiliary may be
    the subject's own ("Who is the mayor?" -> "Who is not the mayor?")."""
    wh = wh_question(sentence, start)
    if wh is None or sentence[start:end].lower() not in NEGATIVE_AUXILIARIES:
        return False
    if WORD.search(sentence, end) is None:  # "Who did?" -> "Who did not?": no subject follows
        return False
    return wh in _NO_SUBJECT or sentence[start:end].lower() in ("do", "does", "did")


def opens_command(sentence: str, start: int, end: int) -> bool:
    """Whether the "do" or "have" at ``start:end`` is the verb of a command that opens with it
    (after a "please" at most): "Do it now.", "Have a seat." take "do not" before them, as a
    listed verb takes "does not" ("Do not do it now.", "Do not have a seat."), where "not" after
    them read "Do not it now.". Not a question ("Do you know"), nor a "do" that stresses the verb
    after it ("Do come in." -> "Do not come in."; see ``lexicon.DONE``), nor "Have been ..."."""
    verb = sentence[start:end].lower()
    before = [sentence[s:e].lower() for s, e in words(sentence[:start])]
    if verb not in ("do", "have") or before not in ([], ["please"]):
        return False
    if opens_question(sentence, start, end):
        return False
    following = WORD.search(sentence, end)
    if following is None:  # "Do." answers "May I?": it stays "Do not."
        return False
    after = following.group().lower()
    return after in DONE if verb == "do" else after != "been"


def is_main_verb(sentence: str, start: int, end: int, pasts: Collection[str] = ()) -> bool:
    """Whether the "do", "does", "did", "have", "has" or "had" at ``start:end`` is the verb of a
    statement after its subject: a word of ``lexicon.DONE`` follows it ("I do it now.", "They
    had a meeting."), not a verb ("I do like it.", "He has left."). A "have" is the verb too
    before an object that no determiner opens (:func:`_starts_object`: "We had fun.", "She has
    blue eyes.", "He has to go."). A question keeps the auxiliary ("Why did the council approve
    it?" read "Why did not do the council ..."), and so does a "has"/"had" before an adverb ("He
    has now left.", "You had better go."); but after "who", "what" or "which" alone the verb
    ends the question with an object (:func:`_verb_of_wh_subject`: "Who did it?")."""
    verb = sentence[start:end].lower()
    before = [sentence[s:e].lower() for s, e in words(sentence[:start])]
    if verb not in MAIN_VERB or not before:
        return False
    following = WORD.search(sentence, end)
    if following is None or sentence[end : following.start()].strip():
        return False
    after = following.group().lower()
    if before[-1] in WH_WORDS:
        return _verb_of_wh_subject(sentence, start, end, after, pasts)
    if ends_question(sentence):
        return False
    if after in DONE:
        return verb in ("do", "does", "did") or after not in _HAD_ADVERBS
    return verb in ("have", "has", "had") and _starts_object(after, pasts)


def _verb_of_wh_subject(
    sentence: str, start: int, end: int, after: str, pasts: Collection[str]
) -> bool:
    """Whether the "do" or "have" at ``start:end``, after a lone "who", "what" or "which" that
    is its subject, is the question's verb: it and one object end it ("Who did it?" -> "Who did
    not do it?", "Who has them?"), or a "have" starts an object (:func:`_starts_object`: "Who had
    fun?" -> "Who did not have fun?"). "What did the council approve?" keeps its auxiliary."""
    wh = wh_question(sentence, start)
    if wh is None or wh in _NO_SUBJECT:
        return False
    rest = words(sentence[end:])
    if after in DONE and after not in _HAD_ADVERBS and len(rest) == 1:
        return True
    return sentence[start:end].lower() in ("have", "has", "had") and _starts_object(after, pasts)


def _starts_object(word: str, pasts: Collection[str]) -> bool:
    """Whether ``word``, right after "have", "has" or "had", opens its object, making it the
    verb: "fun", "dinner", "3" (parks), "to" ("He has to go." -> "He does not have to go."). A
    participle keeps it an auxiliary: an "-ed" word, one of ``lexicon.PARTICIPLES``, a listed verb's
    past (``pasts``); so do an adverb ("-ly", :data:`_ADVERBS`), a stop word ("They have you
    ..." is left as it was) and "not"."""
    if word == "to":
        return True
    if word.endswith(("ed", "ly")) or word in PARTICIPLES or word in pasts:
        return False
    if any(word.endswith(p) for p in PARTICIPLES if len(p) >= 5):  # "overtaken", "withdrawn"
        return False
    return word not in _ADVERBS and word not in STOP_WORDS and word != "not"
