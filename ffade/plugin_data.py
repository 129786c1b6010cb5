"""What dataset plugins split and read their data with: the three splits, seeded disjoint
indices over them, a text file's lines with one clear error for a missing or non-UTF-8 file, and
the line that says a data file (or weights file) is missing, with where a relative one was read.

Plugins import these from :mod:`ffade.plugin_api` (the contract docs/plugins.md shows), which
re-exports them; they live here, needing neither torch nor the base classes, to keep that module
to the classes themselves.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Sequence
from numbers import Real
from pathlib import Path

import numpy as np

from ffade.errors import ConceptValueError, PluginError, broken_link, does_not_exist
from ffade.shell_words import shell_path

SPLITS = ("discovery", "finetune", "heldout")
"""Discovery searches for failures, fine-tuning fixes them, held-out judges the fix: never mixed."""


def disjoint_split_indices(
    n: int,
    fractions: Sequence[float],
    seed: int,
    what: str = "split fractions",
    keys: Sequence[Hashable] | None = None,
) -> dict[str, np.ndarray]:
    """Shuffle ``range(n)`` with ``seed`` and cut it into the named splits, disjoint by design.

    ``what`` starts the error message, so it names the key: ``"dataset 'yours': fractions"``.
    ``keys`` (one per input: its text, a digest of its bytes) keeps identical inputs together:
    disjoint positions alone let a file's repeated row land in both fine-tuning and held-out,
    judging the fix on what it trained on. See :func:`_cut_groups`.
    """
    listed = isinstance(fractions, Iterable) and not isinstance(fractions, str)
    values = list(fractions) if listed else []
    numbers = listed and all(isinstance(f, Real) for f in values)
    valid = numbers and len(values) == len(SPLITS) and all(f >= 0 for f in values)
    if not (valid and sum(values) <= 1 + 1e-9):  # written so that NaN fails too
        raise ConceptValueError(
            f"{what} {values if numbers else repr(fractions)} must be {len(SPLITS)} "
            f"non-negative numbers summing to at most 1 (for {', '.join(SPLITS)})"
        )
    order = np.random.default_rng(seed).permutation(n)
    counts = split_counts(n, values)
    if keys is not None:
        if len(keys) != n:
            raise PluginError(f"{what}: {len(keys)} keys for {n} inputs; give one key per input")
        return _cut_groups(order, counts, keys)
    bounds = np.cumsum([0, *counts])
    return {name: order[bounds[i] : bounds[i + 1]] for i, name in enumerate(SPLITS)}


def _cut_groups(
    order: np.ndarray, counts: list[int], keys: Sequence[Hashable]
) -> dict[str, np.ndarray]:
    """Cut ``order`` into the splits a group of equal ``keys`` at a time, each in the split where
    its first copy in the shuffled order falls, so a duplicate never sits in two splits.

    Groups are taken in order of their first copy, each whole, while the split being filled holds
    fewer inputs (copies counted) than its count, so the shares hold; a split may exceed its
    count by a group's extra copies, and the splits after it get what is left. Without
    duplicates every group is one input and the cut is exactly the ungrouped one, so a dataset
    without copies splits as it always did.
    """
    members: dict[Hashable, list[int]] = {}
    for i in order.tolist():
        members.setdefault(keys[i], []).append(i)
    chosen: list[list[int]] = [[] for _ in SPLITS]
    split = 0
    for group in members.values():  # in order of first copy (dicts keep insertion order)
        while split < len(SPLITS) and len(chosen[split]) >= counts[split]:
            split += 1
        if split == len(SPLITS):  # fractions summing under 1 leave the rest out
            break
        chosen[split].extend(group)
    return {name: np.array(chosen[i], dtype=order.dtype) for i, name in enumerate(SPLITS)}


def split_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """How many of ``n`` inputs each split gets: largest remainder over ``fractions * n``.

    Rounding each split on its own lost or invented inputs: 0.33/0.33/0.34 of 10 gave 3 + 3 + 3,
    dropping one, and 0.35/0.3/0.35 gave 4 + 3 + 4 of 10, the last split then cut short. Here
    each split gets the whole part of its share, and the inputs left over from the shares' total
    (``round(sum(fractions) * n)``, so ``n`` when they sum to 1) go one each to the largest
    fractional parts, ties to the earlier split. The counts sum to that total exactly.
    """
    shares = [float(f) * n for f in fractions]
    counts = [int(np.floor(share)) for share in shares]
    total = min(n, round(sum(shares)))
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - counts[i]), i))
    for i in by_remainder[: max(0, total - sum(counts))]:
        counts[i] += 1
    return counts


def read_text_lines(path: str | Path, what: str) -> list[str]:
    """A UTF-8 text file's lines (ends kept, so ``csv`` reads quoted line breaks): what dataset
    plugins read their JSONL, CSV and text files with.

    A missing or unreadable file, or a byte that is not UTF-8, is one :class:`PluginError` naming
    ``what`` (who reads it: ``"dataset 'summaries'"``), the file (``~`` expanded), the line and
    the fix, where ``open(path, encoding="utf-8")`` would raise a traceback naming neither. A
    byte-order mark opening the file (Excel's "CSV UTF-8", Notepad's UTF-8) is no text: kept,
    it made a CSV's first column "\\ufeffarticle", no field the config could name.
    """
    path = Path(path).expanduser()
    lines = []
    try:
        file = open(path, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:  # missing, a directory, no permission
        raise PluginError(
            f"{what}: cannot read {shell_path(path)}: {exc.strerror or exc}{read_as(path)}"
        ) from None
    with file:
        for number, raw in enumerate(file, 1):
            try:
                lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError as exc:
                raise PluginError(
                    f"{what}: {shell_path(path)} line {number} is not UTF-8 text (byte "
                    f"{raw[exc.start]:#04x} at column {exc.start + 1}); save the file as UTF-8"
                ) from None
    return lines


def read_as(path: str | os.PathLike) -> str:
    """`` (read as /abs/path)`` for a relative ``path``, the file it named: a path in a config
    is read from the directory the command was typed in, not the config's, and "'data/x.jsonl'
    does not exist" alone left the user to guess which folder was looked in. "" for an absolute
    path, or one through a broken link (that line names the link)."""
    path = Path(path)
    if path.is_absolute() or broken_link(path) is not None:
        return ""
    return f" (read as {path.absolute()})"


def missing_file(what: str, path: str | os.PathLike) -> str:
    """``WHAT does not exist (read as /abs/path)``: the one line a plugin's missing data file
    (a dataset's, a ratings file, a weights file) is, as :func:`ffade.errors.does_not_exist`
    says it (a broken link named, a Windows path's ``/`` form) and where a relative one was
    read (:func:`read_as`). ``what`` names the plugin, the argument and the path as typed:
    ``"dataset 'yours': path 'data.jsonl'"``; a hint may follow (``; give a .jsonl file``)."""
    return does_not_exist(what, path) + read_as(path)
