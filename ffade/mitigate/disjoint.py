"""The fine-tuner's check that discovery, fine-tuning and held-out inputs are really apart.

A dataset plugin promises three disjoint splits (docs/plugins.md), but nothing else enforced it:
one whose ``split`` ignored its name, or a folder holding the same photo twice, would train the
fix on the inputs the search found failing, or judge it on the inputs it was trained on, and
the held-out numbers would flatter it: the flaw ffade exists to avoid. Inputs are compared by
content (a digest of their bytes), not by position, so a copy counts wherever it sits.
"""

from __future__ import annotations

import hashlib
import pickle
from itertools import combinations
from typing import Any

import numpy as np
import torch

from ffade.errors import FfadeError
from ffade.plugin_checks import split_pairs


def fingerprint(item: Any) -> bytes | None:
    """A digest of an input's content: equal inputs, equal digests. None for an input that
    cannot be read as bytes (it is then compared with nothing)."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        _feed(digest, item)
    except (TypeError, ValueError, AttributeError, pickle.PicklingError):
        return None
    return digest.digest()


def _feed(digest: Any, item: Any) -> None:
    if isinstance(item, torch.Tensor):
        item = item.detach().cpu()
        digest.update(f"tensor {item.dtype} {tuple(item.shape)}".encode())
        digest.update(item.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(item, np.ndarray):
        digest.update(f"array {item.dtype} {item.shape}".encode())
        digest.update(np.ascontiguousarray(item).tobytes())
    elif isinstance(item, dict):
        digest.update(b"dict")
        for key in sorted(item, key=repr):
            digest.update(repr(key).encode())
            _feed(digest, item[key])
    elif isinstance(item, (list, tuple)):
        digest.update(f"{type(item).__name__} {len(item)}".encode())
        for part in item:
            _feed(digest, part)
    else:  # texts, numbers, a plugin's own (frozen) records such as prompts
        digest.update(pickle.dumps(item, protocol=4))


def check_splits_apart(dataset: Any, name: str, finetune: list[Any], heldout: list[Any]) -> None:
    """The fine-tuner's check: its (input, reference) pairs against the whole discovery split."""
    discovery = split_pairs(dataset, "discovery")
    splits = {"discovery": discovery, "finetune": finetune, "heldout": heldout}
    check_disjoint({split: [x for x, _ in pairs] for split, pairs in splits.items()}, name)


def check_disjoint(splits: dict[str, list[Any]], dataset: str) -> None:
    """One line naming two splits that share an input, how many and one example; else nothing.

    ``splits`` maps a split's name to its inputs, in order (the numbers in the message index
    them).
    """
    seen = {name: _positions(inputs) for name, inputs in splits.items()}
    for first, second in combinations(splits, 2):
        shared = seen[first].keys() & seen[second].keys()
        if shared:
            example = min(shared, key=lambda key: seen[first][key])
            raise FfadeError(
                f"dataset '{dataset}': {len(shared)} input(s) of split '{first}' also appear in "
                f"split '{second}' (e.g. {first} input {seen[first][example]} is {second} input "
                f"{seen[second][example]}); the splits must not share an input (docs/plugins.md, "
                "Dataset): a fix trained or judged on searched inputs would flatter itself"
            )


def _positions(inputs: list[Any]) -> dict[bytes, int]:
    """Each distinct input's digest -> its first position."""
    positions: dict[bytes, int] = {}
    for index, item in enumerate(inputs):
        key = fingerprint(item)
        if key is not None:
            positions.setdefault(key, index)
    return positions
