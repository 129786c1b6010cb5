# ruff: noqa: E501  (golden strings are kept whole, one per line, to read as the texts they are)
"""Golden tests: each edit, at seed 0, does to one sentence pair exactly what its name says.

Severity 2 is severity 1 plus one more edit, which is what lets the microscopic explorer add one
edit per step; every golden pair below shows it.
"""

from __future__ import annotations

import re
import sys
import tracemalloc
import unicodedata
from pathlib import Path
from types import FrameType

import pytest
from ffade_text import functional as F
from ffade_text.functional import grammar
from ffade_text.functional.words import SWAP_REACH

REPO = Path(__file__).resolve().parents[4]

TEXT = (
    "The mayor of Riverton approved the new budget on Monday. "
    "Critics said the plan was unfair to families."
)

GOLDEN = {
    "delete_char": (
        "The mayor of Riverton approved the new budget on Monday. Critics said the plan was nfair to families.",
        "The mayor of Riverton approved the new budget on Monday. Critics said the plan was nfar to families.",
    ),
    "insert_char": (
        "The mayor of Riverton approved the new budget on Monday. Critics said the plaln was unfair to families.",
        "The mayor of Riverton approved the new budget on Monday. Critics said the plaln was unfair to familieks.",
    ),
    "swap_char": (
        "The mayor of Riverton approved the nwe budget on Monday. Critics said the plan was unfair to families.",
        "The mayor of Riverton approved the nwe budget on Monday. Critics said the plan was unfair to famiiles.",
    ),
    "repeat_char": (
        "The mayor of Riverton approved the new budget on Monday. Critics ssaid the plan was unfair to families.",
        "The mayor of Riverton approved the new budget on Monday. Critics ssaid the plan was unfair to famillies.",
    ),
    "keyboard_typo": (
        "The mayor of Riverton approved the new budget on Monday. Critics said the plsn was unfair to families.",
        "The mayor of Riverton approved the new budget on Monday. Critics saif the plsn was unfair to families.",
    ),
    "misspell": (
        "The mayor of Riverton aproved the new budget on Monday. Critics said the plan was unfair to families.",
        "The mayor of Riverton aproved the new budget on Mondey. Critics said the plan was unfair to families.",
    ),
    "delete_word": (
        "The mayor of Riverton approved the new budget on Monday. Critics said plan was unfair to families.",
        "The of Riverton approved the new budget on Monday. Critics said plan was unfair to families.",
    ),
    "repeat_word": (
        "The mayor of Riverton approved the new budget on on Monday. Critics said the plan was unfair to families.",
        "The mayor of Riverton Riverton approved the new budget on on Monday. Critics said the plan was unfair to families.",
    ),
    "shuffle_words": (
        "The mayor of on approved the new budget Riverton Monday. Critics said the plan was unfair to families.",
        "The mayor of on approved the new budget Riverton Monday. Critics said the plan to unfair was families.",
    ),
    "drop_stopwords": (
        "The mayor of Riverton approved new budget on Monday. Critics said the plan was unfair to families.",
        "The mayor Riverton approved new budget on Monday. Critics said the plan was unfair to families.",
    ),
    "lowercase": (
        "the mayor of Riverton approved the new budget on Monday. Critics said the plan was unfair to families.",
        "the mayor of Riverton approved the new budget on monday. Critics said the plan was unfair to families.",
    ),
    "remove_punctuation": (
        "The mayor of Riverton approved the new budget on Monday Critics said the plan was unfair to families.",
        "The mayor of Riverton approved the new budget on Monday Critics said the plan was unfair to families",
    ),
    "negate": (
        "The mayor of Riverton approved the new budget on Monday. Critics said the plan was not unfair to families.",
        "The mayor of Riverton did not approve the new budget on Monday. Critics said the plan was not unfair to families.",
    ),
    "singular_plural": (
        "The mayors of Riverton approved the new budget on Monday. Critics said the plan was unfair to families.",
        "The mayors of Riverton approved the new budget on Monday. Critics said the plan was unfair to family.",
    ),
    "verb_tense": (
        "The mayor of Riverton approved the new budget on Monday. Critics says the plan was unfair to families.",
        "The mayor of Riverton approves the new budget on Monday. Critics says the plan was unfair to families.",
    ),
}


def test_every_edit_has_a_golden_pair() -> None:
    assert sorted(GOLDEN) == sorted(F.__all__)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name: str) -> None:
    edit = getattr(F, name)
    one, two = GOLDEN[name]
    assert edit(TEXT, 0, 0) == TEXT
    assert edit(TEXT, 1, 0) == one
    assert edit(TEXT, 2, 0) == two


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("The council did not approve it.", "The council did approve it."),
        ("Voters won't return.", "Voters will return."),
        ("The plan isn't fair.", "The plan is fair."),
        ("The storm was strong.", "The storm was not strong."),
        ("Lopez won the vote.", "Lopez did not win the vote."),
        ("The team scores often.", "The team does not score often."),
        ("Heavy rain today.", "It is not true that heavy rain today."),
    ],
)
def test_negation_rules(sentence: str, negated: str) -> None:
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("They never approved it.", "It is not true that they never approved it."),
        ("Nobody was there.", "It is not true that nobody was there."),
        ("The mayor has no plan.", "It is not true that the mayor has no plan."),
        ("Nothing changed.", "It is not true that nothing changed."),
        ("Neither side won.", "It is not true that neither side won."),
    ],
)
def test_a_sentence_with_another_negation_is_negated_whole(sentence: str, negated: str) -> None:
    """A "not" went in beside "never" or "nobody": "They never did not approve it.", "Nobody
    was not there.", a double negative rather than the opposite."""
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Is it late?", "Is it not late?"),
        ("Can you see?", "Can you not see?"),
        ("Was she there?", "Was she not there?"),
        ("Is the mayor late?", "Isn't the mayor late?"),
        ("Will the mayor stay?", "Won't the mayor stay?"),
        ("DID THE MAYOR GO?", "DIDN'T THE MAYOR GO?"),
        ("May the mayor stay?", "May not the mayor stay?"),
        ("It is late?", "It is not late?"),
    ],
)
def test_a_question_opening_with_an_auxiliary_gets_not_after_its_pronoun(
    sentence: str, negated: str
) -> None:
    """A "not" went in after the auxiliary: "Is not it late?". A longer subject's end is unknown
    without a parser, so the auxiliary takes "n't" there ("Is not the mayor late?" was stiff),
    and negating again gives the question back."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ('"Is it late?" she asked.', '"Is it not late?" she asked.'),
        ("“Is the mayor late?” asked Bob.", "“Isn't the mayor late?” asked Bob."),
        ("(Can you see?) Yes.", "(Can you not see?) Yes."),
        ("¿Is it late?", "¿Is it not late?"),
    ],
)
def test_a_quoted_question_is_a_question(text: str, negated: str) -> None:
    """News quotes questions; the opening quote before the auxiliary made it no question, and
    "not" went after the auxiliary: '"Is not it late?" she asked.'."""
    assert F.negate(text, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("I ain't going.", "I am going."),
        ("It ain't fair.", "It is fair."),
        ("They ain't here.", "They are here."),
        ("The kids ain't home.", "The kids are home."),
        ("Ain't it fun?", "Is it fun?"),
        ("He ain't got time.", "He has got time."),
        ("We can't stop.", "We can stop."),
        ("Can't you see?", "Can you see?"),
        ("She won't go.", "She will go."),
        ("You shan't pass.", "You shall pass."),
        ("They don't care.", "They do care."),
        ("It isn’t fair.", "It is fair."),
        ("You needn't come.", "You need to come."),
        ("He cannot go.", "He can go."),
        ("Cannot you see?", "Can you see?"),
    ],
)
def test_contractions_in_n_t_become_english(sentence: str, negated: str) -> None:
    """Cutting "n't" turned "ain't" into "ai": "It ai fair.". "needn't" gave "You need come.",
    and "cannot" "It is not true that he cannot go."."""
    assert F.negate(sentence, 1, 0) == negated


def test_irregular_plurals_and_case() -> None:
    assert F.singular_plural("Children play in the City.", 2, 0) == "Child play in the Cities."
    assert F.singular_plural("The PERSON left.", 1, 0) == "The PEOPLE left."


def test_participles_keep_their_tense() -> None:
    # "has approved" is a participle, not a past tense: nothing to change
    assert F.verb_tense("The council has approved it.", 3, 0) == "The council has approved it."


def test_word_deletion_leaves_clean_spacing() -> None:
    assert F.delete_word("Rain fell.", 1, 0) in {"fell.", "Rain."}
    assert F.delete_word("Rain fell.", 2, 0) == "."


def test_word_deletion_never_deletes_a_negation() -> None:
    """Deleting "not" made "did not help" say "did help": a failure the model was right about."""
    text = "The staff did not help and I didn't return. Never again, no way, nor soon."
    negations = ["not", "didn't", "Never", "no", "nor"]
    for count in range(1, 16):
        kept = F.delete_word(text, count, 0).replace(".", "").replace(",", "").split()
        assert [w for w in kept if w in negations] == negations
    assert F.delete_word(text, 99, 0) == "not didn't. Never, no, nor."
    assert F.delete_word("It wasn’t late.", 3, 0) == "wasn’t."


def test_word_edits_treat_accented_words_as_whole_words() -> None:
    """An ASCII-only word pattern cut "naïve" into "na" and "ve": delete_word left "Caféïve",
    repeat_word wrote "naïve ve" and lowercase never reached "Élan"."""
    text = "Café naïve résumé. Élan vital."
    for count in range(1, 6):
        kept = F.delete_word(text, count, 0).replace(".", "").split()
        assert set(kept) <= {"Café", "naïve", "résumé", "Élan", "vital"}
        assert len(kept) == 5 - count
    doubled = F.repeat_word(text, 1, 0).replace(".", "").split()
    assert len(doubled) == 6 and set(doubled) == {"Café", "naïve", "résumé", "Élan", "vital"}
    assert F.lowercase("Élan ŒUVRE", 2, 0) == "élan œuvre"
    shuffled = F.shuffle_words(text, 2, 0)
    assert sorted(shuffled.replace(".", "").split()) == sorted(text.replace(".", "").split())


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("I'd rather stay.", "It is not true that I'd rather stay."),
        ("NASA launched a probe.", "It is not true that NASA launched a probe."),
        ("UN staff left.", "It is not true that UN staff left."),
        ("A storm hit Harlow.", "It is not true that a storm hit Harlow."),
    ],
)
def test_negation_by_prefix_keeps_the_capitals_a_word_always_has(
    sentence: str, negated: str
) -> None:
    """The prefix rule lowered the first letter whatever it was: "i'm", "nASA"."""
    assert F.negate(sentence, 1, 0, verbs=()) == negated  # no verbs: the prefix rule applies


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Frank Muller own the race.", "It is not true that Frank Muller own the race."),
        ("Grace Kim Lopez spoke.", "It is not true that Grace Kim Lopez spoke."),
        ("Yesterday I left town.", "It is not true that yesterday I left town."),
        ("Yesterday I'd told them.", "It is not true that yesterday I'd told them."),
        ("Heavy rain, Ashford said.", "It is not true that heavy rain, Ashford said."),
    ],
)
def test_the_prefix_keeps_the_capital_of_a_first_name_before_a_name(
    sentence: str, negated: str
) -> None:
    """ "Frank Muller own ..." (swap_char's "own" for "won") became "... frank Muller own ...":
    a first word followed by a capitalized word is a name and keeps its capital; "I" next, or a
    capital after a mark, is no sign of one."""
    assert F.negate(sentence, 1, 0, verbs=()) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Anna smiled at Bob.", "It is not true that Anna smiled at Bob."),
        ("Paris burned.", "It is not true that Paris burned."),
        ("Worth every penny.", "It is not true that worth every penny."),
        ("However, rain fell.", "It is not true that however, rain fell."),
        ("Heavy rain flooded homes.", "It is not true that heavy rain flooded homes."),
        ("Nobody smiled.", "It is not true that nobody smiled."),
        ("Storms hit Harlow.", "It is not true that storms hit Harlow."),
        ("Let's go.", "It is not true that let's go."),
        ("New York grew.", "It is not true that New York grew."),
    ],
)
def test_the_prefix_lowers_a_first_word_only_where_it_is_no_name(
    sentence: str, negated: str
) -> None:
    """ "Anna smiled at Bob." became "It is not true that anna smiled at Bob.": the prefix lowered
    any first word it had no sign of a name for. Now only a word evidently no name is lowered:
    a stop word, a negation, a common opener or adjective, a listed noun ("Storms")."""
    assert F.negate(sentence, 1, 0, verbs=()) == negated


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        (
            "Rain fell. The rain stopped.",
            "It is not true that rain fell. It is not true that the rain stopped.",
        ),
        (
            "Mist fell. Mist rose.",
            "It is not true that Mist fell. It is not true that Mist rose.",
        ),
    ],
)
def test_the_prefix_lowers_a_first_word_the_text_writes_in_lower_case(
    text: str, negated: str
) -> None:
    """A first word the text also writes in lower case is no name ("the rain"); one it never
    does keeps its capital: without a dictionary "Mist" may be a name."""
    assert F.negate(text, 2, 0, verbs=()) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("I'm here.", "I'm not here."),
        ("He's late.", "He's not late."),
        ("We're done.", "We're not done."),
        ("It’s late.", "It’s not late."),
        ("That's right, I am sure.", "That's not right, I am sure."),
        ("I'm late?", "I'm not late?"),
        ("Who's coming?", "Who's not coming?"),
        ("Paris's mayor smiled.", "It is not true that Paris's mayor smiled."),
        ("The mayor's car stopped.", "It is not true that the mayor's car stopped."),
    ],
)
def test_a_pronoun_contraction_of_be_takes_not(sentence: str, negated: str) -> None:
    """ "I'm here." became "It is not true that I'm here.": "'m", "'s" and "'re" after a pronoun
    are "am", "is" and "are", and "not" follows them; a possessive "'s" is no verb."""
    assert F.negate(sentence, 1, 0, verbs=()) == negated
    assert grammar.negatable_in_place(sentence, verbs=()) == (not negated.startswith("It is not"))


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("I am here.", "I am not here."),
        ("Am I late?", "Am I not late?"),
        ("I ain't here.", "I am here."),
        ("The talk ended at 9 am and I am late.", "The talk ended at 9 am and I am not late."),
        ("The talk is at 10am.", "The talk is not at 10am."),
    ],
)
def test_am_is_an_auxiliary(sentence: str, negated: str) -> None:
    """ "I am here." -> "It is not true that I am here.": "am" was no auxiliary. It takes "not"
    like "is"; "am" after a number is the time of day, not the verb."""
    assert F.negate(sentence, 1, 0, verbs=()) == negated


def test_a_blank_line_ends_a_sentence() -> None:
    """A headline without a stop ran into the next paragraph's first sentence: negate put "not"
    after the body's auxiliary and left the headline as it was, and shuffle_words swapped words
    across the blank line."""
    text = "Storm hits Harlow\n\nThe storm was strong."
    assert F.negate(text, 1, 0) in {
        "It is not true that storm hits Harlow\n\nThe storm was strong.",
        "Storm hits Harlow\n\nThe storm was not strong.",
    }
    assert F.negate(text, 2, 0) == (
        "It is not true that storm hits Harlow\n\nThe storm was not strong."
    )
    headline, body = F.shuffle_words(text, 9, 0).split("\n\n")
    assert sorted(headline.split()) == ["Harlow", "Storm", "hits"]
    assert sorted(body.rstrip(".").split()) == ["The", "storm", "strong", "was"]


def test_removing_a_mark_between_spaces_leaves_one_space() -> None:
    """A dash between spaces left two: "Harlow  a town"."""
    assert F.remove_punctuation("Harlow — a town", 1, 0) == "Harlow a town"
    assert F.remove_punctuation("- first, -- second", 4, 0) == "first second"


def shuffle_work(text: str) -> tuple[int, int]:
    """The work of one ``shuffle_words(text, sentences, 0)``, counted, not timed: the lines the
    interpreter ran in ffade_text's functional code, and the characters of text handed to its
    calls (a helper given the whole text per swap copies it per swap)."""
    package = str(Path(F.__file__).parent)
    lines = characters = 0

    def trace(frame: FrameType, event: str, _: object) -> object:
        nonlocal lines, characters
        if not frame.f_code.co_filename.startswith(package):
            return None
        if event == "call":
            names = frame.f_code.co_varnames[: frame.f_code.co_argcount]
            given = map(frame.f_locals.get, names)
            characters += sum(len(v) for v in given if isinstance(v, str))
        elif event == "line":
            lines += 1
        return trace

    before = sys.gettrace()  # a debugger's or coverage's tracer, put back after
    sys.settrace(trace)
    try:
        F.shuffle_words(text, text.count("."), 0)
    finally:
        sys.settrace(before)
    return lines, characters


def test_shuffle_words_does_work_linear_in_the_number_of_sentences() -> None:
    """Each sentence scanned every word of the text and each swap copied the whole text, so 8
    times the sentences took about 60 times as long (11 s for 32,000 words). Counted, not timed
    (a timed ratio fails on a loaded machine): 8 times the sentences, about 8 times the work."""

    def text(sentences: int) -> str:
        return " ".join(
            f"Council {i} approved the budget of the city today." for i in range(sentences)
        )

    (short_lines, short_characters), (long_lines, long_characters) = map(
        shuffle_work, (text(100), text(800))
    )
    assert long_lines < 12 * short_lines  # linear: about 8 times; quadratic: about 64
    assert long_characters < 12 * short_characters


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("I do not.", "I do."),
        ("They did not, sadly.", "They did, sadly."),
        ("Did he not?", "Did he?"),
        ("It was not", "It was"),
    ],
)
def test_a_not_before_a_mark_or_the_end_is_removed(sentence: str, negated: str) -> None:
    """Only a "not" followed by a space was found: "I do not." got a second one, "I do not
    not."."""
    assert F.negate(sentence, 1, 0) == negated


def test_marks_alone_are_no_sentence_to_negate() -> None:
    """ "!!! ... --" was negated as "It is not true that --"."""
    assert F.negate("!!! ... --", 3, 0) == "!!! ... --"
    assert F.negate("Rain fell. ---", 2, 0) == "Rain did not fall. ---"


def test_a_word_that_starts_the_text_leaves_no_space_in_front() -> None:
    """With no space before it and a mark after the space that follows, deleting the first word
    kept that space: "The — budget" became " — budget"."""
    assert F.delete_word("Rain — at last", 1, 0) in {"— at last", "Rain — last", "Rain — at"}
    assert F.drop_stopwords("The 🎉 party\nThe — budget", 2, 0) == "🎉 party\n— budget"


def test_other_scripts_full_stops_end_sentences() -> None:
    """Only . ! ? ended a sentence: a Chinese text was one sentence, so shuffle_words swapped
    words across its full stops and negate prefixed the whole text once."""
    text = "市议会批准了预算。市长很高兴！ 会议结束了吗？"
    assert F.shuffle_words(text, 5, 0) == text  # one word a sentence: nothing to swap
    assert F.negate(text, 3, 0).count("It is not true that") == 3


def test_character_edits_keep_an_accent_on_its_letter() -> None:
    """A decomposed "é" (e + U+0301) was two characters to the edits: swapping "x" and "e" in
    "xé" wrote "ex́", the accent on the "x", and deleting the "e" of "café" left "caf́"; a
    keyboard typo typed another key under the accent ("cafś"), where a composed "é" is no key."""
    text = "xe\u0301 cafe\u0301 nai\u0308ve"
    for edit in (F.delete_char, F.repeat_char, F.insert_char, F.swap_char, F.keyboard_typo):
        for count in range(1, 12):
            edited = edit(text, count, 0)
            marks = [edited[i - 1 : i + 1] for i, c in enumerate(edited) if c in "\u0301\u0308"]
            assert all(m[0] in "ei" for m in marks), (edit.__name__, count, edited)
    assert F.swap_char("xe\u0301", 1, 0) == "e\u0301x"
    assert F.delete_char("xe\u0301", 1, 0) in {"e\u0301", "x"}
    accented = "e\u0301e\u0301 i\u0308e\u0301"  # as "éé ïé": no letter on the keyboard map
    assert [F.keyboard_typo(accented, 2, seed) for seed in range(5)] == [accented] * 5


def test_shuffle_words_swaps_words_at_most_swap_reach_apart() -> None:
    """Every pair of a sentence's words was a candidate: a text without stops of 2,000 words
    took 9 s and 260 MB per call. Swapped words are now at most SWAP_REACH words apart, which
    keeps the work linear in the sentence's length (checked by reach, not by a timer)."""
    text = [f"w{i}" for i in range(500)]
    moved = F.shuffle_words(" ".join(text), 100, 0).split()
    assert all(abs(int(w[1:]) - i) <= SWAP_REACH for i, w in enumerate(moved))
    assert sum(w != t for w, t in zip(moved, text, strict=True)) == 200


def _shuffled_with_peak_memory(text: str, swaps: int) -> tuple[list[str], int]:
    """``shuffle_words(text, swaps, 0)``'s words and the most memory the call held (bytes),
    after a warm-up call so that first-call imports and caches are not counted."""
    F.shuffle_words("warm up", 1, 0)
    tracemalloc.start()
    try:
        moved = F.shuffle_words(text, swaps, 0).split()
        return moved, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_shuffle_words_on_a_long_text_without_stops_lists_no_pair_of_its_words() -> None:
    """Every pair of words at most SWAP_REACH apart was listed and shuffled, 64 per word: 25,000
    words without a full stop took 6 s per call. Pairs are now drawn one at a time: the memory
    used grows with the words, not with their pairs (about 37 MB before for 5,000 words; 4 MB)."""
    text = " ".join(f"w{i}" for i in range(5000))
    moved, peak = _shuffled_with_peak_memory(text, 40)
    assert peak < 12_000_000
    assert sorted(moved) == sorted(text.split())
    assert sum(w != t for w, t in zip(moved, text.split(), strict=True)) == 80
    assert all(abs(int(w[1:]) - i) <= SWAP_REACH for i, w in enumerate(moved))
    more = F.shuffle_words(text, 41, 0).split()  # one more swap, the others kept
    assert sum(a != b for a, b in zip(more, moved, strict=True)) == 2
    assert F.shuffle_words(" ".join(["the"] * 5000), 3, 0) == " ".join(["the"] * 5000)


def test_shuffle_words_stops_drawing_when_no_swap_is_left() -> None:
    """A text nearly all one word, asked for more swaps than it has, drew every candidate pair
    before stopping (24,000 x "the" with 240 "cat", 1,000 swaps: 3-8 s and 100 MB a call). It
    stops once no pair of different, unmoved words is left: the same text, little memory."""
    text = " ".join("cat" if i % 100 == 0 else "the" for i in range(6000)) + "."
    moved, peak = _shuffled_with_peak_memory(text, 1000)
    assert peak < 8_000_000  # drawing all 245,000 pairs: 13 MB
    assert sum(w != t for w, t in zip(moved, text.split(), strict=True)) == 120  # each cat moved


def test_the_readme_examples_of_edits_that_leave_agreement_as_it_was() -> None:
    """plugins/text/README.md: singular_plural and verb_tense change one word, and shuffle_words
    moves a word with its own case; the examples it gives are what the edits write."""
    assert F.singular_plural("The cities are big.", 1, 0) == "The city are big."
    assert F.singular_plural("It took three years.", 1, 0) == "It took three year."
    assert F.verb_tense("They approved it.", 1, 0) == "They approves it."
    text = "Residents said the town needed a library."
    assert F.shuffle_words(text, 1, 1) == "town said the Residents needed a library."


UNSPACED = {
    "Chinese": "市长很高兴 他说",
    "Japanese": "市長は喜んだ 彼は言った",
    "Thai": "สวัสดีครับ ผมชื่อสมชาย",
    "Lao": "ສະບາຍດີ ຂ້ອຍຊື່ສົມ",
    "Myanmar": "မင်္ဂလာပါ ကျွန်တော်နာမည်",
    "Khmer": "សួស្តី ខ្ញុំឈ្មោះសុខ",
}
"""Two runs between spaces, each several words of a script written without spaces."""


@pytest.mark.parametrize("script", UNSPACED)
def test_the_readme_names_each_script_whose_unspaced_run_is_one_word(script: str) -> None:
    """Thai, Lao, Myanmar and Khmer runs are one word to repeat_word and delete_word, as an
    unspaced Chinese or Japanese clause is, but plugins/text/README.md said so only of those."""
    readme = " ".join((REPO / "plugins" / "text" / "README.md").read_text().split())
    claim = re.search(r"so a Chinese or Japanese clause with no spaces is one word.*?;", readme)
    assert claim is not None and script in claim.group()
    text = UNSPACED[script]
    runs = text.split()
    assert F.delete_word(text, 1, 0) in runs
    repeated = F.repeat_word(text, 1, 0).split()
    assert len(repeated) == 3 and set(repeated) == set(runs)


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ('"We approved it." Anna smiled.', '"We did not approve it." It is not true that Anna smiled.'),
        ("He left (for good.) Anna stayed.", "He did not leave (for good.) It is not true that Anna stayed."),
        ("„Es regnete.“ Anna ging.", "It is not true that „Es regnete.“ It is not true that Anna ging."),
        ("「市长很高兴。」他说。", "It is not true that 「市长很高兴。」It is not true that 他说。"),
    ],
)  # fmt: skip
def test_a_quote_or_bracket_after_the_stop_closes_its_sentence(text: str, negated: str) -> None:
    """The closing quote opened the next sentence, so its prefix went inside the quotes: '"We
    did not approve it.It is not true that " Anna smiled.'."""
    assert F.negate(text, 2, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Is it late", "Is it not late"),
        ("Can you help me", "Can you not help me"),
        ("Do you know him", "Do you not know him"),
        ("Is the mayor late", "Isn't the mayor late"),
        ("Is it late？", "Is it not late？"),
        ("Are prices rising\n\nThey rose.", "Aren't prices rising\n\nThey rose."),
    ],
)
def test_a_question_without_its_mark_is_a_question(sentence: str, negated: str) -> None:
    """Typed without "?" (a search query, a chat), "Is it late" read "Is not it late"."""
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Do it now.", "Do not do it now."),
        ("Do the dishes.", "Do not do the dishes."),
        ("Do the dishes", "Do not do the dishes"),
        ("Have a seat.", "Do not have a seat."),
        ("Have a seat", "Do not have a seat"),
        ("Please do it now.", "Please do not do it now."),
        ('"Do it now," she said.', '"Do not do it now," she said.'),
        ("DO IT NOW!", "DO NOT DO IT NOW!"),
        # "do" that stresses the verb after it keeps "not" after it; questions stay questions
        ("Do come in.", "Do not come in."),
        ("Do you know him", "Do you not know him"),
        ("Have you eaten", "Have you not eaten"),
    ],
)
def test_a_command_opening_with_do_or_have_takes_do_not(sentence: str, negated: str) -> None:
    """ "Do it now." read "Do not it now.", "Have a seat" "Have not a seat": "not" went after
    the command's verb as if it were an auxiliary."""
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Don't do it.", "Do it."),
        ("Do not do it.", "Do it."),
        ("Please don't do it.", "Please do it."),
        ("DON'T DO IT.", "DO IT."),
        ("Don't have a seat.", "Have a seat."),
        ("I do not do it now.", "I do it now."),
        ("He doesn't do it.", "He does it."),
        ("The mayor does not have a plan.", "The mayor has a plan."),
        ("They didn't have a meeting.", "They had a meeting."),
        # a "do" before another verb, or a subject, keeps its place
        ("Don't come in.", "Do come in."),
        ("Don't you know?", "Do you know?"),
    ],
)
def test_removing_a_negation_joins_do_to_the_do_or_have_after_it(
    sentence: str, negated: str
) -> None:
    """ "Don't do it." read "Do do it.", "He does not have a car." "He does have a car.": the
    helper "do" that the negation needed stayed behind it."""
    assert F.negate(sentence, 1, 0) == negated


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("I do it now.", "I do not do it now."),
        ("They do their best.", "They do not do their best."),
        ("He does it well.", "He does not do it well."),
        ("He did it.", "He did not do it."),
        ("I have a dog.", "I do not have a dog."),
        ("She has a car.", "She does not have a car."),
        ("They had a meeting.", "They did not have a meeting."),
        ("The council had the votes.", "The council did not have the votes."),
        # before a verb or an adverb it is an auxiliary
        ("I do like it.", "I do not like it."),
        ("He has left.", "He has not left."),
        ("He has now left.", "He has not now left."),
        ("You had better go.", "You had better not go."),
        ("We had best leave.", "We had best not leave."),
    ],
)
def test_do_or_have_as_a_statement_s_verb_takes_do_not(sentence: str, negated: str) -> None:
    """ "I do it now." read "I do not it now.", "She has a car." "She has not a car.": "not" went
    after the verb as if it were an auxiliary. Negating again gives the sentence back."""
    assert F.negate(sentence, 1, 0) == negated
    if "now left" not in sentence:
        assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Why do you know?", "Why do you not know?"),
        ("What did they say?", "What did they not say?"),
        ("Where is she", "Where is she not"),
    ],
)
def test_a_question_word_s_auxiliary_takes_not_after_a_subject_pronoun(
    sentence: str, negated: str
) -> None:
    """ "Why do you know?" read "Why do not you know?"."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


@pytest.mark.parametrize(
    "sentence", ["Why did the council approve it?", "So did the mayor win it?"]
)
def test_a_question_s_do_stays_its_auxiliary(sentence: str) -> None:
    """A "do" before a question's subject is no verb with an object: "... did not do the
    council approve it?" must not be written."""
    assert "not do" not in F.negate(sentence, 1, 0)


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Do you know.", "Do you not know."),
        ("Did you do it.", "Did you not do it."),
        ("Is it late.", "Is it not late."),
        ("Has he left.", "Has he not left."),
        ("Do it now.", "Do not do it now."),  # "it" after "do": a command
    ],
)
def test_a_question_with_a_full_stop_gets_not_after_its_pronoun(
    sentence: str, negated: str
) -> None:
    """ "Do you know." read "Do not you know.": only "?" or no end mark made a question."""
    assert F.negate(sentence, 1, 0) == negated
    assert F.negate(negated, 1, 0) == sentence


def test_y_all_takes_are() -> None:
    assert F.negate("Y'all ain't ready.", 1, 0) == "Y'all are ready."


@pytest.mark.parametrize("seed", range(5))
def test_delete_char_keeps_a_letter_of_each_word(seed: int) -> None:
    """Both letters of "Is" went at two edits: "Is it late" became " it late", a word deleted,
    not mistyped. The edits still add up: severity n + 1 is severity n and one deletion."""
    text = "Is it late? Ok, go."
    for count in range(8):
        edited = F.delete_char(text, count, seed)
        assert len(edited.split()) == 5
        assert len(edited) == len(text) - min(count, 7)  # all but one letter of each word may go
        if count:
            smaller = F.delete_char(text, count - 1, seed)
            assert len(smaller) - len(edited) in (0, 1)


@pytest.mark.parametrize("name", ["delete_char", "swap_char", "repeat_char", "insert_char"])
def test_character_edits_keep_hangul_syllables_written_apart_whole(name: str) -> None:
    """Korean written apart (NFD: an initial, a vowel and a final per syllable, as macOS writes
    file names) lost a syllable's vowel ("승인" to "승ᆫ") or had it swapped away from its
    initial: text no Korean typist could write. Syllables are letters, as composed ones are."""
    text = unicodedata.normalize("NFD", "서울시 의회가 예산을 승인했다. 가게는 크다.")
    for count in (1, 3, 30):
        for seed in (0, 1):
            edited = unicodedata.normalize("NFC", getattr(F, name)(text, count, seed))
            assert not re.search("[\u1100-\u11ff]", edited), edited
