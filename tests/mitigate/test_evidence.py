"""Whether the targeted failure rate changed beyond noise (ffade/mitigate/evidence.py):
mitigation.json's ``targeted_change``, which the closing lines read."""

from __future__ import annotations

import pytest

from ffade.mitigate.evidence import exact_mcnemar_p, targeted_change


def outcomes(both: int, before_only: int, after_only: int, neither: int) -> tuple[list, list]:
    """Each pair's failed before and after: ``both`` fail twice, the others once or never."""
    before = [True] * (both + before_only) + [False] * (after_only + neither)
    after = [True] * both + [False] * before_only + [True] * after_only + [False] * neither
    return before, after


def test_a_fall_of_a_pair_or_two_is_no_clear_change() -> None:
    """9.33% -> 9.25% of 1,200 pairs was "fix accepted" and nothing more: one pair fewer."""
    change = targeted_change(*outcomes(110, 2, 1, 1087))
    assert change["pairs"] == 1200
    assert (change["failures_before"], change["failures_after"]) == (112, 111)
    assert (change["failed_before_only"], change["failed_after_only"]) == (2, 1)
    assert change["outcome"] == "no clear change" and change["p_value"] == 1.0
    assert change["test"] == "exact McNemar test on the discordant pairs, two-sided, 95%"


def test_the_same_pairs_make_a_small_consistent_fall_clear() -> None:
    """The guard measures the same pairs twice. 300 -> 290 of 1,200 with 10 pairs fixed and none
    broken is no accident (p = 2 / 2**10), yet the unpaired two-proportion test this replaced
    (z 0.41) called it no clear change; the same counts with 40 fixed and 30 broken are noise."""
    change = targeted_change(*outcomes(290, 10, 0, 900))
    assert (change["failures_before"], change["failures_after"]) == (300, 290)
    assert change["outcome"] == "clear fall"
    assert change["p_value"] == pytest.approx(2 / 2**10, rel=1e-3)
    assert change["z"] == pytest.approx(10 / 10**0.5, abs=1e-3)
    assert targeted_change(*outcomes(260, 40, 30, 870))["outcome"] == "no clear change"


def test_the_exact_p_value_is_twice_the_binomial_tail() -> None:
    assert exact_mcnemar_p(0, 0) == 1.0
    assert exact_mcnemar_p(5, 0) == pytest.approx(2 / 32)  # 0.0625: five alone is not clear
    assert exact_mcnemar_p(0, 6) == pytest.approx(2 / 64)  # 0.03125: six is
    assert exact_mcnemar_p(3, 3) == 1.0
    assert exact_mcnemar_p(1, 9) == pytest.approx(2 * 11 / 1024)
    assert 0 < exact_mcnemar_p(900, 1100) < 1e-5  # large counts, in logs, no overflow


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
    """Even paired as discordantly as their counts allow (the least clear case)."""
    failed_after = [True] * round(after * pairs) + [False] * (pairs - round(after * pairs))
    change = targeted_change(None, failed_after, round(before * pairs))
    assert change["outcome"] == "clear fall"
    assert change["failed_before_only"] is None and "least clear" in change["test"]


def test_a_clear_rise_and_no_change_at_all_are_told_apart() -> None:
    assert targeted_change(*outcomes(90, 5, 60, 357))["outcome"] == "clear rise"
    for both, neither in ((0, 256), (128, 128), (256, 0)):  # nothing moved: p is 1, z is 0
        assert targeted_change(*outcomes(both, 0, 0, neither)) | {"test": ""} == {
            "pairs": 256,
            "failures_before": both,
            "failures_after": both,
            "failed_before_only": 0,
            "failed_after_only": 0,
            "z": 0.0,
            "p_value": 1.0,
            "test": "",
            "outcome": "no clear change",
        }
    assert targeted_change([], [])["outcome"] == "no clear change"  # no pairs: nothing known
