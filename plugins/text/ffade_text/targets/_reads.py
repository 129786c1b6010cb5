"""How many tokens a Hugging Face text model reads, and notes on inputs it cuts.

A model with learned positions (BART, BERT) has none past ``max_position_embeddings``: an input
tokenized longer than that was an IndexError or a size mismatch inside the model, mid-search. So
targets read at most that many tokens, whatever ``max_input_tokens`` asks, and say so before the
search, with how many inputs are cut: an edit past the cut changes nothing the model sees, so it
would pass for a change the model withstands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def model_positions(model: Any) -> int | None:
    """The most tokens the model has positions for, or None (T5's relative positions)."""
    positions = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    whole = isinstance(positions, int) and not isinstance(positions, bool)
    return positions if whole and positions > 0 else None


def tokens_read(max_input_tokens: int, positions: int | None) -> int:
    """``max_input_tokens``, or the model's positions where those are fewer."""
    return min(max_input_tokens, positions or max_input_tokens)


def length_notes(
    name: str, tokenizer: Any, texts: Sequence[str], max_input_tokens: int, positions: int | None
) -> list[str]:
    """A note, when inputs are longer than the model reads: how many, and where they are cut."""
    from transformers.utils import logging as hf_logging

    read = tokens_read(max_input_tokens, positions)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # it warns of each sequence longer than the model's
    try:
        ids = tokenizer(list(texts))["input_ids"]
    finally:
        hf_logging.set_verbosity(verbosity)
    long = [len(i) for i in ids if len(i) > read]
    if not long:
        return []
    why = "max_input_tokens"
    if read < max_input_tokens:  # more than the model has positions for
        why = f"the model's positions; max_input_tokens is {max_input_tokens}"
    more = read == max_input_tokens and (positions is None or positions > read)
    fix = "raise max_input_tokens or choose" if more else "choose"
    reads = f"the {read} tokens it reads ({why})"
    return [
        f"target '{name}': {len(long)} of the task's {len(ids)} inputs are longer than {reads}; "
        f"each is cut there (the longest has {max(long)} tokens), so edits past the cut change "
        f"nothing the model sees; {fix} shorter inputs"
    ]
