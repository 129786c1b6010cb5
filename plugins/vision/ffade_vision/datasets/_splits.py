"""The split lookup shared by the image datasets."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import SPLITS, disjoint_split_indices


def split_indices(
    plugin: str,
    n: int,
    fractions: Sequence[float],
    seed: int,
    keys: Sequence[Hashable] | None = None,
) -> dict[str, np.ndarray]:
    """Seeded disjoint indices per split, identical images (equal ``keys``) in one split; an
    error names the dataset if the fractions are wrong."""
    what = f"dataset '{plugin}': fractions"  # named by its key, as the text datasets' are
    return disjoint_split_indices(n, fractions, seed, what=what, keys=keys)


SPLIT_USES = {
    "discovery": "a run searches it",
    "finetune": "a fine-tune trains on it",
    "heldout": "a fine-tune judges its fix on it; ffade export samples it",
}
"""What each split is for, said when one is left empty."""


def empty_split_notes(
    plugin: str, indices: dict[str, np.ndarray], fractions: Sequence[float], of: str
) -> tuple[str, ...]:
    """A note per split that a fraction above 0 left without inputs (too few to share out):
    ``[0.1, 0.1, 0.1]`` of 8 views gives 1, 1 and 0, and the held-out split a fine-tune judges
    its fix on, and a suite samples, was empty with no word. ``of`` says what was shared out
    ("8 images"). A fraction of 0 asks for an empty split: no note."""
    sizes = [len(indices[name]) for name in SPLITS]
    given = ", ".join(f"{float(f):g}" for f in fractions)
    cut = f"{sizes[0]}, {sizes[1]} and {sizes[2]} to {SPLITS[0]}, {SPLITS[1]} and {SPLITS[2]}"
    return tuple(
        f"dataset '{plugin}': fractions [{given}] of {of} give {cut}, so split '{name}' is "
        f"empty ({SPLIT_USES[name]}); raise its fraction"
        for name, fraction, size in zip(SPLITS, fractions, sizes, strict=True)
        if fraction > 0 and size == 0
    )


def file_keys(files: Sequence[Path]) -> list[Hashable]:
    """One key per file, equal for files of equal bytes: a photo saved twice is one input.

    Only files whose size another shares are read and digested (a stat costs nothing, reading
    a 50,000-photo folder would), so a folder without copies is read no further than before.
    """
    sizes = [path.stat().st_size for path in files]
    shared = {size for size, count in Counter(sizes).items() if count > 1}
    keys: list[Hashable] = []
    for i, (path, size) in enumerate(zip(files, sizes, strict=True)):
        if size in shared:
            keys.append(("bytes", hashlib.blake2b(path.read_bytes(), digest_size=16).digest()))
        else:
            keys.append(("file", i))  # no other file has its size: it has no copy
    return keys


def array_keys(arrays: Sequence[np.ndarray]) -> list[Hashable]:
    """One key per image array, equal for equal shape, dtype and values."""
    return [
        (
            a.dtype.str,
            a.shape,
            hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=16).digest(),
        )
        for a in arrays
    ]


def check_split_name(plugin: str, name: str) -> None:
    """Raise a one-line error for a split name outside :data:`ffade.plugin_api.SPLITS`."""
    if name not in SPLITS:
        raise FfadeError(
            f"dataset '{plugin}': unknown split {as_written(name)}; splits: {', '.join(SPLITS)}"
        )
