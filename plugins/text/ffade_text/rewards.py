"""Summary rewards: BLEU (sacrebleu) and ROUGE-L (rouge-score) against the reference summary.

``bleu`` and ``rougel`` judge a summary by its own score: it fails below ``threshold``.
``bleu_drop`` and ``rougel_drop`` judge what the edit did: the score of the summary of the
unedited article minus that of the edited one, so an article the model never summarized well is
not blamed on the edit; it fails when the drop exceeds ``threshold``.

Units are each library's own: BLEU in [0, 100] points, ROUGE-L F1 in [0, 1]. The RL reward
follows the paper's shape: a failure earns ``scale`` times its depth on [0, 1] (BLEU divided by
100), a pass costs ``pass_reward``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

import torch

from ffade.errors import (
    FfadeError,
    require_pass_reward,
    require_plugin_number,
    require_positive_arg,
)
from ffade.plugin_api import Reward, Scores
from ffade.thresholds import (
    as_compared,
    drop_exceeds,
    drop_threshold_decides,
    drop_threshold_range,
)
from ffade_text.marks import COMBINING_MARKS


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """sacrebleu's sentence BLEU in [0, 100], with its default smoothing (exp).

    Clamped to [0, 100]: sacrebleu's exp(log) scores a summary identical to its reference
    100.00000000000004, above the documented range, in summary.json's clean BLEU and against a
    threshold of 100.

    Both texts are read as NFC, as :func:`rouge_l` reads them: sacrebleu compares code points,
    so a summary identical to its reference but for a decomposed accent ("e" + U+0301 for "é")
    scored 0 where ROUGE-L gave it 1.
    """
    import sacrebleu

    hypothesis, reference = (unicodedata.normalize("NFC", t) for t in (hypothesis, reference))
    score = float(sacrebleu.sentence_bleu(hypothesis, [reference]).score)
    return min(max(score, 0.0), 100.0)


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao, Myanmar, Khmer
_EMOJI_TAIL = "(?:[\U0001f3fb-\U0001f3ff\ufe0e\ufe0f\u20e3\U000e0020-\U000e007f]|\u200d[^\\w\\s])*"
_WORDS = re.compile(
    f"(?P<word>[{_CJK}]|[{_UNSPACED}]{COMBINING_MARKS}|(?:[^\\W_{_CJK}{_UNSPACED}]{COMBINING_MARKS})+)"
    f"|[\U0001f1e6-\U0001f1ff]{{2}}|[^\\w\\s]{_EMOJI_TAIL}"
)
"""A Chinese or Japanese character alone (those scripts put no spaces between words), and so a
Thai, Lao, Myanmar or Khmer letter with its vowel signs; else a run of letters and digits in any
script with their combining marks (Python's ``\\w`` has none: "सूची" and "อนุมัติ" fell into
pieces at their vowel signs); else one other visible character, kept as a word only when it is a
symbol such as an emoji (:func:`_is_word`), with what makes it one emoji: a skin tone ("👍🏽" is
not "👍🏿"), a variation selector, a keycap, a joined sequence ("👨‍👩‍👧" is one family, not three
people), a flag's two letters ("🇫🇷")."""


def _is_word(match: re.Match[str]) -> bool:
    """Words, and emoji and other symbols (Unicode category So) one by one: a summary of emoji
    alone had no words, so it scored 0 against itself. No ASCII character is in So, so ASCII
    text keeps rouge-score's own tokens; punctuation stays out, as there."""
    return match["word"] is not None or unicodedata.category(match[0][0]) == "So"


class _WordTokenizer:
    """rouge-score's own tokenizer (lowercase, letters and digits, Porter stems of words longer
    than 3 characters) for every script: rouge-score keeps only ``[a-z0-9]``, so a Russian or
    Chinese summary identical to its reference scored 0 and failed, and an accented word fell
    apart ("approuvé" into "approuv"). ASCII text gets the very same tokens."""

    def __init__(self) -> None:
        from nltk.stem import porter  # what rouge-score stems with

        self.stemmer = porter.PorterStemmer()

    def tokenize(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFC", text).lower()
        words = [m[0] for m in _WORDS.finditer(text) if _is_word(m)]
        return [self.stemmer.stem(w) if len(w) > 3 else w for w in words]


@cache
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_WordTokenizer())


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F1 in [0, 1] (longest common subsequence of stemmed, lowercased words and
    symbols, in any script).

    A summary identical to its reference (NFC, outer spaces aside) scores 1 even with no word
    at all ("..."): rouge-score gives 0 to a text without tokens, where BLEU gives 100. Texts with
    words score 1 on their own, so nothing else changes. An empty summary still scores 0.
    """
    same = unicodedata.normalize("NFC", hypothesis).strip()
    if same and same == unicodedata.normalize("NFC", reference).strip():
        return 1.0
    return float(_rouge_scorer().score(reference, hypothesis)["rougeL"].fmeasure)


def corpus_scores(hypotheses: Sequence[str], references: Sequence[str]) -> tuple[float, float]:
    """Mean sentence BLEU and mean ROUGE-L F1 over pairs: the numbers fine-tuning guards."""
    if len(hypotheses) != len(references) or not hypotheses:
        raise FfadeError(
            f"need as many summaries as references (and at least one); got {len(hypotheses)} "
            f"and {len(references)}"
        )
    pairs = list(zip(hypotheses, references, strict=True))
    bleu = sum(sentence_bleu(h, r) for h, r in pairs) / len(pairs)
    rouge = sum(rouge_l(h, r) for h, r in pairs) / len(pairs)
    return bleu, rouge


def _texts(name: str, what: str, values: Any, count: int | None = None) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        shape = getattr(values, "shape", None)
        got = type(values).__name__ + (f" of shape {tuple(shape)}" if shape is not None else "")
        raise FfadeError(
            f"reward '{name}': {what} must be a list of strings, got a {got}; '{name}' scores "
            "a summarizer's texts against reference texts (a classifier takes label_flip, "
            "label_confidence_drop or misclassification)"
        )
    values = list(values)
    if count is not None and len(values) != count:
        raise FfadeError(f"reward '{name}': got {len(values)} {what} for {count} summaries")
    return values


class _SummaryReward(Reward):
    """Shared scoring of summaries against references with one metric.

    Args:
        threshold: where failure starts. Each subclass's own ``__init__`` gives its default
            (BLEU points or ROUGE-L F1), so that ``ffade plugins`` lists it rather than a None.
        scale: multiplies the depth of a failure on [0, 1] (the paper uses 10).
        pass_reward: the reward of a summary that did not fail (the paper uses -1).
    """

    metric_name: ClassVar[str] = ""
    full_scale: ClassVar[float] = 1.0  # the metric's maximum: 100 for BLEU, 1 for ROUGE-L
    output_kinds = ("texts",)

    def __init__(self, threshold: float, scale: float = 10.0, pass_reward: float = -1.0) -> None:
        self.threshold = require_plugin_number(  # true is no 1: YAML's yes is refused
            self,
            "reward",
            "threshold",
            threshold,
            value_ok=self.threshold_ok,
            what=self.threshold_range(),
        )
        self.scale = require_positive_arg(self, "reward", "scale", scale)
        self.pass_reward = require_pass_reward(self, pass_reward)

    def threshold_ok(self, threshold: float) -> bool:
        """Whether ``threshold`` lets some summaries fail and others pass; one at which none can
        fail would spend a whole search finding nothing."""
        raise NotImplementedError

    def threshold_range(self) -> str:
        """The thresholds :meth:`threshold_ok` takes, as the error line says them."""
        raise NotImplementedError

    def metric(self, hypothesis: str, reference: str) -> float:
        raise NotImplementedError

    def _scores(self, outputs: Any, references: Any) -> torch.Tensor:
        name = self.plugin_name or type(self).__name__
        outputs = _texts(name, "summaries", outputs)
        references = _texts(name, "references", references, len(outputs))
        return torch.tensor(
            [self.metric(h, r) for h, r in zip(outputs, references, strict=True)],
            dtype=torch.float32,
        )

    def _reward(self, failed: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        depth = (depth / self.full_scale).clamp(min=0)
        return torch.where(failed, self.scale * depth, torch.full_like(depth, self.pass_reward))


class _Absolute(_SummaryReward):
    """metric: the summary's score; failed: score below ``threshold``."""

    def threshold_ok(self, threshold: float) -> bool:
        # no score is below 0 (nor below what float32 rounds 1e-50 to); at the top, only a
        # perfect summary passes, which is a choice
        return as_compared(threshold) > 0 and threshold <= self.full_scale

    def threshold_range(self) -> str:
        return (
            f"in (0, {self.full_scale:g}] ({self.metric_name}'s range; at 0, or at a number "
            "float32 rounds to 0, no summary can fail)"
        )

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        scores = self._scores(outputs, references)
        failed = scores < self.threshold
        return Scores(scores, failed, self._reward(failed, self.threshold - scores))


class _Drop(_SummaryReward):
    """metric: clean score minus edited score; failed: the drop exceeds ``threshold``."""

    needs_clean_outputs: ClassVar[bool] = True

    def threshold_ok(self, threshold: float) -> bool:
        # a drop is at most the full scale (a perfect summary to a score of 0); at 0 every
        # loss beyond rounding fails, which is a choice
        return drop_threshold_decides(threshold, self.full_scale)

    def threshold_range(self) -> str:
        return drop_threshold_range(self.full_scale, f"a drop in {self.metric_name}", "edit")

    def score(self, outputs: Any, references: Any, clean_outputs: Any | None = None) -> Scores:
        name = self.plugin_name or type(self).__name__
        if clean_outputs is None:
            raise FfadeError(
                f"reward '{name}' compares with the summaries of the unedited articles, but none "
                "were given (clean_outputs=None)"
            )
        clean = _texts(name, "clean summaries", clean_outputs, len(outputs))
        drop = self._scores(clean, references) - self._scores(outputs, references)
        # "more than threshold": float32 scores made ROUGE-L F1 1.0 -> 0.9 a drop of 0.10000002,
        # a failure at threshold 0.1; a drop within rounding of the threshold is at it
        failed = drop_exceeds(drop, self.threshold, self.full_scale)
        return Scores(drop, failed, self._reward(failed, drop))


class Bleu(_Absolute):
    """Fails when the summary's sentence BLEU is below ``threshold`` (default 20 points)."""

    metric_name = "BLEU"
    full_scale = 100.0

    def __init__(
        self, threshold: float = 20.0, scale: float = 10.0, pass_reward: float = -1.0
    ) -> None:
        super().__init__(threshold, scale, pass_reward)

    def metric(self, hypothesis: str, reference: str) -> float:
        return sentence_bleu(hypothesis, reference)


class RougeL(_Absolute):
    """Fails when the summary's ROUGE-L F1 is below ``threshold`` (default 0.3)."""

    metric_name = "ROUGE-L F1"

    def __init__(
        self, threshold: float = 0.3, scale: float = 10.0, pass_reward: float = -1.0
    ) -> None:
        super().__init__(threshold, scale, pass_reward)

    def metric(self, hypothesis: str, reference: str) -> float:
        return rouge_l(hypothesis, reference)


class BleuDrop(_Drop):
    """Fails when the edit costs more than ``threshold`` BLEU points (default 20)."""

    metric_name = "BLEU"
    full_scale = 100.0

    def __init__(
        self, threshold: float = 20.0, scale: float = 10.0, pass_reward: float = -1.0
    ) -> None:
        super().__init__(threshold, scale, pass_reward)

    def metric(self, hypothesis: str, reference: str) -> float:
        return sentence_bleu(hypothesis, reference)


class RougeLDrop(_Drop):
    """Fails when the edit costs more than ``threshold`` ROUGE-L F1 (default 0.2)."""

    metric_name = "ROUGE-L F1"

    def __init__(
        self, threshold: float = 0.2, scale: float = 10.0, pass_reward: float = -1.0
    ) -> None:
        super().__init__(threshold, scale, pass_reward)

    def metric(self, hypothesis: str, reference: str) -> float:
        return rouge_l(hypothesis, reference)
