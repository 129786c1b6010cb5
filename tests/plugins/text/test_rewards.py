"""BLEU and ROUGE-L rewards: absolute scores, drops from the clean summary, thresholds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from ffade_text.rewards import corpus_scores, rouge_l, sentence_bleu

from ffade import registry
from ffade.errors import FfadeError
from tests.helpers import ffade_in_process

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
REFERENCE = "Riverton council approves 40 million dollar budget for schools and roads."
GOOD = REFERENCE
BAD = "Storm floods homes."


def test_metrics_range() -> None:
    assert sentence_bleu(GOOD, REFERENCE) == pytest.approx(100.0)
    assert rouge_l(GOOD, REFERENCE) == pytest.approx(1.0)
    assert sentence_bleu(BAD, REFERENCE) < 10 and rouge_l(BAD, REFERENCE) < 0.2
    bleu, rouge = corpus_scores([GOOD, BAD], [REFERENCE, REFERENCE])
    assert 45 < bleu < 60 and rouge == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["bleu", "rougel"])
def test_absolute_rewards(name: str) -> None:
    reward = registry.create("reward", name)
    assert not reward.needs_clean_outputs
    scores = reward.score([GOOD, BAD], [REFERENCE, REFERENCE])
    assert scores.failed.tolist() == [False, True]
    assert scores.reward[0] == -1 and scores.reward[1] > 0


def test_a_rougel_drop_of_exactly_a_typed_threshold_passes() -> None:
    """rougel_drop fails when ROUGE-L F1 falls by *more than* ``threshold``. One word of ten
    changed takes F1 from 1.0 to 0.9, which float32 made a drop of 0.10000002: a failure at
    threshold 0.1. A drop of 0.1 passes; one just past it still fails."""
    reference = "the council approved the new budget for schools and roads today"
    reference = " ".join(reference.split()[:10])
    edited = reference.replace("budget", "plan")
    assert rouge_l(edited, reference) == 0.9
    scores = registry.create("reward", "rougel_drop", {"threshold": 0.1}).score(
        [edited], [reference], [reference]
    )
    assert scores.failed.tolist() == [False] and scores.reward.item() == -1.0
    past = registry.create("reward", "rougel_drop", {"threshold": 0.0999})
    assert past.score([edited], [reference], [reference]).failed.tolist() == [True]


@pytest.mark.parametrize(("name", "threshold"), [("bleu_drop", 20.0), ("rougel_drop", 0.2)])
def test_drop_rewards_compare_with_the_clean_summary(name: str, threshold: float) -> None:
    reward = registry.create("reward", name, {"threshold": threshold})
    assert reward.needs_clean_outputs
    # edited summaries: unchanged, broken, and broken where the clean one was already bad
    scores = reward.score([GOOD, BAD, BAD], [REFERENCE] * 3, clean_outputs=[GOOD, GOOD, BAD])
    assert scores.failed.tolist() == [False, True, False]
    assert scores.metric[0] == 0 and scores.metric[2] == 0 and scores.metric[1] > threshold
    assert torch.equal(scores.reward[[0, 2]], torch.tensor([-1.0, -1.0]))
    assert 0 < scores.reward[1] <= 10


@pytest.mark.parametrize(
    "summary",
    [
        "Совет Ривертона утвердил бюджет школ.",  # Cyrillic
        "里弗顿议会批准学校预算",  # Chinese: no spaces between words
        "Le conseil a approuvé le budget à Zürich.",
    ],
)
def test_rouge_l_reads_every_script(summary: str) -> None:
    """rouge-score keeps only [a-z0-9]: a perfect Russian or Chinese summary scored 0 and
    failed, whatever the model wrote."""
    assert rouge_l(summary, summary) == pytest.approx(1.0)
    scores = registry.create("reward", "rougel").score([summary], [summary])
    assert scores.failed.tolist() == [False]
    assert rouge_l(BAD, summary) == 0.0


def test_a_perfect_summary_scores_exactly_the_top_of_the_documented_range() -> None:
    """sacrebleu scored an identical summary 100.00000000000004, above BLEU's [0, 100]."""
    assert sentence_bleu(GOOD, REFERENCE) == 100.0
    assert corpus_scores([GOOD] * 3, [REFERENCE] * 3)[0] == 100.0
    assert 0.0 <= sentence_bleu(BAD, REFERENCE) <= 100.0


@pytest.mark.parametrize("summary", ["😀😀 🎉", "🌧️🏠🌊", "...", "Budget approved 🎉"])
def test_a_summary_identical_to_its_reference_scores_the_maximum_without_words(
    summary: str,
) -> None:
    """A summary of emoji (or marks) alone had no word tokens: ROUGE-L scored it 0 against
    itself, and rougel failed it, while BLEU gave 100."""
    assert rouge_l(summary, summary) == 1.0
    assert sentence_bleu(summary, summary) == 100.0
    assert registry.create("reward", "rougel").score([summary], [summary]).failed.tolist() == [
        False
    ]


def test_rouge_l_counts_emoji_as_words_and_leaves_punctuation_out() -> None:
    assert rouge_l("😀😀", "😀😀 🎉") == pytest.approx(0.8)  # LCS 2 of 2 and of 3
    assert rouge_l("🎉", "😀") == 0.0
    assert rouge_l("budget, approved!", "Budget approved.") == 1.0
    assert rouge_l("", "") == 0.0 and rouge_l("!", "?") == 0.0


def test_rouge_l_keeps_accented_words_whole() -> None:
    # rouge-score cut "approuvé" to "approuv", so "approuv" matched it in full
    assert rouge_l("budget approuv", "budget approuvé") == pytest.approx(0.5)
    assert rouge_l("cafe\u0301 ouvert", "café ouvert") == pytest.approx(1.0)  # NFD read as NFC


def test_bleu_reads_a_decomposed_accent_as_its_letter() -> None:
    """sacrebleu compares code points: "été" written e + U+0301 scored 0 against the composed
    "été", identical on the page, where ROUGE-L read both as NFC and gave 1."""
    decomposed = "L'e\u0301te\u0301 est chaud a\u0300 Paris"
    assert sentence_bleu(decomposed, "L'été est chaud à Paris") == 100.0
    bleu = registry.create("reward", "bleu").score([decomposed], ["L'été est chaud à Paris"])
    assert not bleu.failed.item()


def test_empty_summaries_score_zero_and_fail_only_when_the_edit_emptied_them() -> None:
    """An empty summary scores 0 (a failure for bleu and rougel); the drop rewards blame the
    edit only when the unedited article's summary was not empty too."""
    for name in ("bleu", "rougel"):
        scores = registry.create("reward", name).score(["", " "], [REFERENCE, REFERENCE])
        assert scores.metric.tolist() == [0.0, 0.0] and scores.failed.tolist() == [True, True]
    for name in ("bleu_drop", "rougel_drop"):
        reward = registry.create("reward", name)
        scores = reward.score(["", ""], [REFERENCE] * 2, clean_outputs=[GOOD, ""])
        assert scores.failed.tolist() == [True, False] and scores.metric[1] == 0


BLEU_RANGE = (
    "(0, 100] (BLEU's range; at 0, or at a number float32 rounds to 0, no summary can fail)"
)
ROUGEL_RANGE = (
    "(0, 1] (ROUGE-L F1's range; at 0, or at a number float32 rounds to 0, no summary can fail)"
)
BLEU_DROP_RANGE = (
    "[0, 99.9999) (a drop in BLEU, at most 100: it must pass the threshold by 0.0001, float32 "
    "rounding, so from about 99.9999 up no edit can fail)"
)
ROUGEL_DROP_RANGE = (
    "[0, 0.999999) (a drop in ROUGE-L F1, at most 1: it must pass the threshold by 1e-06, "
    "float32 rounding, so from about 0.999999 up no edit can fail)"
)


def test_reward_errors() -> None:
    with pytest.raises(FfadeError, match="clean_outputs=None"):
        registry.create("reward", "bleu_drop").score([GOOD], [REFERENCE])
    # named as the scale error names its key, and 101 said as typed, not as 101.0
    said = (
        "task.reward.args.threshold must be a number in (0, 100] (BLEU's range; at 0, or at a "
        "number float32 rounds to 0, no summary can fail), got 101 "
    )
    with pytest.raises(FfadeError, match=re.escape(said + "(reward 'bleu')")):
        registry.create("reward", "bleu", {"threshold": 101})
    with pytest.raises(FfadeError, match="got 1 references for 2 summaries"):
        registry.create("reward", "rougel").score([GOOD, BAD], [REFERENCE])


@pytest.mark.parametrize("name", ["bleu", "rougel", "bleu_drop", "rougel_drop"])
@pytest.mark.parametrize("threshold", [True, False])
def test_a_yes_or_no_threshold_is_refused_not_read_as_one_or_zero(name: str, threshold: bool):
    """YAML's true (also yes, on) is a bool, which Python's float() read as 1: bleu_drop with
    ``threshold: true`` searched for drops of 1 BLEU point, and ``false`` failed every drop."""
    with pytest.raises(FfadeError) as error:
        registry.create("reward", name, {"threshold": threshold})
    said = str(error.value)
    assert said.startswith("task.reward.args.threshold must be a number in "), said
    assert said.endswith(f"got {str(threshold).lower()} (reward '{name}')"), said


def test_a_yes_threshold_on_the_command_line_is_one_error_line(tmp_path) -> None:
    done = ffade_in_process(
        "fit",
        "--config",
        str(CONFIGS / "text_quickstart.yaml"),
        "--model.init_args.task.reward.args.threshold=true",
        cwd=tmp_path,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "ffade: error: model.init_args.task.reward.args.threshold must be a number in "
        f"{BLEU_DROP_RANGE}, got true (reward 'bleu_drop')"
    )


@pytest.mark.parametrize(
    ("name", "threshold", "allowed"),
    [
        ("bleu", 0, BLEU_RANGE),
        ("rougel", 0, ROUGEL_RANGE),
        ("bleu_drop", 100, BLEU_DROP_RANGE),
        ("rougel_drop", 1, ROUGEL_DROP_RANGE),
        # within float32 rounding of the end: no drop passes 99.99995 by the 0.0001 of rounding
        ("bleu_drop", 99.99995, BLEU_DROP_RANGE),
        ("bleu_drop", 99.9999, BLEU_DROP_RANGE),
        ("rougel_drop", 0.9999995, ROUGEL_DROP_RANGE),
        ("bleu", 1e-50, BLEU_RANGE),  # float32 reads it as 0, and no score is below 0
    ],
)
def test_a_threshold_at_which_nothing_can_fail_is_refused(name, threshold, allowed) -> None:
    """No score is below 0 and no drop is above the full scale (a perfect summary to a score of
    0, then a drop must also pass rounding): these thresholds took a whole search that could
    never find a failure."""
    said = f"task.reward.args.threshold must be a number in {allowed}, got {threshold} "
    with pytest.raises(FfadeError, match=re.escape(said + f"(reward '{name}')") + "$"):
        registry.create("reward", name, {"threshold": threshold})


@pytest.mark.parametrize(
    ("name", "threshold"),
    [("bleu", 100), ("rougel", 1), ("bleu_drop", 0), ("bleu_drop", 99.9998), ("bleu", 1e-30)],
)
def test_a_threshold_at_the_far_end_still_decides(name: str, threshold: float) -> None:
    """Only a perfect summary passes bleu 100 / rougel 1; any loss fails a drop of 0. Just inside
    the rounding limits, the empty summary (BLEU 0, a drop of 100) still fails."""
    reward = registry.create("reward", name, {"threshold": threshold})
    clean = [REFERENCE, REFERENCE] if name.endswith("_drop") else None
    scores = reward.score([REFERENCE, ""], [REFERENCE, REFERENCE], clean)
    assert scores.failed.tolist() == [False, True]


def test_a_classifiers_logits_are_refused_with_what_they_are_and_the_reward_to_use() -> None:
    with pytest.raises(FfadeError) as error:
        registry.create("reward", "bleu").score(torch.zeros(2, 10), torch.tensor([3, 1]))
    assert str(error.value) == (
        "reward 'bleu': summaries must be a list of strings, got a Tensor of shape (2, 10); "
        "'bleu' scores a summarizer's texts against reference texts (a classifier takes "
        "label_flip, label_confidence_drop or misclassification)"
    )
    with pytest.raises(FfadeError, match=r"references must be a list of strings, got a list;"):
        registry.create("reward", "rougel").score([GOOD], [3])


def test_plugins_lists_each_summary_rewards_default_threshold() -> None:
    """The README's defaults (20 BLEU points, ROUGE-L 0.3, drops of 20 and 0.2) are what a user
    reads in ``ffade plugins reward``, not ``threshold=None``."""
    result = ffade_in_process("plugins", "reward")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name, default in [
        ("bleu", 20.0),
        ("rougel", 0.3),
        ("bleu_drop", 20.0),
        ("rougel_drop", 0.2),
    ]:
        row = next(i for i, line in enumerate(lines) if line.startswith(f"  {name}  ("))
        assert f"args: threshold={default}, scale=10.0, pass_reward=-1.0" in lines[row + 2]
        assert registry.create("reward", name).threshold == default


def test_a_score_or_drop_exactly_at_the_threshold_passes() -> None:
    """bleu and rougel fail *below* threshold, the drops fail by *more than* it."""
    reference, summary = "the council approved the budget today", "the council approved a budget"
    bleu, rouge = sentence_bleu(summary, reference), rouge_l(summary, reference)
    at = {
        "bleu": (bleu, [summary]),
        "rougel": (rouge, [summary]),
        "bleu_drop": (100 - bleu, [summary], [reference]),
        "rougel_drop": (1 - rouge, [summary], [reference]),
    }
    for name, (threshold, outputs, *clean) in at.items():
        reward = registry.create("reward", name, {"threshold": threshold, "pass_reward": 0.0})
        scores = reward.score(outputs, [reference], *clean)
        assert scores.failed.tolist() == [False], name
        # a hair past it fails, and the failure pays more than the pass
        past = threshold - 1e-3 if name.endswith("_drop") else threshold + 1e-3
        failing = registry.create("reward", name, {"threshold": past, "pass_reward": 0.0})
        scores = failing.score(outputs, [reference], *clean)
        assert scores.failed.tolist() == [True] and scores.reward.item() > 0, name


def test_rouge_l_keeps_vowel_signs_with_their_letters() -> None:
    """Python's \\w has no combining marks: Hindi and Thai words fell into pieces at their vowel
    signs ("मंजूरी" into "म", "ज", "र"), and summaries sharing no word shared pieces of them."""
    assert rouge_l("बजट को मंजूरी", "बजट को मंजूर") == pytest.approx(2 / 3)  # not 0.8, in pieces
    assert rouge_l("मिला", "मुला") == 0.0  # two words, not two shared letters
    # Thai writes no spaces between words: each letter with its signs is a word, as in Chinese
    assert rouge_l("อนุมัติงบ", "อนุมัติ") == pytest.approx(2 * 4 / 6 / (4 / 6 + 1))
    assert rouge_l("สภาเมือง", "สภาเมือง") == 1.0


def test_rouge_l_reads_one_emoji_as_one_word() -> None:
    """A skin tone, a joiner or a flag's second letter was no part of its emoji: "👍🏿" matched
    "👍🏽", a family of three joined was three people, and a flag's letters were two words."""
    assert rouge_l("Great 👍🏿 job", "Great 👍🏽 job") == pytest.approx(2 / 3)
    assert rouge_l("👨 👩 👧", "👨\u200d👩\u200d👧") == 0.0
    assert rouge_l("🇷🇫", "🇫🇷") == 0.0
    assert rouge_l("I ❤️ it", "I ❤️ it!") == 1.0
