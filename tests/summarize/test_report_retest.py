"""A loop's report shows its retest (the judged rules on the same pairs before and after the
fix) as its own section; ``ffade report`` by hand has no retest and no such section."""

from __future__ import annotations

import json

from ffade.summarize.report import build_report, main
from tests.summarize.conftest import planted_image_counts
from tests.summarize.test_report import parse
from tests.test_loop_closing import retest_cases

RETEST = {
    "suite": "/loops/version_0/report/suite.yaml",
    "slices": "rules",
    "passed": 1,
    "cases": [
        {
            "name": "S-d6f30cfc",
            "conditions": "gaussian_blur >= 2",
            "goal": "fix",
            "pairs": 128,
            "failure_rate_before": 0.4688,
            "failure_rate_after": 0.1797,
            "max_failure_rate": 0.384,
            "passed": True,
        },
        {
            "name": "S-ca1f07a1",
            "conditions": "brightness <= 0.8",
            "goal": "hold",
            "pairs": 128,
            "failure_rate_before": 0.2266,
            "failure_rate_after": 0.5,
            "max_failure_rate": 0.3125,
            "passed": False,
        },
    ],
}


def test_a_loops_retest_is_a_table_after_the_held_out_numbers(
    image_run, make_run, image_concepts
) -> None:
    other = make_run("after", image_concepts, planted_image_counts)
    report = build_report(image_run, other, tensorboard=False, retest=RETEST)
    saved = json.loads((image_run / "report.json").read_text())
    assert saved["retest"] == RETEST == report["retest"]
    page = parse((image_run / "report.html").read_text())
    assert list(page.tables)[:2] == ["retest", "run"]  # no mitigation.json here: retest leads
    assert page.tables["retest"] == [
        [
            "case",
            "conditions",
            "goal",
            "pairs",
            "failure rate before -> after",
            "max allowed",
            "result",
        ],
        ["S-d6f30cfc", "gaussian_blur >= 2", "fix", "128", "46.9% -> 18.0%", "38.4%", "pass"],
        ["S-ca1f07a1", "brightness <= 0.8", "hold", "128", "22.7% -> 50.0%", "31.2%", "FAIL"],
    ]
    html = (image_run / "report.html").read_text()
    # the title names what "pass" measures: beside a rule shift's "still failing" (the
    # rediscovery's own rates) a bare "pass" read as a contradiction
    title = (
        "Retest on the same sampled pairs, original model vs fix: 1 of 2 cases pass "
        "(pass: the fix fails at most the max allowed)"
    )
    assert f"<h2>{title}</h2>" in html
    markdown = (image_run / "report.md").read_text()
    assert f"## {title}" in markdown
    assert "| S-d6f30cfc | gaussian_blur >= 2 | fix | 128 | 46.9% -> 18.0% | 38.4% | pass |" in (
        markdown
    )


def test_a_report_by_hand_has_no_retest(image_run, make_run, image_concepts) -> None:
    other = make_run("after", image_concepts, planted_image_counts)
    assert main([str(image_run), "--compare", str(other), "--no-tensorboard"]) == 0
    assert "retest" not in json.loads((image_run / "report.json").read_text())
    assert "retest" not in parse((image_run / "report.html").read_text()).tables
    assert "Retest" not in (image_run / "report.md").read_text()


def test_a_failed_case_never_reads_as_its_maximum(image_run, make_run, image_concepts) -> None:
    """A FAIL at 25.04% against a maximum of 25% read "25.0% -> 25.0%" beside "25.0%": the rates
    take the decimals that tell them apart, in the report and in the loop's closing lines."""
    from ffade.loop_retest import retest_line

    case = {
        **RETEST["cases"][1],
        "pairs": 10000,
        "failure_rate_before": 0.2499,
        "failure_rate_after": 0.2504,
        "max_failure_rate": 0.25,
    }
    other = make_run("after_close", image_concepts, planted_image_counts)
    build_report(image_run, other, tensorboard=False, retest={**RETEST, "cases": [case]})
    page = parse((image_run / "report.html").read_text())
    assert page.tables["retest"][1][4:] == ["24.99% -> 25.04%", "25.00%", "FAIL"]
    assert retest_line(case) == (
        "hold brightness <= 0.8: 24.99% -> 25.04% of 10000 pairs, max 25.00% (FAIL)"
    )


def _many_cases(count: int, failing: set[int]) -> dict:
    """A loop's retest of ``count`` regions, those in ``failing`` failing."""
    cases = retest_cases(count, failing)
    return {**RETEST, "slices": "regions", "passed": count - len(failing), "cases": cases}


def test_a_long_retest_lists_every_failing_case_and_counts_the_passes(
    image_run, make_run, image_concepts, tmp_path
) -> None:
    """A retest of 40 regions, two failing past row 15, showed the first 15 (all passing) and
    "... 25 more rows in report.json": report.html said "38 of 40 cases pass" and hid both FAILs,
    while the loop's closing lines listed them. Now it is cut as those lines are."""
    from ffade.loop_closing import retest_lines

    retest = _many_cases(40, {20, 37})
    other = make_run("after_many", image_concepts, planted_image_counts)
    build_report(image_run, other, tensorboard=False, retest=retest)
    rows = parse((image_run / "report.html").read_text()).tables["retest"][1:]
    expected = [f"R-{i:08x}" for i in [*range(13), 20, 37]]
    assert [row[0] for row in rows[:-1]] == expected
    assert [row[6] for row in rows[:-1]].count("FAIL") == 2
    assert rows[-1] == ["... 25 more passing cases: report.json lists every case"] + [""] * 6
    # the same cases as the loop's closing lines, line for line
    lines = retest_lines(retest["cases"], tmp_path / "loop.json")
    assert [line.split(":")[0] for line in lines[:-1]] == [f"{r[2]} {r[1]}" for r in rows[:-1]]
    assert len(lines) == len(rows)
    markdown = (image_run / "report.md").read_text()
    assert "| R-00000025 | axis37 = 1 | hold | 128 | 50.0% -> 75.0% | 60.0% | FAIL |" in markdown
    assert "| ... 25 more passing cases: report.json lists every case |  |  |" in markdown
    assert "more rows in report.json" not in markdown


def test_a_retest_of_fifteen_cases_is_shown_whole(image_run, make_run, image_concepts) -> None:
    """Up to 15 cases every row shows, in order, and no count row: as before the cut changed."""
    retest = _many_cases(15, {14})
    other = make_run("after_fifteen", image_concepts, planted_image_counts)
    build_report(image_run, other, tensorboard=False, retest=retest)
    rows = parse((image_run / "report.html").read_text()).tables["retest"][1:]
    assert [row[0] for row in rows] == [f"R-{i:08x}" for i in range(15)]
    assert rows[-1][6] == "FAIL"
