"""The lines `ffade report` closes with (ffade.summarize.report_ending), driven through the
command as a user types it."""

from __future__ import annotations

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
        "--threshold 0.5 --min-evaluations 2"
    )
    # the command it gives finds a slice (a region: 2 of 2 is too little for a rule)
    assert main([str(run), "--min-evaluations", "2", "--no-tensorboard"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"next: ffade feedback {run} --slices regions --min-evaluations 2")


def test_the_notes_say_one_evaluation_in_the_singular(make_run) -> None:
    """ "at least 1 evaluation there failed", not "1 evaluation(s)"."""
    run = make_run("run", {"x": [0, 1]}, {(1,): (2, 2)})
    assert main([str(run), "--no-tensorboard"]) == 0
    notes = (run / "report.md").read_text()
    assert "at least 50% of at least 1 evaluation there failed" in notes
    assert "(s)" not in notes


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
