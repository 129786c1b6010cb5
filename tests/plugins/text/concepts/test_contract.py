"""Every text concept honours the plugin contract: grid checks, batches of strings, neutral 0."""

from __future__ import annotations

import pytest
from ffade_text import concepts, functional
from ffade_text.concepts._base import MAX_SEVERITY

from ffade import registry
from ffade.errors import ConceptValueError

NAMES = sorted(functional.__all__)
BATCH = [
    "The mayor of Riverton approved the new budget on Monday.",
    "Storm floods 40 homes in Harlow. Officials warned residents.",
]


@pytest.mark.parametrize("name", NAMES)
def test_registered_concept_applies_one_severity_to_a_batch(name: str) -> None:
    concept = registry.create("concept", name, {"values": [0, 1, 3], "seed": 5})
    assert isinstance(concept, concepts.TextEdit)
    assert concept.label == name and concept.values == [0, 1, 3] and concept.is_numeric
    assert concept.apply(BATCH, 0) == BATCH
    edited = concept.apply(BATCH, 3)
    assert edited == [getattr(functional, name)(text, 3, 5) for text in BATCH]
    assert edited != BATCH
    assert concept.apply(BATCH, 3) == edited  # memoization relies on it


@pytest.mark.parametrize("value", [-1, 1.5, True, "two", 1001])
def test_severity_must_be_a_whole_number_of_edits(value: object) -> None:
    with pytest.raises(
        ConceptValueError, match=r"concept 'typo': values\[1\] .* whole number of edits"
    ):
        concepts.KeyboardTypo(values=[0, value], label="typo")


@pytest.mark.parametrize(("value", "shown"), [(None, "null"), (True, "true"), (False, "false")])
def test_a_severity_yaml_read_as_null_or_a_boolean_is_said_as_written(value, shown) -> None:
    """A grid's null or true was said as Python's None or True, a value nobody typed."""
    with pytest.raises(ConceptValueError) as error:
        concepts.KeyboardTypo(values=[0, value], label="typo")
    assert str(error.value) == (
        f"concept 'typo': values[1] {shown} is not allowed; expected a whole number of edits "
        f"in [0, {MAX_SEVERITY}]"
    )


@pytest.mark.parametrize(
    ("seed", "said"),
    [(1.5, "1.5"), (True, "true"), ("5", "'5'"), ("abc", "'abc'"), (None, "null"), ([1], "[1]")],
)
def test_seed_must_be_a_whole_number(seed: object, said: str) -> None:
    """seed: 1.5 ran as seed 1 (int() truncated it) with no word to the user; YAML's true is
    said as the config wrote it, not as Python's True."""
    with pytest.raises(ConceptValueError) as error:
        concepts.DeleteWord(seed=seed, label="drop")
    assert str(error.value) == f"concept 'drop': seed must be a whole number, got {said}"
    assert concepts.DeleteWord(seed=2.0).seed == 2 and concepts.DeleteWord(seed=-3).seed == -3


def test_inputs_must_be_strings() -> None:
    with pytest.raises(ConceptValueError, match="list of strings"):
        concepts.DeleteChar().apply("one article, not a batch", 1)
    # a dict's keys are strings: a synthetic batch must not pass for a list of texts
    with pytest.raises(ConceptValueError, match=r"\(texts\), got dict: a text concept cannot"):
        concepts.DeleteChar().apply({"coords": [0.0], "features": [1.0]}, 1)
    with pytest.raises(ConceptValueError, match=r"got a list of float: a text concept cannot"):
        concepts.DeleteChar().apply(["a text", 0.5], 1)


def test_default_grid_is_zero_to_four_edits() -> None:
    concept = concepts.Negate()
    assert concept.values == [0, 1, 2, 3, 4] and concept.neutral_index() == 0


def test_word_lists_extend_from_the_config() -> None:
    plural = concepts.SingularPlural(nouns=["ferry"])
    assert plural.apply(["The ferry left."], 1) == ["The ferries left."]
    tense = concepts.VerbTense(verbs=[["sail", "sails", "sailed"]])
    assert tense.apply(["The ferry sailed."], 1) == ["The ferry sails."]
    misspell = concepts.Misspell(misspellings={"ferry": "fery"})
    assert misspell.apply(["ferry"], 1) == ["fery"]
    stops = concepts.DropStopwords(stop_words=["ferry"])
    assert stops.apply(["the ferry left"], 1) == ["the left"]


def test_stop_words_replace_the_built_in_list() -> None:
    """The README promises stop_words replaces the built-in list (the others extend theirs)."""
    stops = concepts.DropStopwords(stop_words=["ferry"])
    assert stops.apply(["the the the ferry"], 4) == ["the the the"]
    assert concepts.DropStopwords().apply(["the ferry"], 1) == ["ferry"]


def test_an_empty_stop_word_list_is_refused_not_replaced_by_the_built_in_one() -> None:
    """stop_words: [] would make drop_stopwords a no-op (it used to fall back silently)."""
    with pytest.raises(ConceptValueError, match=r"concept 'drop_stopwords': stop_words is empty"):
        registry.create("concept", "drop_stopwords", {"stop_words": []})


def test_a_severity_no_input_has_room_for_is_noted_naming_the_most_that_fits() -> None:
    """delete_word 99 on texts of 10 and 9 words edits every word, as 10 does: said, not refused
    (a grid made for long articles still runs on short ones)."""
    concept = registry.create("concept", "delete_word", {"values": [0, 50, 99]})
    assert concept.check_inputs(BATCH) == [
        "concept 'delete_word': none of the task's 2 inputs has room for more than 10 edits of "
        "this kind, so 50, 99 make the same edits as 10"
    ]
    assert registry.create("concept", "delete_word", {"values": [0, 10]}).check_inputs(BATCH) == []
    # one input with room is enough: the grid is checked against the task, not each text
    fits = registry.create("concept", "delete_word", {"values": [0, 10]})
    assert fits.check_inputs(["a b", BATCH[0]]) == []
    (note,) = fits.check_inputs(BATCH[1:])
    assert note.endswith("room for more than 9 edits of this kind, so 10 makes the same edits as 9")


@pytest.mark.parametrize("name", NAMES)
def test_every_edit_counts_its_room_exactly(name: str) -> None:
    """The room found is the severity after which more edits change nothing more."""
    concept = registry.create("concept", name, {"values": [0, 1], "seed": 3})
    for text in BATCH:
        room = concept._room(text, 200)
        assert concept._edited(text, room) == concept._edited(text, 200)
        assert room == 0 or concept._edited(text, room - 1) != concept._edited(text, room)


def test_an_edit_with_no_site_in_any_input_is_refused() -> None:
    concept = registry.create("concept", "drop_stopwords", {"stop_words": ["zyzzyva"]})
    with pytest.raises(ConceptValueError, match=r"none of the task's 2 inputs has a site for"):
        concept.check_inputs(BATCH)


def test_bad_verb_rows_are_named() -> None:
    with pytest.raises(ConceptValueError, match=r"verbs entry \[sail\] is not allowed"):
        concepts.Negate(verbs=[["sail"]])


def test_only_negation_declares_that_it_changes_the_meaning() -> None:
    from ffade import registry

    changing = [
        name
        for name in sorted(r.name for r in registry.available("concept"))
        if registry.load("concept", name).__module__.startswith("ffade_text")
        and not registry.load("concept", name).keeps_meaning
    ]
    assert changing == ["negate"]


def test_dropping_stop_words_never_drops_a_negation() -> None:
    """drop_stopwords keeps meaning, but its list held "no" and "nor": "There was no damage."
    became "There was damage."."""
    text = ["There was no damage, nor any injury, and it is not over"]
    dropped = concepts.DropStopwords().apply(text, 1000)[0].replace(",", "").split()
    assert {"no", "nor", "not"} <= set(dropped)
    assert concepts.DropStopwords(stop_words=["no"]).apply(text, 1)[0].split().count("no") == 0


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("singular_plural", {"nouns": "budget"}, "nouns must be a list of words"),
        ("singular_plural", {"nouns": ["budget", 3]}, "nouns entry 3 is not allowed"),
        ("drop_stopwords", {"stop_words": "the"}, "stop_words must be a list of words"),
        ("misspell", {"misspellings": ["budgit"]}, "misspellings must map words to their"),
        ("verb_tense", {"verbs": "approve"}, "verbs entry 'approve' is not allowed"),
        ("negate", {"verbs": ["get"]}, "verbs entry 'get' is not allowed"),
        ("keyboard_typo", {"values": 3}, "values must be a list, got 3"),
    ],
)
def test_word_list_arguments_of_the_wrong_shape_are_one_line_errors(
    name: str, args: dict, message: str
) -> None:
    """misspellings: [budgit] raised AttributeError; nouns: budget was read letter by letter,
    verbs: [get] as the triple (g, e, t)."""
    with pytest.raises(ConceptValueError, match=rf"^concept '{name}': {message}"):
        registry.create("concept", name, args)


def test_word_list_arguments_extend_the_edits() -> None:
    text = ["The budget grew."]
    misspell = registry.create("concept", "misspell", {"misspellings": {"grew": "grue"}})
    assert "grue" in misspell.apply(text, 2)[0]
    plural = registry.create("concept", "singular_plural", {"nouns": ["budget"]})
    assert plural.apply(text, 1) == ["The budgets grew."]


def test_a_note_says_one_edit_not_one_edits() -> None:
    concept = registry.create("concept", "verb_tense", {"values": [0, 1, 2]})
    assert concept.check_inputs(["The council approved it."]) == [
        "concept 'verb_tense': none of the task's 1 inputs has room for more than 1 edit of "
        "this kind, so 2 makes the same edits as 1"
    ]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("drop_stopwords", {"stop_words": ["the", "New York"]}, "stop_words entry 'New York'"),
        ("singular_plural", {"nouns": ["police car"]}, "nouns entry 'police car'"),
        ("verb_tense", {"verbs": [["set up", "sets up", "set up"]]}, "verbs entry 'set up'"),
        ("misspell", {"misspellings": {"a lot": "alot"}}, "misspellings entry 'a lot'"),
    ],
)
def test_list_entries_the_edits_can_never_match_are_refused(
    name: str, args: dict, message: str
) -> None:
    """Edits match single words: a two-word entry was accepted and silently never edited."""
    with pytest.raises(ConceptValueError) as error:
        registry.create("concept", name, args)
    assert str(error.value) == (
        f"concept '{name}': {message} is not allowed; expected one word (letters and digits, "
        "inner apostrophes), since the edits match single words"
    )


def test_a_misspelling_that_is_the_word_itself_is_refused() -> None:
    """misspellings: {budget: Budget} counted edits that changed nothing."""
    with pytest.raises(ConceptValueError, match=r"^concept 'misspell': misspellings entry 'bud"):
        registry.create("concept", "misspell", {"misspellings": {"budget": "Budget"}})
    assert registry.create("concept", "misspell", {"misspellings": {"don't": "dont"}})


def test_two_misspellings_of_one_word_case_aside_are_refused() -> None:
    """{Budget: Budjet, budget: budgit} kept budgit only: the edits lowercase the word."""
    with pytest.raises(ConceptValueError) as error:
        registry.create(
            "concept", "misspell", {"misspellings": {"Budget": "Budjet", "budget": "x"}}
        )
    assert str(error.value) == (
        "concept 'misspell': misspellings entries 'Budget' and 'budget' are one word (the edits "
        "match words case aside); keep one"
    )


def test_a_listed_noun_does_not_overwrite_a_known_form() -> None:
    """nouns: [cities] made inflect's "citiess" the other form of "cities"."""
    plural = concepts.SingularPlural(nouns=["cities", "ferry"])
    assert plural.apply(["The cities grew."], 1) == ["The city grew."]
    assert plural.apply(["The ferry left."], 1) == ["The ferries left."]
