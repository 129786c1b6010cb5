"""negate's readers of questions and "do"/"have" verbs (``ffade_text.functional._clauses``).

Each pair was negated wrong before its rule; where the rule is its own inverse, negating the
negation gives the sentence back.
"""

from __future__ import annotations

import pytest
from ffade_text import functional as F


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Why is the mayor late?", "Why isn't the mayor late?"),
        ("When will the mayor leave?", "When won't the mayor leave?"),
        ("Where was the mayor?", "Where wasn't the mayor?"),
        ("How has the economy changed?", "How hasn't the economy changed?"),
        ("What did the council approve?", "What didn't the council approve?"),
        ("“Why is the mayor late?” Bob asked.", "“Why isn't the mayor late?” Bob asked."),
    ],
)
def test_a_question_word_s_auxiliary_takes_n_t_before_a_longer_subject(
    sentence: str, negated: str
) -> None:
    """ "Why is the mayor late?" read "Why is not the mayor late?", as "Is the mayor late?" read
    "Is not the mayor late?" before it took "n't"."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Who is the mayor?", "Who is not the mayor?"),  # "who" may be the subject
        ("What has changed?", "What has not changed?"),
        ("Who did?", "Who did not?"),  # no subject follows
        ("How many people were hurt?", "How many people were not hurt?"),
    ],
)
def test_a_question_word_that_may_be_the_subject_keeps_not(sentence: str, negated: str) -> None:
    """Where the question word may be the subject, or nothing follows the auxiliary, "not" stays
    after it as before."""
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Why is it late?", "Why is it not late?"),
        ("How does it work?", "How does it not work?"),
        ("Why is there a delay?", "Why is there not a delay?"),
        ("What did it cost?", "What did it not cost?"),
    ],
)
def test_a_pronoun_after_why_when_where_how_or_a_question_s_do_is_the_subject(
    sentence: str, negated: str
) -> None:
    """ "Why is it late?" read "Why is not it late?": only "I", "you", "he", "she", "we" and
    "they" counted as subjects after a question word."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Who did it?", "Who did not do it?"),
        ("Who did that?", "Who did not do that?"),
        ("Who has it?", "Who does not have it?"),
        ("Who had fun?", "Who did not have fun?"),
    ],
)
def test_who_or_what_with_do_or_have_and_its_object_is_that_verb(
    sentence: str, negated: str
) -> None:
    """ "Who did it?" read "Who did not it?": the question word's "did" was taken for an
    auxiliary."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("We had fun.", "We did not have fun."),
        ("They had dinner.", "They did not have dinner."),
        ("She has blue eyes.", "She does not have blue eyes."),
        ("The city has 3 parks.", "The city does not have 3 parks."),
        ("The firm has offices in Paris.", "The firm does not have offices in Paris."),
        ("He has to go.", "He does not have to go."),
        ("They had to leave.", "They did not have to leave."),
    ],
)
def test_have_before_an_object_without_a_determiner_is_the_verb(
    sentence: str, negated: str
) -> None:
    """ "We had fun." read "We had not fun.", "He has to go." "He has not to go.": only a
    determiner ("a", "the", ...) after "have" made it the verb."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("He has won.", "He has not won."),
        ("The council has voted.", "The council has not voted."),
        ("He has overtaken them.", "He has not overtaken them."),
        ("She has recently moved.", "She has not recently moved."),
        ("He has already left.", "He has not already left."),
        ("They have all left.", "They have not all left."),
        ("We had best leave.", "We had best not leave."),
        ("He has been there.", "He has not been there."),
    ],
)
def test_have_before_a_participle_or_an_adverb_stays_an_auxiliary(
    sentence: str, negated: str
) -> None:
    """The object rule must not take a perfect tense for "have" and an object."""
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("It is late, isn't it?", "It is not late, is it?"),
        ("You will come, won't you?", "You will not come, will you?"),
        ("There is a plan, isn't there?", "There is not a plan, is there?"),
        ("I'm late, aren't I?", "I'm not late, am I?"),
        ("It was fun, wasn't it?", "It was not fun, was it?"),
    ],
)
def test_a_tag_question_turns_around_whole(sentence: str, negated: str) -> None:
    """ "It is late, isn't it?" read "It is late, is it?": the tag's "n't" was the negation
    removed, and the clause kept its polarity."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("He left, didn't he?", "He did not leave, did he?"),
        ("It is late, is it?", "It is not late, is it?"),  # a tag of its clause's polarity
        ("They never come, do they?", "It is not true that they never come, do they?"),
    ],
)
def test_a_tag_question_s_clause_follows_the_rules(sentence: str, negated: str) -> None:
    """A listed verb's clause takes "did not" as alone; a tag of the clause's own polarity, or
    a clause with "never", is negated as before."""
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("We used to live here.", "We did not use to live here."),
        ("The site used to be a factory.", "The site did not use to be a factory."),
    ],
)
def test_used_to_takes_did_not_use_to(sentence: str, negated: str) -> None:
    """ "We used to live here." got the prefix: "used" is no listed verb."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


def test_used_alone_is_left_to_the_other_rules() -> None:
    """ "used" is an adjective too ("used cars"): only "used to" takes "did not use"."""
    assert "did not use" not in F.negate("Buyers want used cars.", 1, 0)
    assert F.negate("The tool is used to cut metal.", 1, 0) == (
        "The tool is not used to cut metal."
    )
