"""Whether the targeted failure rate changed beyond noise (ffade/mitigate/evidence.py):
mitigation.json's ``targeted_change``, which the closing lines read."""

from __future__ import annotations

import pytest

from ffade.mitigate.evidence import targeted_change


def test_a_fall_of_a_pair_or_two_is_no_clear_change() -> None:
    """9.33% -> 9.25% of 1,200 pairs was "fix accepted" and nothing more: one pair fewer."""
    change = targeted_change(112 / 1200, 111 / 1200, 1200)
    assert change["pairs"] == 1200
    assert (change["failures_before"], change["failures_after"]) == (112, 111)
    assert change["outcome"] == "no clear change" and 0 < change["z"] < 1.96
    assert change["test"] == "two-proportion z-test, two-sided, 95%"


@pytest.mark.parametrize(
    ("before", "after", "pairs"),
    [
        (0.478, 0.193, 4096),  # the digits loop (README)
        (0.398, 0.205, 512),  # the text loop (docs/mitigation.md, configs/text_mitigate.yaml)
        (0.477, 0.250, 256),  # the text-to-image loop (README, configs/t2i_mitigate.yaml)
        (0.279, 0.213, 512),  # the text classifier (plugins/text/README.md, guard_pairs 512)
    ],
)
def test_the_documented_fixes_are_clear_falls(before: float, after: float, pairs: int) -> None:
    assert targeted_change(before, after, pairs)["outcome"] == "clear fall"


def test_a_clear_rise_and_no_change_at_all_are_told_apart() -> None:
    assert targeted_change(0.2, 0.4, 512)["outcome"] == "clear rise"
    for rate in (0.0, 0.5, 1.0):  # no spread at 0 and 1: z is 0, not a division by zero
        assert targeted_change(rate, rate, 256) | {"test": ""} == {
            "pairs": 256,
            "failures_before": round(rate * 256),
            "failures_after": round(rate * 256),
            "z": 0.0,
            "test": "",
            "outcome": "no clear change",
        }
    assert targeted_change(0.5, 0.0, 0)["outcome"] == "no clear change"  # no pairs: nothing known
