"""Every text edit on the inputs a user's data brings that the bundled corpus does not: empty and
blank texts, one word, marks alone, numbers with points, accents, CJK, emoji, Devanagari, many
sentences, leading spaces and newlines.

For each: no crash, severity 0 is the text itself, the same seed gives the same text, and
severity n + 1 changes at least what severity n changes (it is never milder).
"""

from __future__ import annotations

import string
import unicodedata

import pytest
from ffade_text import functional as F
from ffade_text.functional._spans import SENTENCE, words

ODD = {
    "empty": "",
    "blank": "   ",
    "newline": "\n",
    "one word": "Budget",
    "one word and a stop": "Budget.",
    "marks only": "!!! ... -- ?!",
    "numbers": "1312 42 7.5 2026",
    "accents": "Café naïve résumé. Élan vital approved the budget.",
    "decomposed": "Cafe\u0301 nai\u0308ve was late.",
    "cjk": "市议会批准了预算。东京は晴れです！",
    "emoji": "The city 🎉 approved 🙂 the budget 👍.",
    "zwj emoji": "👨\u200d👩\u200d👧 family 👍🏽 ok.",
    "devanagari": "यह एक वाक्य है। दूसरा वाक्य।",
    "arabic": "مرحبا بالعالم؟ هذا نص.",
    "sentences": "The council approved it. The mayor was late! Was it fair? Voters won't return.",
    "leading space": "\n\n   The council approved the budget.  \n",
    "tabs": "\tThe\tcity\tcouncil\t",
    "upper": "THE COUNCIL APPROVED THE BUDGET.",
}


@pytest.mark.parametrize("name", F.__all__)
def test_every_edit_is_neutral_deterministic_and_never_milder(name: str) -> None:
    edit = getattr(F, name)
    for key, text in ODD.items():
        assert edit(text, 0, 0) == text, key
        previous = text
        for count in (1, 2, 3, 5, 1000):
            edited = edit(text, count, 3)
            assert isinstance(edited, str) and edited == edit(text, count, 3), (key, count)
            if previous != text:
                assert edited != text, f"{key}: {count} undid the edits of fewer"
            previous = edited


def test_a_long_text_is_edited_fast_enough_at_every_severity() -> None:
    """800 sentences, 45,000 characters, at the grid's top severity: each edit in well under a
    second (negate reads the text's names once, not once per sentence)."""
    text = " ".join(["Heavy rain fell on Harlow. The council approved the budget."] * 400)
    for name in F.__all__:
        assert getattr(F, name)(text, 1000, 0) != text


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        (
            "London burned. Fire reached London.",
            "It is not true that London burned. It is not true that fire reached London.",
        ),
        (
            "Walsh sang. Crowds cheered Walsh's song.",
            "It is not true that Walsh sang. It is not true that crowds cheered Walsh's song.",
        ),
        ("Heavy rain today. Heavy rain again.", None),
        ("The storm hit. The Hague rests.", None),
    ],
)
def test_the_prefix_keeps_the_capital_of_a_name_the_text_shows(
    text: str, negated: str | None
) -> None:
    """ "It is not true that london burned.": the prefix lowered a name opening a sentence. A
    word the text writes with its capital inside a sentence keeps it; a common opener
    ("Heavy") and a stop word are lowered as before."""
    edited = F.negate(text, 2, 0, verbs=())
    if negated is None:  # nothing named: every sentence opens lowered
        assert all(m.group()[20:21].islower() for m in SENTENCE.finditer(edited))
    else:
        assert edited == negated


def test_a_lone_sentence_opening_with_a_name_keeps_its_capital() -> None:
    """ "London burned." alone was lowered for want of evidence ("london"); now a first word is
    lowered only on evidence that it is no name."""
    assert F.negate("London burned.", 1, 0, verbs=()) == "It is not true that London burned."


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("McDonald burned.", "It is not true that McDonald burned."),
        ("O'Brien spoke.", "It is not true that O'Brien spoke."),
        ("DeSantis spoke.", "It is not true that DeSantis spoke."),
        ("Ana Lopez spoke. Lopez left.", "It is not true that Ana Lopez spoke. Lopez left."),
        (
            "The Lopez family spoke. Lopez left.",
            "It is not true that the Lopez family spoke. Lopez left.",
        ),
    ],
)
def test_the_prefix_keeps_a_capital_a_name_shows_without_a_dictionary(
    text: str, negated: str
) -> None:
    """A lone opener lost its capital even where the word itself shows it is a name: a capital
    inside it ("mcDonald", "o'Brien"), or a capitalized next word ("ana Lopez"). It now keeps it;
    a stop word before a name ("the Lopez family") is lowered as before."""
    assert F.negate(text, 1, 0, verbs=()) == negated


def test_a_point_between_digits_ends_no_sentence_and_splits_no_number() -> None:
    """ "7.5" ended a sentence and was two words: negate wrote "7.It is not true that 5 2026",
    repeat_word "7.5 5", shuffle_words "7.2026 5", delete_word "1, people"."""
    assert [m.group() for m in SENTENCE.finditer("It rose 7.5 percent. Then 3. Next!")] == [
        "It rose 7.5 percent.",
        "Then 3.",
        "Next!",
    ]
    assert F.negate("Prices rose 7.5 percent.", 1, 0, verbs=()) == (
        "It is not true that prices rose 7.5 percent."
    )
    text = "About 1,312 people paid 7.5 dollars."
    for count in range(1, 6):
        for edit in (F.delete_word, F.repeat_word, F.shuffle_words):
            kept = edit(text, count, 0).rstrip(".").split()
            assert {"1,312", "7.5"} >= {w for w in kept if w[0].isdigit()}, edit.__name__


def test_a_devanagari_word_keeps_its_vowel_signs() -> None:
    """Vowel signs and viramas (combining marks outside the Latin accents) cut words apart:
    "वाक्य" was three words, and delete_word left "है।ूसरा" (half of "दूसरा")."""
    text = "यह एक वाक्य है। दूसरा वाक्य।"
    assert [text[s:e] for s, e in words(text)] == ["यह", "एक", "वाक्य", "है", "दूसरा", "वाक्य"]
    for count in range(1, 7):
        kept = F.delete_word(text, count, 0).replace("।", " ").split()
        assert set(kept) <= {"यह", "एक", "वाक्य", "है", "दूसरा"}


def test_remove_punctuation_keeps_a_number_whole() -> None:
    """A point or comma between digits was punctuation to remove_punctuation: "7.5" became "75"
    and "1,312" "1312", other numbers. The marks around them still go."""
    text = "About 1,312 people paid 7.5 dollars, or ٧٫٥."
    assert F.remove_punctuation(text, 1000, 0) == "About 1,312 people paid 7.5 dollars or ٧٫٥"
    assert F.remove_punctuation("7.5.", 1, 0) == "7.5"


def _scripts(text: str) -> set[str]:
    return {unicodedata.name(c).split(" ")[0] for c in text if c.isalpha()}


@pytest.mark.parametrize(
    "text",
    [
        "市议会批准了预算。市长很高兴！",
        "यह एक वाक्य है। दूसरा वाक्य।",
        "وافق المجلس على الميزانية",
        "Совет одобрил бюджет",
        "The council approved 批准了 and Совет",
    ],
)
def test_insert_char_writes_in_the_script_of_the_word(text: str) -> None:
    """insert_char put a-z into every word: "批准e了", "वाक्एय" with a Latin "e", so a Chinese
    or Hindi text read as one with English letters typed in. Each inserted letter now belongs
    to the script of the letter before it, one the text itself uses."""
    for seed in range(4):
        for count in range(1, 9):
            edited = F.insert_char(text, count, seed)
            assert len(edited) == len(text) + count
            assert _scripts(edited) == _scripts(text), (seed, count, edited)
            assert set(edited.lower()) - set(text.lower()) <= set(string.ascii_lowercase), edited
    assert F.insert_char("批准了", 2, 0) != "批准了"


@pytest.mark.parametrize("text", ["コーヒーとケーキ", "人々は来た", "ʻokina waʼa"])
def test_insert_char_never_inserts_a_modifier_letter(text: str) -> None:
    """A modifier letter (Unicode Lm) was a script of its own, so the gap after the long-vowel
    mark of "コーヒー" got another: "コーーヒー", and "人々" got "人々々", no slip of a hand
    that knows the script. Now the gap takes the script of the letter the mark follows."""
    marks = [c for c in text if unicodedata.category(c) == "Lm"]
    for seed in range(6):
        for count in range(1, 8):
            edited = F.insert_char(text, count, seed)
            assert [c for c in edited if unicodedata.category(c) == "Lm"] == marks, edited
    assert F.insert_char("ーー", 3, 0) == "ーー"  # marks alone: no letter to insert
