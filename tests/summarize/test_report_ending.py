"""The lines `ffade report` closes with (ffade.summarize.report_ending), driven through the
command as a user types it."""

from __future__ import annotations

import json
import shlex

from ffade.summarize.report import main


def test_min_evaluations_no_failing_state_reaches_points_to_a_lower_one(make_run, capsys) -> None:
    """A DQN run spreads its evaluations thin: no state with a failure was seen 3 times, so
    `--min-evaluations 3` finds nothing at any threshold. The closing line says so and gives the
    --min-evaluations that can find slices, not a halved threshold that finds nothing either."""
    run = make_run("run", {"x": [0, 1, 2, 3]}, {(0,): (5, 0), (2,): (2, 2), (3,): (1, 1)})
    capsys.readouterr()
    assert main([str(run), "--min-evaluations", "3", "--no-tensorboard"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == (
        "no failing state found (failure rate >= 50% over at least 3 evaluations): "
        "no failure rule to find"
    )
    assert lines[-1] == (
        "next: nothing to rank: no state that failed has at least 3 evaluations (the most is 2), "
        f"so no threshold finds a slice; lower --min-evaluations: ffade report {run} "
        "--threshold 0.5 --min-evaluations 2 --no-tensorboard"
    )
    # the command it gives finds a slice (a region: 2 of 2 is too little for a rule)
    assert main([str(run), "--min-evaluations", "2", "--no-tensorboard"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"next: ffade feedback {run} --slices regions --min-evaluations 2")


def test_a_suggested_report_keeps_the_options_typed(make_run, tmp_path, capsys) -> None:
    """The lower-threshold command dropped --out, --slices, --axes and --no-tensorboard: copied,
    it wrote another kind of report into the run's folder, and logged to TensorBoard. It keeps
    them now, and typed as it reads, it makes the report asked for where it was asked for."""
    run = make_run("run", {"x": [0, 1, 2, 3]}, {(0,): (5, 0), (2,): (4, 2), (3,): (4, 2)})
    out = tmp_path / "my reports"
    typed = ["--slices", "regions", "--axes", "x", "--out", str(out), "--no-tensorboard"]
    capsys.readouterr()
    assert main([str(run), "--threshold", "0.9", *typed]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    suggested = last.split("rarer failures: ", 1)[1]
    assert suggested == (
        f"ffade report {run} --threshold 0.45 --slices regions --axes x --out '{out}' "
        "--no-tensorboard"
    )
    assert main(shlex.split(suggested)[2:]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["threshold"] == 0.45 and report["regions"]
    assert not (run / "report.json").exists()
    assert not list(run.glob("events.out.tfevents.*"))  # --no-tensorboard kept


def test_the_notes_say_one_evaluation_in_the_singular(make_run) -> None:
    """ "it needs at least 1 evaluation", not "1 evaluation(s)"; and not "at least 50% of at
    least 1 evaluation there failed", which read as a riddle with the default minimum."""
    run = make_run("run", {"x": [0, 1]}, {(1,): (2, 2)})
    assert main([str(run), "--no-tensorboard"]) == 0
    notes = (run / "report.md").read_text()
    assert (
        "A concept state fails when at least 50% of its evaluations failed (it needs at least 1 "
        "evaluation); regions join failing states one grid step apart along one concept."
    ) in notes
    assert "(s)" not in notes


def test_the_notes_say_a_threshold_of_one_as_all_evaluations(make_run) -> None:
    """--threshold 1 --min-evaluations 2 read "at least 100% of at least 2 evaluations there
    failed"; now "all its evaluations failed (it needs at least 2 evaluations)"."""
    run = make_run("run", {"x": [0, 1]}, {(1,): (2, 2)})
    assert main([str(run), "--threshold", "1", "--min-evaluations", "2", "--no-tensorboard"]) == 0
    notes = (run / "report.md").read_text()
    assert (
        "A concept state fails when all its evaluations failed (it needs at least 2 evaluations)"
    ) in notes


def test_a_log_without_failures_says_so_whatever_the_summary_counts(make_run, capsys) -> None:
    """A finished run whose summary.json counts failures its evaluations.jsonl does not hold (a
    log problem the notes name) has nothing for a lower threshold to find: the closing lines
    say no failure was found, not to halve the threshold."""
    run = make_run("run", {"x": [0, 1, 2, 3]}, {(0,): (4, 0), (1,): (4, 0)}, failures=5)
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [
        "no failures found: no failure rule to find",
        "next: nothing to rank (no failure found)",
    ]
    assert "says 5 failures but" in (run / "report.md").read_text()


def _after_fix(state: tuple[int, ...]) -> tuple[int, int]:
    """The planted run after a fix: rotation 30 passes, rotation 40 still fails, and a new
    failure at rotation 0, brightness 1."""
    rotation, brightness, _ = state
    if rotation == 4 and brightness <= 1:
        return 10, 9
    if rotation == 3 and brightness <= 1:
        return 10, 0
    if rotation == 0 and brightness == 4:
        return 10, 8
    return 10, 1


def test_a_comparison_closes_with_the_shift_in_the_loops_words(
    image_run, make_run, image_concepts, capsys
) -> None:
    """`ffade report RUN --compare RERUN` typed by hand printed no word on what shifted (the user
    had to open report.md), where `ffade loop` closes with its "rules in the rediscovery" line:
    the report now closes with the same counts and words, the compared run named as such."""
    other = make_run("after", image_concepts, _after_fix)
    argv = [str(image_run), "--compare", str(other), "--no-tensorboard"]
    for options, last in (
        (
            [],
            "rules in the compared run (its failure rate there vs the 50% threshold): "
            "0 still failing, 1 unclear, 0 fixed, 0 not retested, 1 new",
        ),
        (
            ["--slices", "regions", "--threshold", "0.4"],
            "regions in the compared run (its failure rate there vs the 40% threshold): "
            "2 still failing, 0 unclear, 0 fixed, 0 not retested, 0 new",
        ),
    ):
        capsys.readouterr()
        assert main([*argv, *options]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == f"report: {image_run / 'report.html'}"
        assert lines[-1] == last
        assert not any(line.startswith("next:") for line in lines)  # feedback asks one run
        shift = json.loads((image_run / "report.json").read_text())["compare"]["region_shift"]
        counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in shift.items())
        assert lines[-1].endswith(f": {counts}")


def test_a_comparison_of_two_models_names_the_retest_that_measures_the_fix(
    image_run, make_run, image_concepts, capsys
) -> None:
    """A rediscovery on a fixed model, compared by hand as its `next:` line says, closed with
    "5 still failing, 0 fixed" on the digits quickstart (the fix took the held-out targeted rate
    from 47.8% to 19.3%) and nothing after it: the retest on the same pairs that ffade loop runs,
    and that measures the fix, was never named. Two runs of one model get no such line."""
    fixed = {"name": "digits_cnn", "args": {"weights": "fix/model.pt"}}
    other = make_run("after", image_concepts, _after_fix, task={"name": "planted", "target": fixed})
    argv = [str(image_run), "--compare", str(other), "--no-tensorboard"]
    suite = image_run / "suite.yaml"
    why = (
        " (the same sampled pairs for both models: a rediscovery seeks out what still fails, so "
        "its rates do not measure the fix)"
    )
    for options, typed in (([], ""), (["--slices", "regions"], " --slices regions")):
        capsys.readouterr()
        assert main([*argv, *options]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert " in the compared run (" in lines[-2]
        assert lines[-1] == f"next: ffade export {image_run} --to {suite}{typed}{why}"
    (image_run / "feedback.yaml").write_text("regions: []\n")  # it chooses export's slices
    assert main([*argv, "--slices", "regions"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == f"next: ffade export {image_run} --to {suite}{why}"


def test_a_comparison_of_two_explorers_names_fixed_and_new_as_the_table_does(
    image_run, make_run, image_concepts, capsys
) -> None:
    """Two explorers on one model: a rule one of them found is no fix nor a new failure; the
    closing line renames them as the report's rule shift table does."""
    other = make_run("random", image_concepts, lambda s: (4, 0), explorer="random")
    capsys.readouterr()
    assert main([str(image_run), "--compare", str(other), "--no-tensorboard"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "rules in the compared run (its failure rate there vs the 50% threshold): "
        "0 still failing, 0 unclear, 1 found by this run's explorer only, 0 not retested, "
        "0 found by the compared run's explorer only"
    )


def test_the_report_line_quotes_its_path_as_the_next_command_does(make_run, capsys) -> None:
    """``report: rep ort/é/report.html`` was printed bare under a shell-quoted ``next:``
    command: copied into a shell, it split into two words."""
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    run = make_run("run", {"blur": [0.0, 1.0, 2.0]}, counts)
    out = run.parent / "rep ort" / "é"
    capsys.readouterr()
    assert main([str(run), "--out", str(out), "--no-tensorboard"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"report: '{out / 'report.html'}'"


def test_an_out_folder_typed_with_a_backslash_is_named_with_its_slash_form(
    make_run, capsys, monkeypatch
) -> None:
    """``--out 'reports\\run1'`` silently made one folder of that name (a backslash is part of a
    name on Linux): now a note names it and the ``/`` path meant; ``reports/run1`` gets none."""
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    run = make_run("run", {"blur": [0.0, 1.0, 2.0]}, counts)
    monkeypatch.chdir(run.parent)
    capsys.readouterr()
    assert main(["run", "--out", "reports\\run1", "--no-tensorboard"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (run.parent / "reports\\run1" / "report.html").is_file()
    assert lines[:2] == [
        "report: 'reports\\run1/report.html'",
        "note: the report went to one folder named 'reports\\run1' (paths here are written "
        "with /, not \\: --out reports/run1 for folder run1 in reports)",
    ]
    assert main(["run", "--out", "reports/run1", "--no-tensorboard"]) == 0
    assert not any(line.startswith("note:") for line in capsys.readouterr().out.splitlines())


UNCHANGED = (
    "the neutral state alone: its inputs fail unchanged, so a fine-tune on it would train on "
    "unchanged inputs, which no concept change explains; to search what the concepts break, run "
    "it again with --model.init_args.task.only_passing_inputs true"
)


def test_a_run_failing_only_unchanged_names_no_feedback_step(make_run, capsys) -> None:
    """Every failure at the neutral start state: the report ended `next: ffade feedback RUN
    --slices regions`, whose one region is the inputs unchanged, which a fine-tune on no concept
    change can explain. It names no feedback step now, and says why."""
    counts = {(0, 0): (8, 4), (1, 0): (8, 0), (0, 1): (8, 0)}
    run = make_run("run", {"x": [0, 1, 2], "y": [0, 1]}, counts, mode="microscopic")
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"next: nothing to rank: the one failure region is {UNCHANGED}"
    )
    (region,) = json.loads((run / "report.json").read_text())["regions"]
    assert region["unchanged"] is True
    # a region one step off the neutral state is a concept change: feedback is the next step
    moved = make_run("moved", {"x": [0, 1, 2], "y": [0, 1]}, {(1, 0): (8, 4), (0, 0): (8, 0)})
    assert main([str(moved), "--no-tensorboard"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"next: ffade feedback {moved}")
    (region,) = json.loads((moved / "report.json").read_text())["regions"]
    assert region["unchanged"] is False


def test_failures_only_unchanged_below_the_threshold_say_what_fit_says(make_run, capsys) -> None:
    """2 of 8 inputs fail at the neutral start state, and nowhere else: `ffade fit` gave that as
    the reason for no rule, while the report said "no failing state found (failure rate >= 50%):
    no failure rule to find" and offered a lower threshold, which finds that state alone."""
    counts = {(0, 0): (8, 2), (1, 0): (8, 0), (0, 1): (8, 0)}
    run = make_run("run", {"x": [0, 1, 2], "y": [0, 1]}, counts, mode="microscopic")
    capsys.readouterr()
    assert main([str(run), "--no-tensorboard"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == (
        "no failing state found (failure rate >= 50%): every failure is at the neutral start "
        "state: those inputs fail unchanged, so no concept value is to blame"
    )
    assert lines[-1] == f"next: nothing to rank: a lower threshold would find only {UNCHANGED}"
    # from a start state of one's own, a lower threshold finds a concept change: offered still
    counts = {(2, 1): (8, 2), (1, 1): (8, 0), (2, 0): (8, 0)}
    grid = {"x": [0, 1, 2], "y": [0, 1]}
    own = make_run("own", grid, counts, mode="microscopic", start_state=[2, 1])
    assert main([str(own), "--no-tensorboard"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("no failing state found (failure rate >= 50%): every failure is")
    assert "a lower threshold finds slices of rarer failures" in lines[-1]
