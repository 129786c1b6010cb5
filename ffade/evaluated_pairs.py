"""Which (input, concept state) pairs have been evaluated: one bit per pair, asked in bulk.

Explorers ask this of every candidate they score (the DQN about 400,000 pairs a step), so the
answer must come for a whole array at once: a dict lookup per key cost more than the rest of a
DQN decision. One bit per pair in a zeroed buffer does it; the operating system hands out the
buffer's pages only when a bit on them is set, so a search that evaluates a small share of a
large space holds little of it in memory. That needs small pages: a large numpy array may be
backed by 2 MiB transparent huge pages (numpy asks for them; this project's machine gives them
always), and then 100 keys spread over a 10^9-pair bitmap made 116 of its 125 MB resident. So
the buffer is a private anonymous mapping of its own, advised against huge pages.
"""

from __future__ import annotations

import mmap

import numpy as np

MAX_BITMAP_PAIRS = 2**33
"""Spaces up to this many (input, state) pairs (a 1 GiB buffer at most, of which only the pages
holding evaluated pairs take memory) get the bitmap; beyond, the evaluator asks its memo."""


class EvaluatedPairs:
    """A set of pair keys in ``[0, num_pairs)``, as a bitmap answering whole arrays at once.

    Args:
        num_pairs: how many keys there are (inputs times concept states).
    """

    def __init__(self, num_pairs: int) -> None:
        self.bits = zeroed_bytes((num_pairs + 7) // 8)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Whether each key was added, in ``keys``' shape."""
        keys = np.asarray(keys, np.int64)
        return (self.bits[keys >> 3] >> (keys & 7).astype(np.uint8) & 1).astype(bool)

    def add(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, np.int64)
        np.bitwise_or.at(self.bits, keys >> 3, np.left_shift(1, keys & 7).astype(np.uint8))

    def replace(self, keys: np.ndarray) -> None:
        """Hold exactly ``keys`` (a restored checkpoint's memo)."""
        self.bits = zeroed_bytes(len(self.bits))  # writing zeros would make every page resident
        self.add(keys)


def zeroed_bytes(size: int) -> np.ndarray:
    """``size`` zero bytes whose 4 KiB pages take memory only once written to."""
    if size == 0 or not hasattr(mmap, "MAP_PRIVATE"):  # mmap refuses 0 bytes; Windows: no flags
        return np.zeros(size, np.uint8)
    # private and anonymous: zero-filled, and a page read before it is written is the kernel's
    # shared zero page (a shared mapping, mmap's default, gave each page read memory of its own)
    buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):  # Linux; elsewhere pages are small anyway
        buffer.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(buffer, np.uint8)
