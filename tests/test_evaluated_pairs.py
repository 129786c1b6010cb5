"""The evaluated-pairs bitmap against a plain Python set of the same keys."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ffade.evaluated_pairs import EvaluatedPairs


def test_bitmap_answers_as_a_set_does() -> None:
    rng = np.random.default_rng(0)
    num_pairs = 10_007  # not a multiple of 8: the last byte is partly used
    pairs, naive = EvaluatedPairs(num_pairs), set()
    for _ in range(20):
        keys = rng.integers(0, num_pairs, 300)  # repeats within a batch, too
        pairs.add(keys)
        naive.update(keys.tolist())
        asked = rng.integers(0, num_pairs, (7, 50))
        expected = np.vectorize(lambda k: k in naive)(asked)
        np.testing.assert_array_equal(pairs.contains(asked), expected)
    assert pairs.contains(np.array([num_pairs - 1])).item() == ((num_pairs - 1) in naive)


def test_replace_holds_exactly_the_given_keys() -> None:
    pairs = EvaluatedPairs(64)
    pairs.add(np.arange(64))
    pairs.replace(np.array([3, 63]))
    np.testing.assert_array_equal(np.flatnonzero(pairs.contains(np.arange(64))), [3, 63])


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc")
def test_only_the_pages_holding_evaluated_pairs_take_memory() -> None:
    """docs/discovery.md: of the bitmap's address space only the pages with set bits are
    resident, also after a checkpoint's memo replaces its contents, after pages are read, and
    where the kernel hands out 2 MiB transparent huge pages (100 spread keys then made 116 of
    125 MB resident; a DQN run's reads, in a shared mapping, as much)."""

    def resident_mb() -> float:
        return (
            int(Path("/proc/self/statm").read_text().split()[1])
            * os.sysconf("SC_PAGE_SIZE")
            / 2**20
        )

    before = resident_mb()
    pairs = EvaluatedPairs(10**9)  # 125 MB of bits
    spread = np.arange(0, 10**9, 10**6)  # 1,000 keys, each on a page of its own
    pairs.add(spread)
    pairs.replace(spread[::2])
    assert pairs.contains(spread).sum() == 500
    # a DQN step asks about ~260,000 pairs, most never evaluated: reading must not hold pages
    assert not pairs.contains(np.arange(3, 10**9, 1000)).any()  # every page, none added
    assert resident_mb() - before < 24  # 1,000 small pages are 4 MB
