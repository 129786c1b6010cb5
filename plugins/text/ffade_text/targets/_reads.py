"""How many tokens a Hugging Face text model reads, and notes on inputs it cuts.

A model with learned positions (BART, BERT) has none past ``max_position_embeddings``: an input
tokenized longer than that was an IndexError or a size mismatch inside the model, mid-search. So
targets read at most that many tokens, whatever ``max_input_tokens`` asks, and say so before the
search, with how many inputs are cut: an edit past the cut changes nothing the model sees, so it
would pass for a change the model withstands. Edits that add words or characters (``repeat_word``,
``insert_char``, a typo that splits a token) lengthen a text, so the note also counts the inputs
each text edit alone pushes past the cut at its top severity: one apply per concept, as cheap as a
batch of the search; edits combined may lengthen texts further still.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ffade_text.concepts._base import TextEdit


def model_positions(model: Any) -> int | None:
    """The most tokens the model has positions for, or None (T5's relative positions)."""
    positions = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    whole = isinstance(positions, int) and not isinstance(positions, bool)
    return positions if whole and positions > 0 else None


def tokens_read(max_input_tokens: int, positions: int | None) -> int:
    """``max_input_tokens``, or the model's positions where those are fewer."""
    return min(max_input_tokens, positions or max_input_tokens)


def _edited(texts: Sequence[str], concepts: Sequence[Any], prefix: str) -> list[list[str]]:
    """The inputs under each text edit alone at its top severity (prefix as the model reads)."""
    tops = [(c, max(c.values)) for c in concepts if isinstance(c, TextEdit) and max(c.values)]
    return [[prefix + text for text in concept.apply(list(texts), top)] for concept, top in tops]


def _lengths(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # it warns of each sequence longer than the model's
    try:
        return [len(i) for i in tokenizer(list(texts))["input_ids"]]
    finally:
        hf_logging.set_verbosity(verbosity)


def length_notes(
    name: str,
    tokenizer: Any,
    texts: Sequence[str],
    max_input_tokens: int,
    positions: int | None,
    concepts: Sequence[Any] = (),
    prefix: str = "",
) -> list[str]:
    """A note, when inputs are longer than the model reads, unedited or under one of the task's
    text edits at its top severity: how many, and where they are cut."""
    read = tokens_read(max_input_tokens, positions)
    clean = _lengths(tokenizer, [prefix + text for text in texts])
    longest = list(clean)
    for edited in _edited(texts, concepts, prefix):
        longest = [max(a, b) for a, b in zip(longest, _lengths(tokenizer, edited), strict=True)]
    long = [n for n in clean if n > read]
    more = sum(1 for n, m in zip(clean, longest, strict=True) if n <= read < m)
    if not long and not more:
        return []
    why = "max_input_tokens"
    if read < max_input_tokens:  # more than the model has positions for
        why = f"the model's positions; max_input_tokens is {max_input_tokens}"
    raise_it = read == max_input_tokens and (positions is None or positions > read)
    fix = "raise max_input_tokens or choose" if raise_it else "choose"
    reads = f"the {read} tokens it reads ({why})"
    edited = f", {more} more with one text edit at its top value" if more else ""
    return [
        f"target '{name}': {len(long)} of the task's {len(clean)} inputs are longer than {reads}"
        f"{edited}; each is cut there (the longest has {max(longest)} tokens), so edits past the "
        "cut change nothing the model sees, and edits that add words or characters "
        f"(repeat_word, insert_char, ...) lengthen texts further; {fix} shorter inputs"
    ]
