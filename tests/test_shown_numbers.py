"""Numbers as ffade prints them: never rounder than true (ffade.shown_numbers)."""

from __future__ import annotations

import pytest

from ffade.shown_numbers import beside, count, percent, share, shares_told_apart, told_apart


@pytest.mark.parametrize(
    ("value", "decimals", "as_percent", "said"),
    [
        (0.996, 2, False, "0.99"),  # not "1.00": a softmax this sure is not certain
        (0.004, 2, False, "0.01"),  # not "0.00"
        (1.0, 2, False, "1.00"),
        (0.0, 2, False, "0.00"),
        (0.5, 2, False, "0.50"),
        (0.9996, 1, True, "99.9%"),  # not "100.0%"
        (0.0001, 1, True, "0.1%"),
        (1.0, 1, True, "100.0%"),
        (-0.25, 2, False, "-0.25"),  # outside [0, 1] (a cosine): as it is
    ],
)
def test_a_share_never_reads_as_none_or_all_unless_it_is(
    value: float, decimals: int, as_percent: bool, said: str
) -> None:
    assert share(value, decimals, as_percent=as_percent) == said


def test_two_different_numbers_never_read_the_same() -> None:
    assert told_apart(0.95004, 0.94996, 2) == ("0.95004", "0.94996")
    assert told_apart(0.5, 0.5, 2) == ("0.50", "0.50")
    assert told_apart(0.2, 0.3, 2) == ("0.20", "0.30")
    assert shares_told_apart(0.9504, 0.9496) == ("95.04%", "94.96%")
    assert shares_told_apart(0.9996, 0.9999) == ("99.96%", "99.99%")
    assert shares_told_apart(0.25, 0.125) == ("25.0%", "12.5%")


def test_a_value_stays_on_its_side_of_a_limit() -> None:
    assert beside(0.296, 0.3) == "0.296"  # failing below 0.3: "0.30" was not below it
    assert beside(0.3, 0.3) == "0.30"
    assert beside(0.304, 0.3) == "0.30"  # passing: 0.30 is not below 0.3 either
    assert beside(0.12, 0.3) == "0.12"


def test_the_core_percent_rule_is_the_one_the_report_reads() -> None:
    from ffade.summarize.landscape import percent as report_percent

    assert report_percent is percent
    assert percent(0.999) == "99%" and percent(1.0) == "100%" and percent(0.001) == "1%"


@pytest.mark.parametrize(
    ("value", "end", "shown"),
    [
        (0.4, None, "<1"),
        (0.0, None, "0"),
        (6537.8, None, "6,538"),
        (0.4, "high", "1"),
        (0.4, "low", "0"),
        (4644.5, "low", "4,644"),
        (8781.2, "high", "8,782"),
    ],
)
def test_a_count_below_one_never_reads_none_and_an_end_stays_a_bound(
    value: float, end: str | None, shown: str
) -> None:
    assert count(value, end) == shown  # type: ignore[arg-type]
