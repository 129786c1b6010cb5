"""What a report says of the run itself, from its summary.json and landscape: the run table's
figures and the explorer's own smallest failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ffade.errors import FfadeError
from ffade.shown_numbers import count
from ffade.summarize.landscape import Landscape

RUN_FIGURES = (
    "explorer",
    "mode",
    "status",
    "seed",
    "budget",
    "evaluations",
    "failures",
    "invalid",
    "distinct_failure_states",
    "failing_concept_states",
    "num_inputs",
    "gradient_updates",
    "wall_seconds",
    "model_seconds",
    "concept_seconds",
    "stop_reason",
)
"""summary.json keys shown in the run table, in this order, when present."""


def run_figures(summary: dict[str, Any], landscape: Landscape) -> dict[str, Any]:
    """The run table's figures: summary.json's counts, the grid's coverage, the failure rate
    over the log's evaluations, failures still to find, and where the run ran."""
    figures = {key: summary[key] for key in RUN_FIGURES if key in summary}
    figures["grid_states"] = landscape.num_states
    figures["states_evaluated"] = int(landscape.visited.size)
    total = int(landscape.visited_evaluations.sum())
    failures = int(landscape.visited_failures.sum())
    figures["failure_rate"] = float(failures / total) if total else None
    remaining = summary.get("estimated_remaining_failures")
    if remaining:  # failing pairs not found yet (ffade.explore.coverage), numbers as recorded
        remaining_in_words(remaining, landscape.source)  # a damaged one: one line, now
        figures["estimated_remaining_failures"] = remaining
    environment = summary.get("environment")
    if environment:  # the same seeded config prints other figures on another CPU or torch
        packages = environment.get("packages")
        packages = packages if isinstance(packages, dict) else {}
        figures["ran_on"] = (
            f"{environment.get('device')}, torch {packages.get('torch')}, "
            f"ffade {packages.get('ffade')}"
        )
        processes = environment.get("processes")
        if isinstance(processes, int) and processes > 1:  # their batches may round otherwise
            figures["ran_on"] += f", {processes} processes"
    return figures


def remaining_in_words(remaining: dict[str, Any], run_dir: str = "the run") -> str:
    """The estimate of failing pairs not found yet, in words, for the run table (report.json
    keeps summary.json's numbers); a hand-edited one that lacks a number is one line naming the
    key, not a traceback."""
    try:
        estimate, found = remaining["estimate"], int(remaining["probe_failures"])
        point = "unknown" if estimate is None else count(estimate)  # 0.4 read "0": none left
        if estimate == 0 and found:  # stored to one decimal: 0.04 is 0.0, where probes failed
            point = "<1"
        low, high = count(remaining["low"], "low"), count(remaining["high"], "high")
        if not int(remaining["probes"]):  # "95% interval 0 to 20; 0 of 0 probes" told nothing
            return f"{point} (no random probe was made: anywhere from {low} to {high})"
        return (
            f"{point} (95% interval {low} to {high}; {found} of {int(remaining['probes'])} "
            "random probes failed)"
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        raise FfadeError(
            f"{run_dir}/summary.json is damaged: key 'estimated_remaining_failures' is "
            f"{remaining!r}; expected numbers 'estimate' (or null), 'low', 'high', 'probes' and "
            "'probe_failures'"
        ) from None


def start_state(summary: dict[str, Any], landscape: Landscape) -> list[int]:
    """Where a microscopic run started (summary.json's ``start_state``, grid indices), else the
    neutral state: both smallest-failure tables measure from it. A hand-edited one that is not
    one grid index per concept is one line naming the key, not a traceback."""
    start = summary.get("start_state")
    if start is None:
        return list(landscape.neutral)
    shape = landscape.shape
    if not (
        isinstance(start, list)
        and len(start) == len(shape)
        and all(type(i) is int and 0 <= i < n for i, n in zip(start, shape, strict=True))
    ):
        raise FfadeError(
            f"{landscape.source}/summary.json is damaged: key 'start_state' is {start!r}; "
            f"expected grid indices, one per concept, within the grid's sizes {list(shape)}"
        )
    return start


def explorer_smallest(summary: dict[str, Any], landscape: Landscape) -> list[dict[str, Any]] | None:
    """The explorer's smallest failure per input, each with ``changed``: only the concepts whose
    value differs from the run's start state (the neutral state unless the run set one), as
    ``{"from": value, "to": value}``. summary.json has them since ffade lists them; a summary
    written before (``concepts`` alone) has them worked out here from its start state."""
    entries = summary.get("smallest_failing_changes")
    if not entries:
        return entries
    before = landscape.state_values(start_state(summary, landscape))
    return [
        e
        if isinstance(e.get("changed"), dict)
        else {
            **e,
            "changed": {
                k: {"from": before.get(k), "to": v}
                for k, v in e["concepts"].items()
                if before.get(k) != v
            },
        }
        for e in entries
    ]


def changed_in_words(entry: dict[str, Any], fmt: Callable[[Any], str] = str) -> str:
    """What an input's smallest failure changed from the start state, ``rotation: 0 -> 15``
    per concept (``fmt`` writes a value); an input that fails at the start state itself changed
    nothing, which an empty cell would not say."""
    changed = entry.get("changed", entry["concepts"])
    if not changed:
        return "nothing: it fails at the start state"
    return ", ".join(
        f"{label}: {fmt(change['from'])} -> {fmt(change['to'])}"
        if isinstance(change, dict) and {"from", "to"} <= set(change)
        else f"{label}: {fmt(change)}"
        for label, change in changed.items()
    )


def counts_line(figures: dict[str, Any], failures_note: str = "") -> str:
    """``evaluations: N, failures: F`` as a run's closing lines and ``ffade report`` print it,
    with ``, invalid: K`` when some evaluations were invalid: neither passes nor failures, so
    N - F would read as passes that were not. ``failures_note`` (`` (in S concept states)``)
    goes right after the failures it is about: after the invalid count it read as that one's."""
    line = (
        f"evaluations: {figures.get('evaluations', '-')}, failures: {figures.get('failures', '-')}"
        f"{failures_note}"
    )
    return f"{line}, invalid: {figures['invalid']}" if figures.get("invalid") else line
