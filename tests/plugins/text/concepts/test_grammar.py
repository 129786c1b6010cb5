"""Grammar concepts: what negate says of texts its English rules cannot turn around."""

from __future__ import annotations

from ffade_text.concepts import Negate

ENGLISH_ONLY = (
    "concept 'negate': none of the task's 2 inputs has a sentence with an English negation, "
    "auxiliary (is, was, can, ...) or listed verb, so every edit puts the English 'It is not "
    "true that' before a sentence: negate is English only; add the texts' verbs with verbs, or "
    "leave negate out"
)


def test_negate_on_texts_in_another_language_says_it_is_english_only() -> None:
    """French and Chinese articles got 'It is not true that' before each sentence, silently: a
    search of 'negation' that was an English prefix."""
    texts = ["Le conseil a approuvé le budget. Il est content.", "市议会批准了预算。"]
    concept = Negate(values=[0, 1, 2])
    assert concept.apply(texts, 1)[1] == "It is not true that 市议会批准了预算。"
    assert concept.check_inputs(texts) == [ENGLISH_ONLY]


def test_negate_notes_nothing_when_one_english_sentence_can_be_turned_around() -> None:
    texts = ["Le conseil a approuvé le budget.", "The council approved the budget."]
    assert Negate(values=[0, 1]).check_inputs(texts) == []
    # a verb the built-in list lacks, added with verbs, is a site too
    english = ["The council okays the budget.", "Il est content."]
    assert Negate(values=[0, 1]).check_inputs(english) == [ENGLISH_ONLY]
    verbs = [["okay", "okays", "okayed"]]
    assert Negate(values=[0, 1], verbs=verbs).check_inputs(english) == []
    assert Negate(values=[0]).check_inputs(["Il est content."]) == []  # a grid that never edits


def test_negate_notes_nothing_for_english_negated_whole() -> None:
    """ "Nobody was there." takes the prefix as English (a "not" beside "nobody" said it twice),
    and was counted as a text the rules cannot read: the note said it had no auxiliary. A
    Spanish "no" is no sign of English."""
    assert Negate(values=[0, 1]).check_inputs(["Nobody was there.", "Il est content."]) == []
    spanish = ["No hay nada.", "Il est content."]
    assert Negate(values=[0, 1]).check_inputs(spanish) == [ENGLISH_ONLY]
