"""A CLIP tokenizer over a small word list, written offline (no download, no training).

CLIP's tokenizer is byte-pair encoding: a word is split into characters (the last one marked
``</w>``) and merged pair by pair by the ranks in ``merges.txt``. Listing, for every word, the
merges that rebuild it left to right makes each known word one token; any other word still
tokenizes into known pieces (single characters at worst), so unknown words never fail.
Requires transformers 5, whose ``CLIPTokenizer`` takes the vocabulary and merges directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from transformers import CLIPTokenizer

SPECIAL_TOKENS = ("<|startoftext|>", "<|endoftext|>")


def byte_characters() -> list[str]:
    """The 256 printable characters byte-level BPE stands its bytes for (GPT-2's table)."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


def word_pieces(word: str) -> list[tuple[str, str]]:
    """The merges that build ``word`` (with its end-of-word mark) from its characters."""
    symbols = [*word[:-1], word[-1] + "</w>"]
    merges = []
    built = symbols[0]
    for symbol in symbols[1:]:
        merges.append((built, symbol))
        built += symbol
    return merges


def write_word_tokenizer(
    directory: str | Path, words: Iterable[str], max_length: int = 16
) -> CLIPTokenizer:
    """Save a tokenizer that knows ``words`` as single tokens to ``directory`` and return it.

    Args:
        directory: where the tokenizer files go (created if missing).
        words: whole words to make single tokens, lower case.
        max_length: ``model_max_length``: prompts are padded and truncated to it.
    """
    characters = byte_characters()
    vocab: dict[str, int] = {}
    for token in [*characters, *(c + "</w>" for c in characters)]:
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = []
    for word in sorted({w.lower() for w in words if len(w) > 1}):
        for pair in word_pieces(word):
            if pair not in merges:
                merges.append(pair)
                vocab.setdefault("".join(pair), len(vocab))
    for token in SPECIAL_TOKENS:
        vocab.setdefault(token, len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=max_length)
    tokenizer.save_pretrained(str(directory))
    return tokenizer
