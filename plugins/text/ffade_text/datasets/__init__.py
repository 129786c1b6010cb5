"""Summary datasets: (article, reference summary) pairs in disjoint seeded splits."""

from __future__ import annotations

from ffade_text.datasets.summaries import SummaryDataset, TinyNewsDataset, read_pairs

__all__ = ["SummaryDataset", "TinyNewsDataset", "read_pairs"]
