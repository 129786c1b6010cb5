"""The evaluated-pairs bitmap against a plain Python set of the same keys."""

from __future__ import annotations

import numpy as np

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
