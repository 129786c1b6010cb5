"""Long sets of grid values in rules and regions read short, and stay exact where written out."""

from __future__ import annotations

import numpy as np

from ffade.summarize.regions import describe_values

GRID = [round(i / 10000, 4) for i in range(10001)]  # a concept of 10^4 values


def test_a_long_set_of_numbers_reads_as_runs_of_neighbouring_grid_values() -> None:
    # was every one of the 326 values, listed
    used = np.array([*range(100, 400), 500, 600, 601, *range(700, 720)])
    assert describe_values("axis0", GRID, used) == (
        "axis0 in {0.01 to 0.0399, 0.05, 0.06, 0.0601, 0.07 to 0.0719}"
    )


def test_runs_are_found_by_size_whatever_order_the_grid_was_given_in() -> None:
    grid = GRID[::-1]  # 1.0 first: index i holds 1 - i/10^4
    used = np.array([*range(9600, 9900), 9500])  # the values 0.0101 to 0.04, and 0.05
    assert describe_values("axis0", grid, used) == "axis0 in {0.0101 to 0.04, 0.05}"


def test_past_six_runs_the_rest_is_counted() -> None:
    used = np.arange(0, 2000, 2)  # every other value: a thousand runs of one
    assert describe_values("axis0", GRID, used) == (
        "axis0 in {0, 0.0002, 0.0004, 0.0006, 0.0008, 0.001, ... (1000 values in 1000 runs)}"
    )


def test_a_long_set_of_words_lists_the_first_and_counts() -> None:
    words = [f"w{i}" for i in range(100)]
    assert describe_values("word", words, np.arange(0, 60, 3)) == (
        "word in {w0, w3, w6, w9, w12, w15, ... (20 values)}"
    )


def test_twelve_values_or_fewer_are_listed_one_by_one_as_before() -> None:
    used = np.array([*range(10, 20), 30, 40])  # 12 values, a run among them
    assert describe_values("axis0", GRID, used) == (
        "axis0 in {0.001, 0.0011, 0.0012, 0.0013, 0.0014, 0.0015, 0.0016, 0.0017, 0.0018, "
        "0.0019, 0.003, 0.004}"
    )
    words = [f"w{i}" for i in range(100)]
    assert describe_values("word", words, np.array([3, 1])) == "word in {w3, w1}"
