"""Word concepts: what drop_stopwords and misspell, whose lists are English, say of other
languages."""

from __future__ import annotations

from ffade_text.concepts import DropStopwords, Misspell

from ffade import registry

FRENCH = ["Le conseil a approuvé le budget.", "Il a plu toute la nuit."]


def _english_only(name: str, what: str, fix: str) -> str:
    return (
        f"concept '{name}': none of the task's 2 inputs has an English word such as 'the', 'and' "
        f"or 'with', so its {what} may not fit them; {fix}"
    )


def test_drop_stopwords_on_french_texts_says_it_is_english_only() -> None:
    """French 'a' (has) was deleted as an English stop word, silently."""
    concept = registry.create("concept", "drop_stopwords", {"values": [0, 1]})
    assert concept.apply(FRENCH, 1)[0] == "Le conseil approuvé le budget."
    assert concept.check_inputs(FRENCH) == [
        _english_only(
            "drop_stopwords",
            "English stop words (a, in, was, ...)",
            "drop_stopwords is English only: give the texts' own stop_words, or leave it out",
        )
    ]


def test_drop_stopwords_notes_nothing_for_english_or_its_own_stop_words() -> None:
    assert DropStopwords(values=[0, 1]).check_inputs([*FRENCH, "The budget passed."]) == []
    assert DropStopwords(values=[0, 1], stop_words=["le", "la"]).check_inputs(FRENCH) == []
    assert DropStopwords(values=[0]).check_inputs(FRENCH) == []  # a grid that never edits


def test_misspell_on_french_texts_says_it_is_english_only() -> None:
    """English sound-alike rules rewrote French words ('approuvé' -> 'aprouvé'), silently."""
    concept = registry.create("concept", "misspell", {"values": [0, 1]})
    assert concept.apply(FRENCH, 1) != FRENCH
    assert concept.check_inputs(FRENCH) == [
        _english_only(
            "misspell",
            "English misspellings and sound-alike rules (ie/ei, ss/s, ...)",
            "misspell is English only: add the texts' words with misspellings, or leave it out",
        )
    ]


def test_misspell_notes_nothing_for_english_or_listed_words() -> None:
    assert Misspell(values=[0, 1]).check_inputs([*FRENCH, "Business grew."]) == []  # a known slip
    assert Misspell(values=[0, 1]).check_inputs([*FRENCH, "With no rain."]) == []
    own = Misspell(values=[0, 1], misspellings={"conseil": "consiel"})
    assert own.check_inputs(FRENCH) == []
