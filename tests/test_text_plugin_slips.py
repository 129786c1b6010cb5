"""Slips of a text plugin's author are one line naming the plugin, not a traceback.

A tiny text task built here (a list of texts, a keyword classifier declaring ``class_scores``),
written from docs/plugins.md as an outside package would be, with one plugin swapped for one
that breaks it: a concept that turns texts into token lists (which reached the target and failed
there, in the target's name). A class without the method its base requires is
tests/test_plugin_arguments.py's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ffade
from ffade.env import Evaluator
from ffade.errors import ConceptValueError, PluginError
from ffade.plugin_api import (
    Concept,
    Dataset,
    Reward,
    Scores,
    Target,
    disjoint_split_indices,
    load_weights,
)
from ffade.plugin_checks import check_class_references
from ffade.registry import create
from ffade.task import build_task

HERE = "tests.test_text_plugin_slips"
SENTENCES = [
    (f"{text} {n}", label)
    for n in range(8)
    for text, label in (("you are an idiot", 1), ("have a nice day", 0), ("what a stupid idea", 1))
]
VOCAB = {"idiot": 1, "stupid": 2}


class Sentences(Dataset):
    """Short sentences labelled toxic (1) or clean (0)."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.indices = disjoint_split_indices(len(SENTENCES), (0.5, 0.25, 0.25), seed)

    def split(self, name):
        return [SENTENCES[i] for i in self.indices[name].tolist()]


class Keywords(Target):
    """Toxic when the text holds a known insult."""

    output_kind = "class_scores"

    def predict(self, inputs):
        toxic = torch.tensor(
            [float(any(w in t.split() for w in ("idiot", "stupid"))) for t in inputs]
        )
        return torch.stack([1 - toxic, toxic], 1)


class Miss(Reward):
    """Failed when the top class is not the label."""

    def score(self, outputs, references, clean_outputs=None):
        failed = outputs.argmax(1) != references
        return Scores(metric=failed.float(), failed=failed, reward=failed.float() * 2 - 1)


class Leet(Concept):
    """Replace the letter i by 1 when the value is 1."""

    neutral = 0
    default_values = (0, 1)

    def __init__(self, values=None, label=None) -> None:
        super().__init__(values, label)

    def apply(self, inputs, value):
        return [t.replace("i", "1") for t in inputs]


class Tokens(Leet):
    """Returns each text split into words: a list of lists for a list of texts."""

    def apply(self, inputs, value):
        return [t.split() for t in super().apply(inputs, value)]


def _evaluate(**plugins: str) -> dict:
    evaluator = Evaluator(_task(**plugins), batch_size=4)
    return evaluator.evaluate(np.array([0, 1, 2]), np.array([[1], [1], [0]]))


def _task(**plugins: str):
    spec = {
        "target": {"name": f"{HERE}:Keywords"},
        "dataset": {"name": f"{HERE}:Sentences"},
        "reward": {"name": f"{HERE}:Miss"},
        "concepts": [{"name": f"{HERE}:Leet"}],
    }
    for key, name in plugins.items():
        spec[key] = [{"name": name}] if key == "concepts" else {"name": name}
    return build_task(spec)


def test_the_text_task_with_good_plugins_evaluates() -> None:
    assert Leet().apply(["idiot"], 1) == ["1d1ot"]
    _evaluate()


class LongTokens(Leet):
    """Splits each text into its characters: a long list, cut in the message."""

    def apply(self, inputs, value):
        return [list(t) for t in super().apply(inputs, value)]


def test_a_concept_that_turns_texts_into_long_token_lists_shows_where_the_list_is_cut() -> None:
    message = (
        rf"^concept '{HERE}:LongTokens': apply\(inputs, 1\) returned a list holding a list "
        r"\(\['.*\.\.\.\) for a batch of texts; return one text \(a str\) per input"
    )
    with pytest.raises(PluginError, match=message):
        _evaluate(concepts=f"{HERE}:LongTokens")


def test_a_concept_that_turns_texts_into_token_lists_is_named() -> None:
    message = (
        rf"^concept '{HERE}:Tokens': apply\(inputs, 1\) returned a list holding a list "
        r"\(\['.*'\]\) for a batch of texts; return one text \(a str\) per input"
    )
    with pytest.raises(PluginError, match=message):
        _evaluate(concepts=f"{HERE}:Tokens")


class CheckedKeywords(Keywords):
    """Checks its references with the core helper, as docs/plugins.md shows."""

    def check_references(self, references):
        check_class_references(references, 2, self, "label sentences 0 (clean) or 1 (toxic)")


class WordLabels(Sentences):
    """Labels as words, "toxic" and "clean", where the classifier needs class indices."""

    def split(self, name):
        return [(text, "toxic" if label else "clean") for text, label in super().split(name)]


class Labels3(Sentences):
    """A class index 2 the two-class classifier does not score."""

    def split(self, name):
        return [(text, label * 2) for text, label in super().split(name)]


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            "WordLabels",
            rf"^target '{HERE}:CheckedKeywords' needs class indices as references \(an integer "
            r"from 0 to 1, or a set of them\); got '(toxic|clean)'$",
        ),
        (
            "Labels3",
            rf"^target '{HERE}:CheckedKeywords': the dataset has a class index 2, but the target "
            r"scores 2 classes \(0 to 1\); label sentences 0 \(clean\) or 1 \(toxic\)$",
        ),
    ],
)
def test_references_a_text_classifier_cannot_judge_are_one_line(dataset, message) -> None:
    with pytest.raises(PluginError, match=message):
        _task(target=f"{HERE}:CheckedKeywords", dataset=f"{HERE}:{dataset}")


class KeepsValues(Leet):
    """Keeps its grid itself and never calls the base's __init__, so it has no label."""

    def __init__(self, values=None, label=None) -> None:
        self.values = list(values or self.default_values)


def test_a_concept_that_keeps_its_values_but_skips_the_base_init_is_one_line() -> None:
    message = (
        rf"^concept '{HERE}:KeepsValues': KeepsValues.__init__ never called "
        r"super\(\).__init__\(values, label\), so it has no 'label'; call it in __init__"
    )
    with pytest.raises(PluginError, match=message):
        _task(concepts=f"{HERE}:KeepsValues")


class MeanOfNoTokens(Keywords):
    """Features as a mean over each text's insults: NaN for a text without any."""

    def features(self, inputs):
        rows = [torch.tensor([float(len(w)) for w in t.split() if w == "idiot"]) for t in inputs]
        return torch.stack([row.mean().reshape(1) for row in rows])


def test_features_with_nan_are_one_line() -> None:
    message = rf"^target '{HERE}:MeanOfNoTokens': features\(\) returned NaN or infinite values"
    with pytest.raises(PluginError, match=message):
        Evaluator(_task(target=f"{HERE}:MeanOfNoTokens"), batch_size=4).features(np.arange(3))


class CountingLeet(Leet):
    """check_inputs returns how many inputs it checked, not notes."""

    def check_inputs(self, inputs):
        return len(inputs)


class NotedSentences(Sentences):
    """notes as a number, not a remark."""

    notes = 3


class OneNote(Sentences):
    """One note as a string, which is one line."""

    notes = "labels are one annotator's"


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        (
            {"concepts": f"{HERE}:CountingLeet"},
            rf"^concept '{HERE}:CountingLeet': check_inputs\(\) returned int 12; give a list of "
            r"one-line notes, one note as a string, or None",
        ),
        (
            {"dataset": f"{HERE}:NotedSentences"},
            rf"^dataset '{HERE}:NotedSentences': notes is int 3; give a list of one-line notes",
        ),
    ],
)
def test_notes_that_are_no_lines_are_one_line(plugins: dict, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        _task(**plugins)


def test_one_note_as_a_string_is_one_line() -> None:
    assert _task(dataset=f"{HERE}:OneNote").notes[0] == "labels are one annotator's"


class Bag(torch.nn.Module):
    """Sums a score per known word: 'idiot' and 'stupid' toward toxic."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(4, 1, padding_idx=0)
        self.out = torch.nn.Linear(1, 2)
        with torch.no_grad():
            self.embed.weight.copy_(torch.tensor([[0.0], [2.0], [2.0], [0.0]]))
            self.out.weight.copy_(torch.tensor([[0.0], [1.0]]))
            self.out.bias.copy_(torch.tensor([0.0, -1.0]))

    def forward(self, ids):
        return self.out(self.embed(ids).sum(1))


class TrainableWords(Target):
    """A trainable bag of words as docs/plugins.md describes: model, preprocess, weights."""

    output_kind = "class_scores"

    def __init__(self, weights=None, device="cpu") -> None:
        super().__init__(device)
        self.model = Bag().eval()
        if weights is not None:
            load_weights(self.model, weights, "trainable_words")

    def preprocess(self, inputs):
        rows = [[VOCAB.get(w, 3) for w in t.split()] for t in inputs]
        ids = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
        return ids

    def predict(self, inputs):
        return self.model(self.preprocess(inputs))


def test_the_classifier_fine_tuner_trains_a_text_classifier(tmp_path) -> None:
    run = ffade.discover(
        target={"name": f"{HERE}:TrainableWords"},
        dataset={"name": f"{HERE}:Sentences"},
        reward={"name": f"{HERE}:Miss"},
        concepts=[{"name": f"{HERE}:Leet"}],
        explorer="grid",
        budget=24,
        save_dir=tmp_path,
    )
    assert run.summary["failures"] > 0  # 'idiot' as '1d1ot' is no known word
    fix = ffade.mitigate(
        run,
        {"regions": [{"rank": 1, "priority": "high"}]},
        max_epochs=1,
        slices="regions",
        save_dir=tmp_path,
        learning_rate=0.5,
    )
    # the weights as training left them, whatever the guard's verdict: a bag of words this small
    # cannot learn '1d1ot' without its clean sentences, so the guard may well reject the fix
    checkpoint = torch.load(fix.dir / "checkpoints" / "last.ckpt", weights_only=True)
    trained = checkpoint["state_dict"]["network.embed.weight"]
    assert not torch.equal(trained, Bag().embed.weight.detach())
    record = fix.mitigation
    before, after = record["targeted_failure_rate_before"], record["targeted_failure_rate_after"]
    assert not record["accepted"] or after < before  # kept only if it fixed something


class Shout(Concept):
    """Words for values but no check_value of its own, so the base's (numbers only) refuses."""

    neutral = "none"
    default_values = ("none", "upper")

    def __init__(self, values=None, label=None) -> None:
        super().__init__(values, label)

    def apply(self, inputs, value):
        return [t.upper() for t in inputs]


def test_a_words_concept_without_its_own_check_value_is_told_to_define_it() -> None:
    message = (
        rf"^concept '{HERE}:Shout': values\[0\] 'none' is not allowed; expected a finite number; "
        r"Shout takes words: define its check_value$"
    )
    with pytest.raises(ConceptValueError, match=message):
        create("concept", f"{HERE}:Shout")
    with pytest.raises(
        ConceptValueError, match=r"expected a finite number$"
    ):  # a user's word: as before
        create("concept", f"{HERE}:Leet", {"values": [0, "high"]})


class ShoutChecked(Shout):
    """Its own check_value, which calls the base's first, as only a concept of numbers may."""

    def check_value(self, value):
        super().check_value(value)
        if value not in self.default_values:
            raise ConceptValueError(f"concept '{self.label}': value {value!r} is not allowed")


def test_a_words_concept_whose_check_value_calls_the_base_is_told_not_to() -> None:
    message = (
        rf"^concept '{HERE}:ShoutChecked': values\[0\] 'none' is not allowed; expected a finite "
        r"number; "
        r"ShoutChecked takes words: its check_value must not call super\(\)\.check_value$"
    )
    with pytest.raises(ConceptValueError, match=message):
        create("concept", f"{HERE}:ShoutChecked")
