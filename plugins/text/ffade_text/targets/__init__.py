"""Seq2seq summarizer targets: any Hugging Face model, and the bundled tiny BART."""

from __future__ import annotations

from ffade_text.targets.seq2seq import Seq2SeqSummarizer, TinyNewsBart

__all__ = ["Seq2SeqSummarizer", "TinyNewsBart"]
