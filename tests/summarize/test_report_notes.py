"""What a report says in words (ffade.summarize.report_notes) and the hints of its refusals,
driven through `ffade report`."""

from __future__ import annotations

import json
from pathlib import Path

from ffade.summarize.report import main


def _md_notes(run) -> list[str]:
    return [line[2:] for line in (run / "report.md").read_text().splitlines() if line[:2] == "> "]


def test_a_rule_says_how_much_of_its_range_was_evaluated(make_run, capsys) -> None:
    """x >= 1 learned from x = 1 alone: the rule allows x 1 to 4 (8 states with y), the run saw 2,
    and the report says so rather than letting "x >= 1" claim x = 2, 3, 4 unseen."""
    grid = {"x": [0, 1, 2, 3, 4], "y": [0, 1]}
    run = make_run(
        "run", grid, {(0, 0): (10, 0), (0, 1): (10, 0), (1, 0): (10, 10), (1, 1): (10, 10)}
    )
    assert main([str(run), "--no-tensorboard"]) == 0
    (rule,) = json.loads((run / "report.json").read_text())["rules"]["rules"]
    assert rule["conditions"] == "x >= 1" and (rule["num_states"], rule["range_states"]) == (2, 8)
    assert _md_notes(run)[-1] == (
        "A rule is stated over the grid's values and says nothing of the states in its ranges "
        f"that were never evaluated: {rule['id']} was evaluated on 2 of the 8 states it allows."
    )
    everywhere = make_run("everywhere", grid, lambda s: (10, 10 * (s[0] >= 1)))
    assert main([str(everywhere), "--no-tensorboard"]) == 0
    assert not any("never evaluated" in note for note in _md_notes(everywhere))


def test_states_evaluated_only_invalidly_are_not_said_never_evaluated(make_run, capsys) -> None:
    """x = 2 was evaluated, but only with a NaN score: it has no rate, as a state never evaluated
    has none, yet "never evaluated" was said of it."""
    grid = {"x": [0, 1, 2, 3, 4], "y": [0, 1]}
    run = make_run(
        "run", grid, {(0, 0): (10, 0), (0, 1): (10, 0), (1, 0): (10, 10), (1, 1): (10, 10)}
    )
    log = run / "evaluations.jsonl"
    lines = log.read_text().splitlines()
    nan = json.loads(lines[-1]) | {"metric": None, "failed": False, "invalid": True}
    nan["state"] = [2, 0]
    log.write_text("\n".join([*lines, json.dumps(nan)]) + "\n")
    summary = json.loads((run / "summary.json").read_text())
    summary.update(evaluations=summary["evaluations"] + 1, invalid=1)
    (run / "summary.json").write_text(json.dumps(summary))
    assert main([str(run), "--no-tensorboard"]) == 0
    (rule,) = json.loads((run / "report.json").read_text())["rules"]["rules"]
    assert (rule["num_states"], rule["range_states"]) == (2, 8)
    assert _md_notes(run)[-1] == (
        "A rule is stated over the grid's values and says nothing of the states in its ranges "
        "that have no valid evaluation (never evaluated, or evaluated only invalidly): "
        f"{rule['id']} had valid evaluations on 2 of the 8 states it allows."
    )


def test_at_threshold_one_the_report_says_why_no_rule_is_found(make_run, capsys) -> None:
    """A Wilson interval's lower end never reaches 100%, so --threshold 1 finds no rule however
    many evaluations fail: the closing line and the notes say so, not "0 rules cover 0%"."""
    run = make_run("run", {"x": [0, 1, 2, 3]}, lambda s: (50, 50 * (s[0] >= 2)))
    capsys.readouterr()
    assert main([str(run), "--threshold", "1", "--no-tensorboard"]) == 0
    why = (
        "at a threshold of 100% none can be found, as the lower end of a failure rate's 95% CI "
        "never reaches 100%; lower the threshold, or read the connected regions (--slices regions)"
    )
    assert capsys.readouterr().out.splitlines()[2] == (
        f"no failure rule found for the 2 concept states failing all their evaluations: {why}"
    )
    assert (
        f"No failure rule was found for the 2 concept states failing all their evaluations: {why}."
        in _md_notes(run)
    )


def test_a_report_on_regions_tells_its_regions_not_how_to_find_rules(make_run, capsys) -> None:
    """`ffade report RUN --slices regions --threshold 1` ended "no failure rule found ...; lower
    the threshold", and so did a text loop's `ffade report FIRST --compare SECOND --slices
    regions`: how to find rules, to someone reading regions. The line now tells the regions;
    report.md, the same whatever --slices, keeps the reason and the suggestion."""
    run = make_run("run", {"x": [0, 1, 2, 3]}, lambda s: (50, 50 * (s[0] >= 2)))
    other = make_run("other", {"x": [0, 1, 2, 3]}, lambda s: (50, 50 * (s[0] == 3)))
    regions = (
        "the 2 concept states failing all their evaluations form 1 failure region; top: x >= 2: "
        "100% failure (95% CI 96-100%), 100 evaluations"
    )
    for compared in ([], ["--compare", str(other)]):
        capsys.readouterr()
        argv = [str(run), *compared, "--slices", "regions", "--threshold", "1", "--no-tensorboard"]
        assert main(argv) == 0
        assert capsys.readouterr().out.splitlines()[2] == regions
    assert any("read the connected regions (--slices regions)" in n for n in _md_notes(run))
    thin = make_run("thin", {"x": list(range(10))}, lambda s: (1, int(s[0] % 2 == 0)))
    capsys.readouterr()
    assert main([str(thin), "--slices", "regions", "--no-tensorboard"]) == 0
    line = capsys.readouterr().out.splitlines()[2]
    assert line.startswith("the 5 concept states failing at least 50% of their evaluations form 5 ")
    assert "lower the threshold" not in line
    capsys.readouterr()
    assert main([str(thin), "--no-tensorboard"]) == 0  # reading rules, the reason helps
    assert capsys.readouterr().out.splitlines()[2].endswith("or lower the threshold")


def test_failures_spread_thin_are_told_why_no_rule_holds(make_run, capsys) -> None:
    """One evaluation per state, every other state failing: no range of values has the evidence
    a rule needs, and the report says what that means and what to read instead."""
    run = make_run("run", {"x": list(range(10))}, lambda s: (1, int(s[0] % 2 == 0)))
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    why = (
        "no range of concept values fails at a rate known (the lower end of its 95% CI) to reach "
        "50%, as when failures are spread thin over many states; read the connected regions "
        "(--slices regions), or lower the threshold"
    )
    assert capsys.readouterr().out.splitlines()[2] == (
        f"no failure rule found for the 5 concept states failing at least 50% of their "
        f"evaluations: {why}"
    )
    said = "5 concept states failing at least 50% of their evaluations"
    assert f"No failure rule was found for the {said}: {why}." in _md_notes(run)


def test_no_rule_line_says_which_states_it_counts_beside_the_fits_count(make_run, capsys) -> None:
    """`ffade fit` said "failures: 965 (in 337 concept states)" and the report "no failure rule
    found for the 85 failing states": the report's line now says what it counts, and of how many
    states with a failure, so the two read as one."""

    def counts(s: tuple[int, ...]) -> tuple[int, int]:
        return (1, int(s[0] % 2 == 0)) if s[0] < 10 else (4, 1)  # 5 fail 1 of 1, 4 fail 1 of 4

    run = make_run("run", {"x": list(range(14))}, counts, failing_concept_states=9)
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard", "--min-evaluations", "1"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[2]
        .startswith(
            "no failure rule found for the 5 concept states failing at least 50% of their "
            "evaluations (of the 9 with a failure): no range of concept values fails"
        )
    )
    assert main([str(run), "--no-tensorboard", "--min-evaluations", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == (
        "no failing state found (failure rate >= 50% over at least 2 evaluations): no failure "
        "rule to find"
    )


def test_no_rule_line_says_how_many_states_with_a_failure_are_set_apart(make_run, capsys) -> None:
    """The text quickstart said "85 concept states failing ... (of the 337 with a failure)", but
    the 85 count only states no meaning-changing edit applies to (203 of the 337 failed that
    often): the states under `negate`, set apart from rules, are now counted in the line."""

    def counts(s: tuple[int, ...]) -> tuple[int, int]:
        negate, x = s
        if negate:  # a failure on 3 states, each under negate: no rule's business
            return (2, 1) if x < 3 else (2, 0)
        return (1, int(x % 2 == 0)) if x < 10 else (4, 1)  # 5 fail 1 of 1, 4 fail 1 of 4

    grid = {"negate": [0, 1], "x": list(range(14))}
    run = _first_concept_changes_meaning(make_run("run", grid, counts, failing_concept_states=12))
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    said = (
        "no failure rule found for the 5 concept states failing at least 50% of their "
        "evaluations (of the 12 with a failure, 3 of them under negate, reported apart): "
    )
    assert capsys.readouterr().out.splitlines()[2].startswith(said)
    assert (
        json.loads((run / "report.json").read_text())["rules"]["failing_concept_states_apart"] == 3
    )


def test_coverage_says_it_counts_failing_states_outside_a_meaning_changing_edit(
    make_run, capsys
) -> None:
    """ "1 failure rule covers 100% of 4 failing states" beside fit's "in 7 concept states" left
    out that rules count only states outside negate; the line and the note now say so, in the
    no-rule line's words."""

    def counts(s: tuple[int, ...]) -> tuple[int, int]:
        negate, x = s
        if negate:  # 3 states with a failure, each under negate: no rule's business
            return (2, 2) if x < 3 else (2, 0)
        return (4, 4) if x >= 10 else (4, 0)

    grid = {"negate": [0, 1], "x": list(range(14))}
    run = _first_concept_changes_meaning(make_run("run", grid, counts, failing_concept_states=7))
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    said = (
        "1 failure rule covers 100% of 4 failing states outside negate (failure rate >= 50%; "
        "of the 7 with a failure, 3 of them under negate, reported apart); top: "
    )
    assert capsys.readouterr().out.splitlines()[2].startswith(said)
    assert any(
        note.startswith(
            "1 failure rule covers 4 of the 4 failing states outside negate (100%; of the 7 with "
            "a failure, 3 of them under negate, reported apart); every rule's"
        )
        for note in _md_notes(run)
    ), _md_notes(run)


def test_a_run_without_failures_says_none_were_found(make_run, capsys) -> None:
    passing = make_run("passing", {"x": [0, 1, 2]}, lambda s: (4, 0))
    capsys.readouterr()
    assert main([str(passing), "--no-tensorboard"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == "no failures found: no failure rule to find"
    once = make_run("once", {"x": [0, 1, 2]}, lambda s: (4, s[0] == 2))  # 1 of 4: no state fails
    assert main([str(once), "--no-tensorboard"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == (
        "no failing state found (failure rate >= 50%): no failure rule to find"
    )


def test_a_comparison_of_regions_names_regions(image_run, make_run, image_concepts) -> None:
    """The shift's title names what its statuses measure (the compared run's own evaluations,
    against the threshold): after a fix, "still failing" there beside the retest's "pass" on the
    same pairs read as a contradiction."""
    other = make_run("other", image_concepts, lambda s: (10, 0))
    argv = [str(image_run), "--compare", str(other), "--no-tensorboard", "--threshold", "0.4"]
    judged = "on the compared run's evaluations (failure rate there vs the 40% threshold)"
    for slices, title, columns in (
        (
            "regions",
            f"## Region shift: this run's regions {judged}",
            "| status | region | first run | second run | overlapping regions now |",
        ),
        (
            "rules",
            f"## Rule shift: this run's rules {judged}",
            "| status | rule | first run | second run | overlapping rules now |",
        ),
    ):
        assert main([*argv, "--slices", slices]) == 0
        lines = (image_run / "report.md").read_text().splitlines()
        assert lines[lines.index(title) + 2] == columns
        assert json.loads((image_run / "report.json").read_text())["compare"]["slices"] == slices
        assert f"the {slices[:-1]} shift follows this run's {slices}" in _md_notes(image_run)[-1]


def test_a_label_with_a_comma_is_named_in_axes_as_one_quoted_word(make_run, capsys) -> None:
    run = make_run("run", {"pos, x": [0, 1, 2], "y": [0, 1]}, lambda s: (4, 4 * (s[0] == 2)))
    assert main([str(run), "--axes", "pos, x", "--no-tensorboard"]) == 0
    assert main([str(run), "--axes", "pos,", "x", "--no-tensorboard"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"ffade: error: --axes: unknown concept 'pos,' in {run}; concepts: 'pos, x', 'y'; labels "
        "are separate words, one with a space or comma quoted: --axes 'pos, x' y"
    )


def test_one_failing_state_is_said_in_the_singular(make_run, capsys) -> None:
    """ "1 failure rule covers 100% of 1 failing states": a run with one failing state."""
    run = make_run("run", {"x": [0, 1, 2]}, lambda s: (10, 10 * (s[0] == 2)))
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    out = capsys.readouterr().out
    assert "1 failure rule covers 100% of 1 failing state (failure rate >= 50%)" in out, out
    assert any("covers 1 of the 1 failing state (100%)" in note for note in _md_notes(run))


def test_a_threshold_short_of_one_is_not_said_as_100_percent(make_run, capsys) -> None:
    """--threshold 0.999 counts a state failing 999 of 1000 times: "failure rate >= 100%" (as
    a whole percentage rounds it) would say only states that always fail count."""
    run = make_run("run", {"x": [0, 1, 2, 3]}, lambda s: (50, 50 * (s[0] >= 2)))
    capsys.readouterr()
    assert main([str(run), "--threshold", "0.999", "--no-tensorboard"]) == 0
    closing = capsys.readouterr().out
    assert "failing at least 99.9% of their evaluations" in closing and "100%" not in closing
    assert _md_notes(run)[0].startswith("A concept state fails when at least 99.9% of its ")
    assert main([str(run), "--threshold", "0.5", "--no-tensorboard"]) == 0
    assert "(failure rate >= 50%)" in capsys.readouterr().out


def test_overlapping_slices_of_the_compared_run_are_named_with_their_conditions(image_run) -> None:
    """The compared run's rules have no table in report.md: "S-d1f915db" alone in the rule
    shift could not be looked up; each reads with its conditions."""
    argv = [str(image_run), "--compare", str(image_run), "--no-tensorboard"]
    assert main(argv) == 0
    compare = json.loads((image_run / "report.json").read_text())["compare"]
    rule = compare["regions"][0]
    assert rule["id"] in compare["region_shift"]["still_failing"][0]["overlapping"]
    row = next(
        line
        for line in (image_run / "report.md").read_text().splitlines()
        if line.startswith("| still failing |")
    )
    assert f"{rule['id']} ({rule['conditions']})" in row.split("|")[-2]


def test_each_note_is_a_paragraph_of_its_own_in_markdown(make_run) -> None:
    """Quote lines in a row are one paragraph in Markdown: the notes read as one run-on text."""
    run = make_run("run", {"x": [0, 1, 2]}, lambda s: (10, 10 * (s[0] == 2)))
    assert main([str(run), "--no-tensorboard"]) == 0
    lines = (run / "report.md").read_text().split("\n\n")[1].splitlines()
    assert len(_md_notes(run)) >= 2
    assert lines[1::2] == [">"] * (len(lines) // 2)  # a quote's blank line between two notes
    assert all(line.startswith("> ") for line in lines[::2])


def _first_concept_changes_meaning(run: Path) -> Path:
    """``run`` with its first concept marked as an edit that changes what the input says."""
    summary = json.loads((run / "summary.json").read_text())
    summary["concepts"][0]["keeps_meaning"] = False
    (run / "summary.json").write_text(json.dumps(summary))
    return run


def test_no_rule_line_of_one_failing_state_reads_in_the_singular(make_run, capsys) -> None:
    """One state fails all its 3 evaluations: "the 1 concept state failing all its evaluations
    (with at least 3 evaluations)", not "their" and "each" as of many states."""
    run = make_run("run", {"x": [0, 1, 2, 3]}, {(0,): (4, 0), (1,): (4, 2), (2,): (3, 3)})
    capsys.readouterr()
    assert main([str(run), "--threshold", "1", "--min-evaluations", "3", "--no-tensorboard"]) == 0
    line = capsys.readouterr().out.splitlines()[2]
    assert line.startswith(
        "no failure rule found for the 1 concept state failing all its evaluations "
        "(with at least 3 evaluations): "
    ), line


def test_a_compared_run_not_finished_is_said_in_the_notes(make_run) -> None:
    """docs/report.md: a run not finished is reported all the same, its notes saying the numbers
    cover what was logged so far; a compared run's too, whose rule shift rests on them."""
    first = make_run("first", {"x": [0, 1, 2, 3]}, {(2,): (4, 4), (3,): (4, 4)})
    second = make_run("second", {"x": [0, 1, 2, 3]}, {(2,): (1, 1)}, status="interrupted")
    assert main([str(first), "--compare", str(second), "--no-tensorboard"]) == 0
    assert (
        "The compared run's status is 'interrupted': its numbers cover what was logged so far, "
        "so a slice it has not reached yet reads not retested or unclear."
    ) in _md_notes(first)
    assert main([str(first), "--compare", str(first), "--no-tensorboard"]) == 0
    assert "The compared run's status" not in _md_notes(first)


def test_a_share_short_of_all_never_reads_100_percent(make_run, capsys) -> None:
    """999 failures of 1000 read "100% failure" and one rule covering 201 of 202 failing states
    "covers 100%" when rounded plainly: both read as all. A share strictly between 0 and 1 reads
    1% to 99%; an interval's ends stay bounds (999 of 1000: 99-100%)."""
    run = make_run("run", {"x": [0, 1]}, {(0,): (1000, 0), (1,): (1000, 999)})
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    out = capsys.readouterr().out
    assert "top: x = 1: 99% failure (95% CI 99-100%), 1000 evaluations" in out, out
    assert "| 99% | 99%-100% | 1000 |" in (run / "report.md").read_text()

    # y = 0 fails everywhere; one lone state at y = 1 fails too, which the rule leaves out
    wide = make_run(
        "wide", {"x": list(range(201)), "y": [0, 1]}, lambda s: (1, int(s[1] == 0 or s[0] == 200))
    )
    assert main([str(wide), "--no-tensorboard"]) == 0
    out = capsys.readouterr().out
    rules = json.loads((wide / "report.json").read_text())["rules"]
    assert (rules["covered_failing_states"], rules["failing_states"]) == (201, 202)
    assert "1 failure rule covers 99% of 202 failing states" in out, out
    assert any("covers 201 of the 202 failing states (99%)" in note for note in _md_notes(wide))


def test_an_interval_of_all_failures_never_reads_100_to_100(make_run, capsys) -> None:
    """1000 failures in 1000: the Wilson interval's lower end is 99.6%, which plain rounding
    reads "100-100%", against the docs (the lower end stays below 100%); none in 1000 reads
    "0-1%", never "0-0%"."""
    run = make_run("run", {"x": [0, 1]}, {(0,): (1000, 0), (1,): (1000, 1000)})
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    out = capsys.readouterr().out
    assert "top: x = 1: 100% failure (95% CI 99-100%), 1000 evaluations" in out, out
    from ffade.summarize.regions import describe_rate

    assert describe_rate(0, 1000) == "0% failure (95% CI 0-1%), 1000 evaluations"


def test_a_grid_run_short_of_every_pair_says_its_rates_are_its_first_inputs(
    make_run, capsys
) -> None:
    """A grid sweep of 10 of 40 pairs (input 0 alone: it walks input by input) read as the
    model's rates, and the learning explorers' note even sent readers to the grid for unbiased
    ones; a sweep of every pair, or a random run, says nothing of it."""
    grid = {"x": [0, 1, 2, 3, 4], "y": [0, 1]}
    short = make_run("short", grid, lambda s: (1, int(s[0] == 4)), num_inputs=4)
    assert main([str(short), "--no-tensorboard"]) == 0
    (note,) = [note for note in _md_notes(short) if "grid explorer" in note]
    assert note == (
        "The grid explorer walks every state of one input before the next: its 10 "
        "evaluations of the 40 (input, state) pairs reached the first input only (of 4 "
        "inputs), so its rates are that input's, not the model's over its inputs; a budget of "
        "every pair, or the random explorer, gives rates over all of them."
    )
    whole = make_run("whole", grid, lambda s: (4, int(s[0] == 4)), num_inputs=4)
    sampled = make_run("random", grid, lambda s: (1, 0), num_inputs=4, explorer="random")
    for run in (whole, sampled):
        assert main([str(run), "--no-tensorboard"]) == 0
        assert not any("grid explorer" in note for note in _md_notes(run))


def test_failures_only_at_the_start_state_are_said_so_not_spread_thin(make_run, capsys) -> None:
    """A microscopic run whose inputs fail only unchanged, at its start state, has no rule; the
    report said "as when failures are spread thin over many states" (one state held them all)
    and told the reader to lower the threshold, which would name the unchanged inputs' state."""
    counts = {(0, 0): (8, 4), (1, 0): (8, 0), (0, 1): (8, 0)}
    run = make_run("run", {"x": [0, 1, 2], "y": [0, 1]}, counts, mode="microscopic")
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    why = (
        "every failure is at the neutral start state: those inputs fail unchanged, so no "
        "concept value is to blame"
    )
    assert capsys.readouterr().out.splitlines()[2] == (
        f"no failure rule found for the 1 concept state failing at least 50% of its "
        f"evaluations: {why}"
    )
    assert (
        "No failure rule was found for the 1 concept state failing at least 50% of its "
        f"evaluations: {why}." in _md_notes(run)
    )
    assert json.loads((run / "report.json").read_text())["rules"]["failures_only_at_start"] == why
