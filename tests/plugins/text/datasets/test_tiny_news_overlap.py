"""tiny_news' splits share no article but share sentences: the counts plugins/text/README.md gives.

The README said one discovery article finds every sentence somewhere in the fine-tuning split;
two do (a station opening and a storm, each pieced together from several fine-tuning articles).
"""

from __future__ import annotations

import re
from pathlib import Path

from ffade_text.datasets import TinyNewsDataset

README = Path(__file__).resolve().parents[4] / "plugins" / "text" / "README.md"


def sentences(article: str) -> list[str]:
    """The corpus's sentences: templated, each ending in a full stop and a space."""
    return [s for s in re.split(r"(?<=[.!?])\s+", article.strip()) if s]


def overlap_counts(searched: list[str], finetune: list[str]) -> tuple[int, int, int, int]:
    """Articles with >= 3/4, >= 1/2, all of their sentences in one fine-tuning article, and
    articles every sentence of which some fine-tuning article holds."""
    per_article = [set(sentences(a)) for a in finetune]
    anywhere = set().union(*per_article)
    quarters = half = whole = pieced = 0
    for article in searched:
        own = sentences(article)
        best = max(sum(s in other for s in own) for other in per_article) / len(own)
        quarters += best >= 0.75
        half += best >= 0.5
        whole += best == 1
        pieced += all(s in anywhere for s in own)
    return quarters, half, whole, pieced


def test_shared_sentences_are_as_the_readme_counts() -> None:
    data = TinyNewsDataset()
    finetune = [article for article, _ in data.split("finetune")]
    heldout = [article for article, _ in data.split("heldout")]
    discovery = [article for article, _ in data.split("discovery")]
    assert overlap_counts(heldout, finetune) == (14, 61, 0, 1)
    assert overlap_counts(discovery, finetune) == (16, 70, 0, 2)
    readme = " ".join(README.read_text().split())
    assert (
        "14 of `tiny_news`' 120 held-out articles (16 of its 120 discovery ones) have at least "
        "three quarters of their sentences in one fine-tuning article (61 and 70 at least half), "
        "none all of them; across the whole fine-tuning split, one held-out and two discovery "
        "articles find every sentence."
    ) in readme
