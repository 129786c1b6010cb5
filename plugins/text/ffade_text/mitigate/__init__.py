"""Mitigation for summarizers: the seq2seq fine-tuner, on ffade's fine-tuner base."""

from __future__ import annotations

from ffade_text.mitigate.seq2seq import Seq2SeqFineTuner

__all__ = ["Seq2SeqFineTuner"]
