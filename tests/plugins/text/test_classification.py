"""Text classification data and rewards: label_flip, label_confidence_drop, tiny_sentiment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from ffade_text.classification_rewards import LabelConfidenceDrop, LabelFlip
from ffade_text.datasets.classification import TextClassificationDataset, TinySentimentDataset

from ffade import registry
from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS, disjoint_split_indices


def log_probs(*rows: list[float]) -> torch.Tensor:
    return torch.tensor(rows).log()


def test_label_flip_fails_only_when_a_right_answer_turns_wrong() -> None:
    clean = log_probs([0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.6, 0.4])
    edited = log_probs([0.3, 0.7], [0.8, 0.2], [0.9, 0.1], [0.45, 0.55])
    scores = LabelFlip().score(edited, torch.tensor([0, 0, 0, 1]), clean)
    # 1: right -> wrong; 2: still right; 3: was wrong already; 4: wrong -> right
    assert scores.failed.tolist() == [True, False, False, False]
    assert scores.metric.tolist() == pytest.approx([0.6, 0.1, -0.7, -0.15], abs=1e-5)
    assert scores.reward.tolist() == pytest.approx([7.0, -1.0, -1.0, -1.0], abs=1e-4)


@pytest.mark.parametrize("label", [0, 1])
def test_label_flip_reads_a_tie_as_a_wrong_answer_whatever_the_label(label: int) -> None:
    # argmax read a tie as the first class, so a tie unchanged was "right" for label 0 only
    tied = torch.tensor([[0.0, 0.0]]).bfloat16()
    wrong = log_probs([0.1, 0.9], [0.9, 0.1])[label : label + 1]
    right = log_probs([0.9, 0.1], [0.1, 0.9])[label : label + 1]
    labels = torch.tensor([label])
    assert LabelFlip().score(wrong, labels, tied).failed.tolist() == [False]  # nothing to break
    assert LabelFlip().score(tied, labels, right).failed.tolist() == [True]  # right -> a tie


def test_confidence_drop_fails_past_its_threshold() -> None:
    clean = log_probs([0.9, 0.1], [0.9, 0.1])
    edited = log_probs([0.55, 0.45], [0.7, 0.3])
    scores = LabelConfidenceDrop(threshold=0.3).score(edited, torch.tensor([0, 0]), clean)
    assert scores.failed.tolist() == [True, False]
    with pytest.raises(
        FfadeError, match=r"threshold must be a number in \[0, 0\.999999\) \(a drop in"
    ):
        LabelConfidenceDrop(threshold=1.5)
    with pytest.raises(FfadeError, match="none given"):
        LabelFlip().score(edited, torch.tensor([0, 0]))
    # hf_pipeline given one label for a two-class dataset: one line, not gather's IndexError
    one_column = log_probs([1.0], [1.0])
    with pytest.raises(FfadeError, match=r"reference label 1 is past the target's 1 scores"):
        LabelFlip().score(one_column, torch.tensor([0, 1]), one_column)


@pytest.mark.parametrize(
    ("clean", "edited", "threshold"), [(0.75, 0.5, 0.25), (0.8, 0.7, 0.1), (0.9, 0.6, 0.3)]
)
def test_a_confidence_drop_exactly_at_the_threshold_passes(
    clean: float, edited: float, threshold: float
) -> None:
    """plugins/text/README.md: label_confidence_drop fails when the probability falls by *more
    than* ``threshold``. The float32 softmax made 0.75 -> 0.5 a drop of 0.25000006, a failure at
    threshold 0.25; a drop just past the threshold still fails."""
    reward = LabelConfidenceDrop(threshold=threshold)
    unedited = log_probs([clean, 1 - clean], [clean, 1 - clean])
    changed = log_probs([edited, 1 - edited], [edited - 1e-4, 1 - edited + 1e-4])
    scores = reward.score(changed, torch.tensor([0, 0]), unedited)
    assert scores.failed.tolist() == [False, True]
    assert scores.reward[0].item() == -1.0


def test_dataset_maps_label_names_to_indices(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    rows = [{"text": f"t{i}", "label": "pos" if i % 2 else "neg"} for i in range(10)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = TextClassificationDataset(str(path), labels=["pos", "neg"], fractions=(0.5, 0.3, 0.2))
    pairs = [p for split in ("discovery", "finetune", "heldout") for p in data.split(split)]
    assert sorted(t for t, _ in pairs) == sorted(r["text"] for r in rows)
    assert all(y == (0 if int(t[1:]) % 2 else 1) for t, y in pairs)
    with pytest.raises(FfadeError, match="label 'neg' is not one of labels"):
        TextClassificationDataset(str(path), labels=["pos"])
    assert TinySentimentDataset().labels == ["negative", "positive"]
    assert len(TinySentimentDataset().split("discovery")) == 160


def test_bad_fractions_name_the_dataset(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"text": "t", "label": "pos"}) + "\n")
    tail = "must be 3 non-negative numbers summing to at most 1 (for discovery, finetune, heldout)"
    with pytest.raises(FfadeError) as error:
        TextClassificationDataset(str(path), fractions=[0.5, -0.1, 0.2])
    assert str(error.value) == f"dataset 'text_classification': fractions [0.5, -0.1, 0.2] {tail}"
    with pytest.raises(FfadeError) as error:
        TinySentimentDataset(fractions=[1, 1, 1])
    assert str(error.value) == f"dataset 'tiny_sentiment': fractions [1, 1, 1] {tail}"


def test_classification_rewards_refuse_a_summarizers_outputs_in_one_line() -> None:
    """label_flip over summaries (strings) raised torch's 'too many dimensions' traceback."""
    scores = log_probs([0.9, 0.1])
    with pytest.raises(FfadeError, match=r"^reward 'label_flip' needs a classifier's scores"):
        LabelFlip().score(["a summary"], torch.tensor([0]), ["a summary"])
    with pytest.raises(FfadeError, match=r"^reward 'label_confidence_drop' needs class indices"):
        LabelConfidenceDrop().score(scores, ["a reference summary"], scores)


@pytest.mark.parametrize("reward", [LabelFlip(), LabelConfidenceDrop()])
def test_classification_rewards_refuse_a_text_to_image_targets_outputs(reward) -> None:
    """label_flip on tiny_digits_t2i (its outputs a dict of images, prompts and keys) was torch's
    'Could not infer dtype of dict' traceback, exit 1, not a one-line error."""
    images = {"images": torch.zeros(1, 3, 16, 16), "prompts": ["a seven"], "keys": ["k"]}
    with pytest.raises(FfadeError) as error:
        reward.score(images, torch.tensor([7]), images)
    assert "got a dict with keys images, prompts, keys" in str(error.value)
    assert str(error.value).endswith("or for a text-to-image model judge or clip_score")


def test_dataset_reads_whole_number_labels_and_names_its_own_fields(tmp_path: Path) -> None:
    """A JSONL label 0/1 (as most exports write it) was 'no text field label'; the missing-field
    error told a classifier's user to set article_field / summary_field."""
    path = tmp_path / "d.jsonl"
    path.write_text(
        "".join(json.dumps({"text": f"t{i}", "label": i % 2}) + "\n" for i in range(10))
    )
    data = TextClassificationDataset(str(path), labels=[1, 0], fractions=(1.0, 0.0, 0.0))
    assert data.labels == ["1", "0"]
    assert sorted(data.split("discovery")) == sorted((f"t{i}", 1 - i % 2) for i in range(10))
    assert TextClassificationDataset(str(path)).labels == ["0", "1"]
    path.write_text(json.dumps({"text": "t", "sentiment": "pos"}) + "\n")
    with pytest.raises(FfadeError) as error:
        TextClassificationDataset(str(path))
    assert str(error.value) == (  # was "has no text field 'label'", as if a label were text
        f"dataset 'text_classification': {path}: line 1 has no field 'label' (label_field); it "
        "has 'text', 'sentiment' (set text_field / label_field to the fields that hold them)"
    )
    path.write_text(json.dumps({"text": "t", "label": 1.5}) + "\n")
    with pytest.raises(FfadeError, match=r"'label' \(label_field\) holding 1.5, not text or a"):
        TextClassificationDataset(str(path))
    path.write_text(json.dumps({"text": "t", "sentiment": "pos"}) + "\n")
    with pytest.raises(FfadeError, match=r"labels must be a list of label names"):
        TextClassificationDataset(str(path), label_field="sentiment", labels="pos")
    with pytest.raises(FfadeError, match=r"labels repeat a name; each must be unique"):
        TextClassificationDataset(str(path), label_field="sentiment", labels=["pos", "pos"])


def test_numbered_classes_take_their_indices_in_number_order(tmp_path: Path) -> None:
    """Twelve classes 0..11 sorted as text made index 2 the label '10' (0, 1, 10, 11, 2, ...),
    not what a user or a model trained on 0..11 expects; names, or names mixed with numbers,
    still sort as text."""
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"t{i},{i % 12}\n" for i in range(48)))
    data = TextClassificationDataset(str(path), fractions=(1.0, 0.0, 0.0))
    assert data.labels == [str(number) for number in range(12)]
    assert ("t10", 10) in data.split("discovery")
    path.write_text("text,label\na,-1\nb,2\nc,10\nd,02\n")
    assert TextClassificationDataset(str(path)).labels == ["-1", "02", "2", "10"]
    path.write_text("text,label\na,b10\nb,b2\nc,10\nd,2\n")
    assert TextClassificationDataset(str(path)).labels == ["10", "2", "b10", "b2"]


def test_dataset_takes_file_format_as_its_error_advises(tmp_path: Path) -> None:
    path = tmp_path / "reviews.txt"
    path.write_text("text,label\ngood,pos\nbad,neg\n")
    with pytest.raises(FfadeError, match="set 'file_format' when the suffix says otherwise"):
        TextClassificationDataset(str(path))
    data = TextClassificationDataset(str(path), file_format="csv", fractions=(1.0, 0.0, 0.0))
    assert sorted(data.split("discovery")) == [("bad", 0), ("good", 1)]


def test_a_false_threshold_is_refused_not_read_as_a_zero_drop() -> None:
    """YAML's false (also no, off) is a bool, which passed 0 <= threshold < 1 as 0: every drop
    at all failed."""
    with pytest.raises(FfadeError, match=r"got false \(reward 'label_confidence_drop'\)$"):
        registry.create("reward", "label_confidence_drop", {"threshold": False})


def test_a_confidence_drop_error_names_the_reward_as_it_was_registered() -> None:
    """The error said 'label_confidence_drop' whatever name the config used for the reward."""
    registry.register("reward", "shaken", LabelConfidenceDrop)
    try:
        with pytest.raises(FfadeError) as error:
            registry.create("reward", "shaken", {"threshold": 1.5})
    finally:
        registry.unregister("reward", "shaken")
    assert str(error.value) == (
        "task.reward.args.threshold must be a number in [0, 0.999999) (a drop in probability, "
        "at most 1: it must pass the threshold by 1e-06, float32 rounding, so from about "
        "0.999999 up no input can fail), got 1.5 (reward 'shaken')"
    )


def test_a_repeated_text_lands_in_one_split_whatever_its_label(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"  # each of 12 texts three times, once with the other label
    rows = [
        {"text": f"t{i % 12}", "label": ["pos", "neg"][i % 12 % 2 ^ (i >= 24)]} for i in range(36)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for seed in range(10):
        data = TextClassificationDataset(str(path), labels=["pos", "neg"], seed=seed)
        texts = [{t for t, _ in data.split(name)} for name in SPLITS]
        assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2]), seed
        assert sum(len(data.split(name)) for name in SPLITS) == 36


def test_the_bundled_reviews_have_no_copies_and_split_as_before() -> None:
    data = TinySentimentDataset()
    assert len({t for t, _ in data.pairs}) == len(data.pairs) == 800
    plain = disjoint_split_indices(800, (0.2, 0.6, 0.2), 0)
    assert all(data.indices[name].tolist() == plain[name].tolist() for name in SPLITS)


def test_an_infinite_score_is_a_certain_answer_not_nan_probabilities() -> None:
    # softmax of [inf, 0] is NaN: the edit that made a classifier certainly wrong was invalid
    inf = float("inf")
    clean, edited = torch.tensor([[inf, 0.0], [0.0, 0.0]]), torch.tensor([[0.0, inf], [inf, 0.0]])
    scores = LabelFlip().score(edited, torch.tensor([0, 0]), clean)
    assert scores.failed.tolist() == [True, False]
    assert scores.metric.tolist() == [1.0, -0.5]


@pytest.mark.parametrize("threshold", [0.999999, 0.9999995])
def test_a_threshold_within_rounding_of_one_is_refused(threshold: float) -> None:
    """A drop must pass its threshold by 1e-6 and is at most 1: at 0.9999995 no text could fail."""
    with pytest.raises(FfadeError, match=r"threshold must be a number in \[0, 0\.999999\) "):
        registry.create("reward", "label_confidence_drop", {"threshold": threshold})


@pytest.mark.parametrize("reward", [LabelFlip, LabelConfidenceDrop])
def test_float_references_are_refused_not_read_as_truncated_classes(reward) -> None:
    """A label column read as floats (0.7, 1.0) reached ``.long()``, which read 0.7 as class 0
    without a word; such references are refused in one line naming one of them."""
    scores = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    with pytest.raises(FfadeError) as refused:
        reward().score(scores, torch.tensor([0.7, 1.0]), scores)
    assert str(refused.value) == (
        f"reward '{reward.name}' needs class indices as references; the dataset gives "
        "torch.float32 references such as 0.7, which are no class indices: make its split give "
        "each reference as an integer (int(label))"
    )
