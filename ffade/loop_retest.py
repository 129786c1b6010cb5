"""The loop's retest: the judged rules' seeded pairs on the original model and on the fix.

Rediscovery seeks out what still fails, so its rates cannot say whether the fix helped; the
retest compares like with like. ``ffade export`` with the loop's feedback.yaml (prioritized rules
are ``fix`` cases, skipped ones ``hold``) measures the original model on a seeded sample of each
rule's pairs, from the discovery and held-out splits alike; ``ffade check --target`` then measures
the fine-tuner's fix on exactly those pairs. The suite stays in ``report/`` for a CI gate, and
the result goes to loop.json's ``retest``, the loop's report.html and its closing lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from shlex import quote
from typing import Any

from ffade.shown_numbers import all_told_apart, share

SUITE_FILE = "suite.yaml"
"""The regression suite the retest writes into the loop's ``report/``."""


def retest(loop_dir: Path, first: Path, fixed: Path, say: Callable[[str], Any]) -> dict[str, Any]:
    """Export the judged rules of ``first`` as a suite, check the fix ``fixed`` on its pairs.

    Returns loop.json's ``retest``: the suite's path, the kind of slices, how many cases pass,
    and per case its rates before (the suite's measurement) and after (the check's).
    """
    from ffade.feedback.priorities import FEEDBACK_FILE, read_feedback
    from ffade.gate.check import run_check
    from ffade.gate.export import export_suite

    suite_path = loop_dir / "report" / SUITE_FILE
    feedback = first / FEEDBACK_FILE
    slices = read_feedback(feedback).slices
    say(
        f"      retest: the judged {slices}' sampled pairs, original vs fixed"
        f" -> {quote(str(suite_path))}"
    )
    suite = export_suite(first, suite_path, feedback=feedback, slices=slices)
    cases = []
    for case, after in zip(suite.cases, run_check(suite_path, target=str(fixed)), strict=True):
        cases.append(
            {
                "name": case.name,
                "conditions": case.conditions,
                "goal": case.goal,
                "pairs": after.pairs,
                "failure_rate_before": case.measured["failure_rate"],
                "failure_rate_after": round(after.failure_rate, 4),
                "max_failure_rate": case.max_failure_rate,
                "passed": after.passed,
            }
        )
    return {
        "suite": os.path.abspath(suite_path),
        "slices": slices,
        "passed": sum(c["passed"] for c in cases),
        "cases": cases,
    }


def retest_line(case: dict[str, Any]) -> str:
    """One case as the loop's closing lines print it: goal, rule, rate before -> after, the most
    the fix may fail there (``ffade check``'s ``max``, what "pass" is judged on) and verdict."""
    verdict = "pass" if case["passed"] else "FAIL"
    before, after, most = all_told_apart(
        [case["failure_rate_before"], case["failure_rate_after"], case["max_failure_rate"]],
        1,
        lambda value, digits: share(value, digits, as_percent=True),
    )
    rates = f"{before} -> {after} of {case['pairs']} pairs, max {most}"
    return f"{case['goal']} {case['conditions']}: {rates} ({verdict})"
