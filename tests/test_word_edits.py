"""The ``Edits:`` line of a text example (report.md/html, TensorBoard's text table)."""

from __future__ import annotations

from ffade.word_edits import text_edits


def test_a_word_moved_elsewhere_reads_as_moved_not_inserted_and_deleted() -> None:
    """It read '"storm" inserted; "storm" deleted', as if two words had changed."""
    before = "A storm hit Harlow on Monday."
    assert text_edits(before, "A hit Harlow storm on Monday.") == '"storm" moved'
    assert text_edits(before, "A hit storm Harlow on Monday.") == '"storm" and "hit" swapped'


def test_two_words_that_traded_places_read_as_one_swap() -> None:
    """A swap read as two replacements ('"town" -> "said"; "said" -> "town"') or, of words
    one apart, as two runs inserted and deleted ('"people 1312" inserted; "1312 people"
    deleted')."""
    assert text_edits("Residents said the town", "town said the Residents") == (
        '"Residents" and "town" swapped'
    )
    assert text_edits("About 1312 people left.", "people 1312 About left.") == (
        '"About" and "people" swapped'
    )
    assert text_edits("a b c d e f", "b a c d f e") == '"a" and "b" swapped; "e" and "f" swapped'
    # with another edit among the swaps, the diff names each, the swap as one
    before, after = (
        "Residents said the town needed a library",
        "town said the Residents needed a libary",
    )
    assert text_edits(before, after) == '"Residents" and "town" swapped; "library" -> "libary"'


def test_a_swap_leaves_the_marks_in_their_places() -> None:
    """shuffle_words swaps words, not their full stops: it read '"won" -> "vote"; "vote." ->
    "won."' and '"more housing." -> "housing more."'."""
    assert text_edits("They won the vote.", "They vote the won.") == '"won" and "vote" swapped'
    assert text_edits("We need more housing.", "We need housing more.") == (
        '"more" and "housing" swapped'
    )
    # a word that took its mark along is no swap of two words
    assert "swapped" not in text_edits("They won the vote.", "They vote. the won")


def test_other_edits_keep_their_words() -> None:
    assert text_edits("the journeys went on", "journeys went on") == '"the" deleted'
    assert text_edits("the journeys went", "the jiurneys went") == '"journeys" -> "jiurneys"'
    assert text_edits("it went", "it it went") == '"it" inserted'
    assert text_edits("a b", "a  b") == "only spacing changed"
