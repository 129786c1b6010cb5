"""What a report says in words before its numbers, and how the rules' coverage reads.

The notes at the top of report.md and report.html (and the coverage line ``ffade report`` closes
with) say what a reader could not tell from the tables alone: a run not finished, biased rates,
log problems, which failing states the rules cover, and where a rule's ranges reach states the
run never evaluated (a rule is stated over the grid's values; it says nothing of those).
"""

from __future__ import annotations

from typing import Any

from ffade.summarize.landscape import percent

MAX_PROBLEMS = 5
"""Log problems listed in the notes; report.json holds them all."""
DISTANCE_HEADER = "distance (0: the same states; 1: one concept's whole range)"
"""The Wasserstein table's distance column, saying how to read its number: a bare 0.14 says
nothing. The distance is in normalized concept coordinates, each concept's grid spanning 0 to 1,
so 1 is all the failures moved across one concept's range (docs/report.md)."""


def rules_cover(count: int) -> str:
    """ "1 failure rule covers" or "N failure rules cover": the lead of each coverage sentence."""
    return f"{count} failure rule covers" if count == 1 else f"{count} failure rules cover"


def failing_states(count: int) -> str:
    """ "1 failing state" or "N failing states": a run of one failure is said right too."""
    return f"{count} failing state" + ("s" if count != 1 else "")


def counted_failing_states(count: int, report: dict[str, Any]) -> str:
    """What "failing" counts where no rule was found: "85 concept states failing at least 50% of
    their evaluations (of the 337 with a failure, 179 of them under negate, reported apart)".
    ``ffade fit`` ends with "in 337 concept states", every state with a failure: said bare, "the
    85 failing states" read as a contradiction; and rules are sought only where no
    meaning-changing edit applies, so the states under one are said apart."""
    share = share_of(report["threshold"])
    one = count == 1  # "the 1 concept state failing all its evaluations", not "their"
    said = f"{count} concept state{'' if one else 's'} failing {share} {'its' if one else 'their'}"
    said += " evaluations"
    notes = []
    if report["min_evaluations"] > 1:
        notes.append(
            f"with at least {evaluations(report['min_evaluations'])}{'' if one else ' each'}"
        )
    with_failure = report["run_figures"].get("failing_concept_states")
    if isinstance(with_failure, int) and with_failure > count:
        # rules are sought only where no meaning-changing edit applies: "85 of the 337" read as
        # 85 of all 337, where 203 of them failed that often, 118 under negate
        apart = set_apart(report)
        notes.append(f"of the {with_failure} with a failure" + (f", {apart[1]}" if apart else ""))
    return said + (f" ({'; '.join(notes)})" if notes else "")


def set_apart(report: dict[str, Any]) -> tuple[str, str] | None:
    """The edits whose states rules leave out, and how many states with a failure are under
    them: ("negate", "179 of them under negate, reported apart"); None when no state with a
    failure is under one. The counts beside a rule's are over the other states only."""
    apart = report["rules"].get("failing_concept_states_apart") or 0
    if not apart:
        return None
    changing = [entry["concept"] for entry in report.get("meaning_changing") or []]
    edits = " or ".join(changing) or "an edit that changes the meaning"
    return edits, f"{apart} of them under {edits}, reported apart"


def _outside_edits(report: dict[str, Any]) -> tuple[str, str]:
    """Where rules find failing states, and the states left out: (" outside negate", "of the 337
    with a failure, 179 of them under negate, reported apart"); ("", "") when none are: "80% of 85
    failing states" beside fit's "in 337 concept states" must say it counts only some."""
    apart = set_apart(report)
    if apart is None:
        return "", ""
    with_failure = report["run_figures"].get("failing_concept_states")
    of = f"of the {with_failure} with a failure, " if isinstance(with_failure, int) else ""
    return f" outside {apart[0]}", of + apart[1]


def evaluations(count: int) -> str:
    """ "1 evaluation" or "N evaluations": a count of one is said right too."""
    return f"{count} evaluation" + ("s" if count != 1 else "")


def threshold_percent(threshold: float) -> str:
    """The threshold as a percentage with the digits it has: --threshold 0.999 reads "99.9%",
    not "100%", which only 1 is (and 0.755 "75.5%", not "76%")."""
    return f"{threshold * 100:.4g}%"


def share_of(threshold: float) -> str:
    """How much of a state's evaluations must fail, to lead "its evaluations": "all" at 1 (where
    "at least 100% of" reads as a riddle), "at least 50% of" below it."""
    return "all" if threshold >= 1 else f"at least {threshold_percent(threshold)} of"


def failing_criterion(threshold: float, min_evaluations: int) -> str:
    """What "failing" counts, said after a count of failing states: "failure rate >= 50%", and
    " over at least 3 evaluations" where a state seen fewer times cannot fail. One wording for
    the report's closing line and feedback's prompt: ``ffade fit`` counts every state with a
    failure, so a bare "failing states" there read as fit's count."""
    said = f"failure rate >= {threshold_percent(threshold)}"
    if min_evaluations > 1:
        said += f" over at least {evaluations(min_evaluations)}"
    return said


def no_rule_reason(report: dict[str, Any], slices: str = "rules") -> str:
    """Why no rule was found where states fail: at 100% no rule can have enough evidence, as a
    95% CI's lower end never reaches 100%; below it, no range of values had enough evidence,
    which failures spread thin over many states (a microscopic run's) leave; where every failure
    is at the start state, that is why (the inputs fail unchanged), not thin spread. The connected
    regions are suggested only where there are some and ``slices`` is not already "regions":
    ``ffade report --slices regions --threshold 1`` was told to add ``--slices regions``."""
    regions = bool(report["regions"]) and slices != "regions"
    at_start = report["rules"].get("failures_only_at_start")
    if at_start:  # not "spread thin": the inputs fail unchanged, no range is to blame
        return f": {at_start}"
    if report["threshold"] < 1:
        read = "read the connected regions (--slices regions), or " if regions else ""
        return (
            ": no range of concept values fails at a rate known (the lower end of its 95% CI) "
            f"to reach {threshold_percent(report['threshold'])}, as when failures are spread thin "
            f"over many states; {read}lower the threshold"
        )
    read = ", or read the connected regions (--slices regions)" if regions else ""
    return (
        ": at a threshold of 100% none can be found, as the lower end of a failure rate's 95% "
        f"CI never reaches 100%; lower the threshold{read}"
    )


def coverage_line(report: dict[str, Any], slices: str = "rules") -> str:
    """The closing line's account of the rules: what they cover and the top one, or why none;
    ``slices``: the report's ``--slices``, which a reason need not suggest again. A report on
    regions with no rule tells its regions instead: "no failure rule found ...; lower the
    threshold" said how to find rules to someone reading (or comparing) regions."""
    figures, rules = report["run_figures"], report["rules"]
    at = failing_criterion(report["threshold"], report["min_evaluations"])
    if not rules["failing_states"]:
        if not figures.get("failure_rate"):  # none logged, whatever summary.json counts
            return "no failures found: no failure rule to find"
        # all at the start state, below the threshold: the reason `ffade fit` gave, said here too
        why = rules.get("failures_only_at_start") or "no failure rule to find"
        return f"no failing state found ({at}): {why}"
    if not rules["rules"]:
        counted = counted_failing_states(rules["failing_states"], report)
        if slices == "regions" and report["regions"]:  # read: how to find rules is noise here
            found = report["regions"]
            kinds = f"{len(found)} failure region{'s' * (len(found) > 1)}"
            return f"the {counted} form {kinds}; top: {found[0]['description']}"
        return f"no failure rule found for the {counted}" + no_rule_reason(report, slices)
    outside, apart = _outside_edits(report)
    return (
        f"{rules_cover(len(rules['rules']))} {percent(rules['coverage'])} of "
        f"{failing_states(rules['failing_states'])}{outside} ({at}{'; ' * bool(apart)}{apart}); "
        f"top: {rules['rules'][0]['description']}"
    )


def _rule_notes(rules: dict[str, Any] | None, report: dict[str, Any]) -> list[str]:
    """How much of the failing states the rules cover, and each rule whose ranges hold states
    never evaluated: "axis0 >= 0.3" from evaluations at 0.3 alone says nothing of 0.4 to 1."""
    if not rules or not rules["failing_states"]:
        return []
    if not rules["rules"]:
        count, reason = rules["failing_states"], no_rule_reason(report)
        return [
            f"No failure rule was found for the {counted_failing_states(count, report)}{reason}."
        ]
    outside, apart = _outside_edits(report)
    found = [
        f"{rules_cover(len(rules['rules']))} {rules['covered_failing_states']} of the "
        f"{failing_states(rules['failing_states'])}{outside} ({percent(rules['coverage'])}"
        f"{'; ' * bool(apart)}{apart}); every rule's rate is known to reach the threshold, and no "
        "value inside a rule passes for sure."
    ]
    partial = [r for r in rules["rules"] if r["num_states"] < r["range_states"]]
    if partial:
        # a state evaluated only invalidly has no rate either, but it was evaluated: say so
        invalid = bool(report["run_figures"].get("invalid"))
        unseen = (
            "that have no valid evaluation (never evaluated, or evaluated only invalidly)"
            if invalid
            else "that were never evaluated"
        )
        seen = "had valid evaluations on" if invalid else "was evaluated on"
        found.append(
            f"A rule is stated over the grid's values and says nothing of the states in its ranges "
            f"{unseen}: "
            + "; ".join(
                f"{r['id']} {seen} {r['num_states']} of the {r['range_states']} states it allows"
                for r in partial
            )
            + "."
        )
    return found


def _grid_coverage_notes(figures: dict[str, Any]) -> list[str]:
    """A grid sweep stopped short covers its first inputs only (it walks every state of one
    input before the next): its rates are theirs, yet nothing said so, and the note above sent
    readers to the grid explorer for unbiased rates."""
    inputs, states = figures.get("num_inputs"), figures["grid_states"]
    done = figures.get("evaluations")
    if figures.get("explorer") != "grid" or not (inputs and done) or done >= inputs * states:
        return []
    reached = min(-(-done // states), inputs)
    which = "the first input only" if reached == 1 else f"the first {reached:,} inputs only"
    whose = "that input's" if reached == 1 else "those inputs'"
    return [
        f"The grid explorer walks every state of one input before the next: its "
        f"{evaluations(done)} of the {inputs * states:,} (input, state) pairs reached {which} "
        f"(of {inputs:,} inputs), so its rates are {whose}, "
        "not the model's over its inputs; a budget of every pair, or the random explorer, "
        "gives rates over all of them."
    ]


def notes(report: dict[str, Any]) -> list[str]:
    """What a reader must know before the numbers: status, the failure rule, biases, gaps."""
    found = []
    status = report["run_figures"].get("status")
    if status not in (None, "finished"):
        found.append(f"This run's status is '{status}': its numbers cover what was logged so far.")
    found.append(
        f"A concept state fails when {share_of(report['threshold'])} its evaluations failed (it "
        f"needs at least {evaluations(report['min_evaluations'])}); regions join failing states "
        "one grid step apart along one concept."
    )
    if report["run_figures"].get("explorer") not in (None, "grid", "random"):
        found.append(
            "Rates count what this explorer chose to evaluate. A learning explorer seeks out "
            "fragile inputs and failing states, so its rates overstate how often the model fails "
            "on typical inputs; run the random explorer, or the grid explorer over every pair, "
            "for unbiased rates."
        )
    found += _grid_coverage_notes(report["run_figures"])
    invalid = report["run_figures"].get("invalid")
    if invalid:
        found.append(
            f"{evaluations(invalid)} {'was' if invalid == 1 else 'were'} invalid: the target's "
            "score was NaN or infinite. "
            + (
                "It counts as neither a pass nor a failure and is"
                if invalid == 1
                else "They count as neither passes nor failures and are"
            )
            + " left out of every rate."
        )
    problems = report.get("log_problems") or []
    found += [f"Log problem: {problem}." for problem in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        found.append(f"... and {len(problems) - MAX_PROBLEMS} more log problems (report.json).")
    if not report["run_figures"]["states_evaluated"]:
        found.append("The evaluations log holds no evaluation yet.")
    elif not report["regions"]:
        found.append("No failure region was found.")
    found += _rule_notes(report.get("rules"), report)
    compare = report["compare"]
    if compare is not None and compare.get("compares") == "explorers":
        found.append(
            "Both runs searched the same model and task with different explorers: this compares "
            "search methods, not models; a slice one run found and the other did not is not "
            "fixed, only found by one explorer."
        )
    if compare is not None and compare.get("inputs_differ"):
        found.append(inputs_differ_note(compare["inputs_differ"]))
    other_status = None if compare is None else compare["run_figures"].get("status")
    if other_status not in (None, "finished"):  # a rule shift read from a part of the search
        found.append(
            f"The compared run's status is '{other_status}': its numbers cover what was logged "
            "so far, so a slice it has not reached yet reads not retested or unclear."
        )
    if compare is not None:
        slices = "regions" if compare.get("slices") == "regions" else "rules"
        found.append(
            f"Compared with {compare['run']}: distances are in normalized concept coordinates "
            f"(1 = one concept's whole range); the {slices[:-1]} shift follows this run's "
            f"{slices} into the compared run."
        )
    return found


def inputs_differ_note(keys: list[str]) -> str:
    """The note on a comparison of runs that searched other inputs (``compare.inputs_differ``):
    in report.md's notes and, in the same words, above ``ffade report --compare``'s last line,
    since the shift counted there mixes the model's change with the inputs'."""
    return (
        f"The compared run searched other inputs than this run (its {', '.join(keys)} "
        f"differ{'s' if len(keys) == 1 else ''}): "
        "a slice's shift mixes the change of model with the change of inputs, and inputs "
        "outside this run's may be ones a fix was trained or judged on; to judge a fix, "
        "rediscover on this run's task, as ffade loop does."
    )
