"""Classification rewards on hand-made logits whose answers are known."""

from __future__ import annotations

import math

import pytest
import torch
from ffade_vision.rewards import (
    CERTAIN_LOG_ODDS,
    AccuracyDrop,
    ConfidenceDrop,
    Misclassification,
    top1_log_odds,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ffade import registry
from ffade.errors import FfadeError

# row 0: confident and right; row 1: wrong (predicts class 1, label 0)
LOGITS = torch.tensor([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
LABELS = torch.tensor([0, 0])


def test_misclassification_follows_the_paper() -> None:
    scores = Misclassification().score(LOGITS, LABELS)
    assert scores.failed.tolist() == [False, True]
    # miss: p = e^3 / (e^3 + 2), so ln(p / (1 - p)) = 3 - ln 2
    assert scores.reward.tolist() == pytest.approx([-1.0, 10 * (3 - math.log(2))], rel=1e-6)
    true_class = [math.exp(2) / (math.exp(2) + 2), 1 / (math.exp(3) + 2)]
    assert scores.metric.tolist() == pytest.approx(true_class, rel=1e-6)


def test_misclassification_reward_stays_finite_when_the_model_is_certain() -> None:
    scores = Misclassification(scale=1.0, pass_reward=0.0).score(torch.tensor([[500.0, 0.0]]), [1])
    assert scores.failed.item() and scores.reward.item() == pytest.approx(500.0)


def test_a_miss_with_logits_1e38_apart_is_a_finite_failure_not_an_invalid_evaluation() -> None:
    """10 x log-odds of 2e38 overflowed float32 to inf, which the run counts as invalid."""
    logits = torch.tensor([[1e38, -1e38], [1e30, -1e30]])
    scores = Misclassification().score(logits, [1, 1])
    assert scores.failed.tolist() == [True, True]
    assert scores.reward.isfinite().all(), scores.reward
    assert scores.reward[0] == torch.finfo(torch.float32).max
    assert scores.reward[1].item() == pytest.approx(2e31, rel=1e-6)  # a finite miss is paid in full


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=6))
def test_log_odds_match_the_definition(row: list[float]) -> None:
    logits = torch.tensor([row], dtype=torch.float64)
    p = logits.softmax(-1).max().item()
    if p < 1 - 1e-9:
        assert top1_log_odds(logits).item() == pytest.approx(math.log(p / (1 - p)), abs=1e-6)


def test_accuracy_drop_counts_only_answers_the_change_broke() -> None:
    clean = torch.tensor([[2.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, 2.0]])
    changed = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([0, 0, 0, 0])
    reward = AccuracyDrop()
    assert reward.needs_clean_outputs
    scores = reward.score(changed, labels, clean)
    assert scores.failed.tolist() == [True, False, False, False]
    assert scores.metric.tolist() == [1.0, 0.0, 0.0, -1.0]
    assert scores.reward.tolist() == pytest.approx([10.0, -1.0, -1.0, -1.0])  # |ln(e/1)| = 1
    with pytest.raises(FfadeError, match=r"reward 'accuracy_drop'.*clean_outputs=None"):
        registry.create("reward", "accuracy_drop").score(changed, labels)


def test_confidence_drop_uses_the_threshold() -> None:
    clean = torch.tensor([[3.0, 0.0], [3.0, 0.0], [0.0, 0.0]])
    changed = torch.tensor([[0.0, 0.0], [2.5, 0.0], [3.0, 0.0]])
    labels = torch.tensor([0, 0, 0])
    p = torch.tensor([3.0, 0.0]).softmax(-1)[0].item()
    scores = ConfidenceDrop(threshold=0.3).score(changed, labels, clean)
    assert scores.failed.tolist() == [True, False, False]
    assert scores.metric[0].item() == pytest.approx(p - 0.5)
    assert scores.metric[2].item() < 0, "confidence rose"
    assert scores.reward[0].item() == pytest.approx(10 * (p - 0.5))
    assert ConfidenceDrop.needs_clean_outputs
    with pytest.raises(
        FfadeError, match=r"threshold must be a number in \[0, 0\.999999\) \(a drop in"
    ):
        ConfidenceDrop(threshold=1.5)


@pytest.mark.parametrize(
    ("clean", "changed", "threshold"), [(0.75, 0.5, 0.25), (0.8, 0.7, 0.1), (0.9, 0.6, 0.3)]
)
def test_a_confidence_drop_exactly_at_the_threshold_passes(
    clean: float, changed: float, threshold: float
) -> None:
    """plugins/vision/README.md: a failure is a drop of *more than* ``threshold``. The float32
    softmax made 0.75 -> 0.5 a drop of 0.25000003, so it failed at threshold 0.25; a drop just
    past the threshold still fails."""

    def logits(*p: float) -> torch.Tensor:
        return torch.tensor([[math.log(q) for q in p] + [math.log(1 - sum(p))]])

    labels = torch.tensor([0, 0])
    clean_logits = torch.cat([logits(clean), logits(clean)])
    changed_logits = torch.cat([logits(changed), logits(changed - 1e-4)])
    scores = ConfidenceDrop(threshold=threshold).score(changed_logits, labels, clean_logits)
    assert scores.failed.tolist() == [False, True]
    assert scores.reward[0].item() == -1.0


def test_shapes_are_checked() -> None:
    with pytest.raises(FfadeError, match=r"logits \(B, num_classes\)"):
        Misclassification().score(torch.zeros(3), torch.zeros(3))
    with pytest.raises(FfadeError, match="do not match"):
        AccuracyDrop().score(LOGITS, LABELS, LOGITS[:1])
    with pytest.raises(FfadeError, match=r"mask of accepted classes"):
        Misclassification().score(LOGITS, torch.ones(2, 2, 3, dtype=torch.bool))
    # a target scoring 3 classes of a 10-class dataset: one line, not one_hot's RuntimeError
    with pytest.raises(FfadeError, match=r"reference label 7 is past the target's 3 scores"):
        Misclassification().score(torch.zeros(2, 3), torch.tensor([1, 7]))
    # sample_photos' masks over 1,000 ImageNet classes, judged by a 10-class target
    with pytest.raises(FfadeError, match=r"masks over 1000 classes but the target scores 10;"):
        Misclassification().score(torch.zeros(2, 10), torch.zeros(2, 1000, dtype=torch.bool))


def test_a_mask_of_accepted_classes_counts_any_of_them_as_right() -> None:
    # row 0 predicts class 0, row 1 class 1; both accept {0, 1}, row 2 only {2}
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 3.0, 0.0]])
    accepted = torch.tensor([[True, True, False], [True, True, False], [False, False, True]])
    scores = Misclassification().score(logits, accepted)
    assert scores.failed.tolist() == [False, False, True]
    probabilities = logits.softmax(-1)
    expected = [probabilities[0, :2].sum(), probabilities[1, :2].sum(), probabilities[2, 2]]
    assert scores.metric.tolist() == pytest.approx([float(p) for p in expected], rel=1e-6)
    clean = torch.tensor([[0.0, 2.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 2.0]])
    drop = AccuracyDrop().score(logits, accepted, clean)
    assert drop.failed.tolist() == [False, False, True]  # row 1 was already wrong
    assert drop.metric.tolist() == [0.0, -1.0, 1.0]


def test_labels_score_exactly_as_the_true_class_probability() -> None:
    """Integer labels keep their meaning bit for bit: same metric, same failures as before sets."""
    logits = torch.randn(64, 1000, generator=torch.Generator().manual_seed(0)) * 4
    labels = torch.randint(0, 1000, (64,), generator=torch.Generator().manual_seed(1))
    labels[:8] = logits[:8].argmax(-1)
    scores = Misclassification().score(logits, labels)
    assert torch.equal(scores.metric, logits.softmax(-1).gather(-1, labels[:, None]).squeeze(-1))
    assert torch.equal(scores.failed, logits.argmax(-1) != labels)
    mask = torch.nn.functional.one_hot(labels, 1000).bool()
    assert torch.equal(Misclassification().score(logits, mask).metric, scores.metric)


@pytest.mark.parametrize("reward", [Misclassification(), AccuracyDrop(), ConfidenceDrop()])
def test_a_summarizers_strings_are_a_one_line_error(reward) -> None:
    """misclassification over a summarizer's outputs raised torch's 'too many dimensions str'."""
    with pytest.raises(FfadeError, match=r"^classification rewards need a classifier's logits"):
        reward.score(["a summary"], ["a reference"], ["a summary"])


@pytest.mark.parametrize("reward", [Misclassification(), AccuracyDrop(), ConfidenceDrop()])
def test_a_text_to_image_targets_outputs_are_a_one_line_error(reward) -> None:
    """misclassification on tiny_digits_t2i (a dict of images, prompts and keys) was torch's
    'Could not infer dtype of dict' traceback, exit 1; the judge reward is what reads images."""
    images = {"images": torch.zeros(1, 3, 16, 16), "prompts": ["a seven"], "keys": ["k"]}
    with pytest.raises(FfadeError) as error:
        reward.score(images, torch.tensor([7]), images)
    assert "got dict with keys images, prompts, keys and Tensor" in str(error.value)
    assert str(error.value).endswith("a text-to-image model judge or clip_score")


def test_a_target_that_declares_no_output_kind_is_scored_as_before() -> None:
    """``callable`` may return labels or scores: it declares nothing, and no reward refuses it."""
    from ffade.callable_target import CallableTarget
    from ffade.task import check_declared_kinds

    target = CallableTarget(lambda x: x, num_classes=3)
    assert target.output_kind is None
    check_declared_kinds(Misclassification(), target)
    with pytest.raises(FfadeError, match=r"^reward 'Misclassification' needs a classifier's"):
        check_declared_kinds(Misclassification(), registry.create("target", "synthetic"))


def test_a_false_threshold_is_refused_not_read_as_a_zero_drop() -> None:
    """YAML's false (also no, off) is a bool, which passed 0 <= threshold < 1 as 0."""
    with pytest.raises(FfadeError, match=r"got false \(reward 'confidence_drop'\)$"):
        registry.create("reward", "confidence_drop", {"threshold": False})


def test_a_confidence_drop_error_names_the_reward_as_it_was_registered() -> None:
    """The error said 'confidence_drop' whatever name the config used for the reward."""
    registry.register("reward", "shaken", ConfidenceDrop)
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


@pytest.mark.parametrize("label", [0, 1])
def test_a_tie_for_the_top_is_a_miss_whatever_the_classes_order(label: int) -> None:
    # the label ties with a wrong class: argmax read the first listed as the answer, so label 0
    # passed and label 1 failed on the same scores
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        logits = torch.tensor([[2.0, 2.0, 0.0]], dtype=dtype)
        assert Misclassification().score(logits, torch.tensor([label])).failed.tolist() == [True]
    # a tie between two accepted classes is still right
    both = torch.tensor([[True, True, False]])
    assert Misclassification().score(torch.tensor([[2.0, 2.0, 0.0]]), both).failed.tolist() == [
        False
    ]
    # accuracy_drop: a tie unchanged was no right answer, so a wrong one after broke nothing
    tied, wrong = torch.tensor([[1.0, 1.0]]), torch.tensor([[0.0, 5.0], [5.0, 0.0]])
    drop = AccuracyDrop().score(wrong[label : label + 1], torch.tensor([label]), tied)
    assert drop.failed.tolist() == [False] and drop.metric.tolist() == [0.0]


def test_a_miss_at_one_half_earns_more_than_a_pass_and_a_certain_miss_counts() -> None:
    # top-1 probability exactly 1/2: log-odds 0, which paid 0, no more than pass_reward 0
    half = torch.tensor([[0.5, 0.25, 0.25]]).log()
    scores = Misclassification(pass_reward=0.0).score(half, torch.tensor([1]))
    assert scores.failed.tolist() == [True]
    assert scores.reward.item() > 0
    # log-probabilities of a certain miss: infinite log-odds, which the run counted invalid
    certain = torch.tensor([[float("-inf"), 0.0]])
    for reward in (Misclassification(), AccuracyDrop()):
        scores = reward.score(certain, torch.tensor([0]), torch.tensor([[0.0, float("-inf")]]))
        assert scores.failed.tolist() == [True]
        assert math.isfinite(scores.reward.item()) and scores.reward.item() > 0
        assert math.isfinite(scores.metric.item())
    # a NaN score stays NaN, for the run to count invalid
    nan = Misclassification().score(torch.tensor([[float("nan"), 0.0]]), torch.tensor([0]))
    assert math.isnan(nan.metric.item()) and math.isnan(nan.reward.item())


def test_confidence_drop_at_its_threshold_passes() -> None:
    # "fell by more than threshold": a drop of exactly the threshold passes
    clean, now = torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0, 1.0]])
    assert ConfidenceDrop(threshold=0.0).score(now, torch.tensor([0]), clean).failed.tolist() == [
        False
    ]


def test_accuracy_drop_scores_a_nan_unchanged_or_changed_as_nan() -> None:
    # a NaN on the unchanged image read as "was wrong", a pass with metric -1, not invalid
    nan, right = torch.tensor([[float("nan"), 0.0]]), torch.tensor([[0.0, 5.0]])
    for changed, clean in ((right, nan), (nan, right)):
        scores = AccuracyDrop().score(changed, torch.tensor([1]), clean)
        assert math.isnan(scores.metric.item())


def test_an_infinite_logit_is_a_certain_answer_not_an_invalid_evaluation() -> None:
    # softmax of [inf, 0, 0] is NaN: a right, certain answer was counted invalid, and a certain
    # miss too, while the guard counted a NaN metric as failed
    inf = float("inf")
    logits = torch.tensor([[inf, 0.0, 0.0], [inf, 0.0, 0.0], [inf, inf, 0.0]])
    scores = Misclassification().score(logits, torch.tensor([0, 1, 0]))
    assert scores.failed.tolist() == [False, True, True]
    assert scores.metric.tolist() == [1.0, 0.0, 0.5]  # the softmax's limit
    # a certain miss counts CERTAIN_LOG_ODDS, a tie of two infinite classes log-odds 0
    assert scores.reward.tolist() == pytest.approx([-1.0, 10 * CERTAIN_LOG_ODDS, 0.0])
    clean = torch.tensor([[inf, 0.0, 0.0]] * 3)
    drop = ConfidenceDrop(threshold=0.1).score(logits, torch.tensor([0, 1, 0]), clean)
    assert drop.metric.tolist() == [0.0, 0.0, 0.5]
    assert drop.failed.tolist() == [False, False, True]
    # a NaN among infinities is no answer: still invalid
    nan = Misclassification().score(torch.tensor([[inf, float("nan")]]), torch.tensor([0]))
    assert math.isnan(nan.metric.item())


@pytest.mark.parametrize("threshold", [0.999999, 0.9999995])
def test_a_threshold_within_rounding_of_one_is_refused(threshold: float) -> None:
    """A drop must pass its threshold by 1e-6 and is at most 1: at 0.9999995 no input could fail,
    and the search would have run to the end finding nothing."""
    with pytest.raises(FfadeError, match=r"threshold must be a number in \[0, 0\.999999\) "):
        registry.create("reward", "confidence_drop", {"threshold": threshold})
    reward = registry.create("reward", "confidence_drop", {"threshold": 0.999998})
    certain = torch.tensor([[0.0, 100.0]])  # all on class 1, then all on class 0
    assert reward.score(certain.flip(-1), [1], clean_outputs=certain).failed.tolist() == [True]


def test_float_references_are_refused_not_read_as_truncated_classes() -> None:
    """A label column read as floats (pandas, sklearn) reached the rewards as 0.0/1.0, and
    ``.long()`` read a 0.7 as class 0 without a word, while the classifier fine-tuner refused the
    same run's references later; they are refused at the first score, naming one of them."""
    with pytest.raises(FfadeError) as refused:
        Misclassification().score(torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0.7, 1.0]))
    assert str(refused.value) == (
        "classification rewards need class indices as references (or a boolean mask of the "
        "classes that count as right); the dataset gives torch.float32 references such as 0.7, "
        "which are no class indices: make its split give each reference as an integer (int(label))"
    )
