"""Long sets of grid values in rules and regions read short, and stay exact where written out."""

from __future__ import annotations

import numpy as np

from ffade.summarize.landscape import load_landscape
from ffade.summarize.regions import describe_values
from ffade.summarize.rules import find_rules

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


BLUR = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]  # the quickstart's gaussian_blur


def test_all_values_but_one_read_as_the_one_left_out() -> None:
    """The quickstart's fifth rule read `gaussian_blur in {0, 0.5, 1.5, 2, 2.5}`: blur is not 1."""
    assert describe_values("gaussian_blur", BLUR, np.array([0, 1, 3, 4, 5])) == (
        "gaussian_blur != 1"
    )
    words = ["none", "north", "south", "east", "west"]
    assert describe_values("dropout", words, np.array([1, 2, 3, 4])) == "dropout != none"
    used = np.array([i for i in range(len(GRID)) if i != 5000])  # 10^4 of 10^4 + 1
    assert describe_values("axis0", GRID, used) == "axis0 != 0.5"


def test_all_values_but_a_few_read_as_those_left_out_where_shorter() -> None:
    assert describe_values("b", BLUR, np.array([0, 1, 4, 5])) == "b not in {1, 1.5}"
    used = np.array([i for i in range(len(GRID)) if i not in (5, 77, 900)])
    assert describe_values("axis0", GRID, used) == "axis0 not in {0.0005, 0.0077, 0.09}"
    # as many left out as kept, or a complement no shorter: the values kept, as before
    assert describe_values("b", BLUR, np.array([0, 3, 5])) == "b in {0, 1.5, 2.5}"
    long = ["a", "b", "long-word-one", "long-word-two", "c"]
    assert describe_values("w", long, np.array([0, 1, 4])) == "w in {a, b, c}"


def test_a_rule_over_all_values_but_one_keeps_every_value_for_machines(make_run) -> None:
    """The words change, report.json's `allowed` (what feedback and export read) does not."""
    grid = {"blur": BLUR, "contrast": [0.8, 1.0]}

    def counts(state: tuple[int, ...]) -> tuple[int, int]:
        return (20, 2) if state[0] == 2 else (20, 19)

    landscape = load_landscape(make_run("not-one", grid, counts))
    (rule,) = find_rules(landscape).rules
    assert rule.conditions == "blur != 1"
    assert rule.to_dict(landscape)["allowed"] == {"blur": [0.0, 0.5, 1.5, 2.0, 2.5]}
