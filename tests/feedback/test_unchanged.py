"""``ffade feedback --from`` notes a priority given to the neutral state alone, as a review does."""

from __future__ import annotations

from pathlib import Path

from tests.summarize.conftest import write_run

NOTE = (
    "ffade: note: {file} regions[0] (rank) gives region {id} priority high, but it is the "
    "neutral state alone: its inputs fail unchanged, so a fine-tune on it would train on "
    "unchanged inputs, which no concept change explains"
)


def test_from_notes_a_priority_given_to_the_inputs_unchanged(tmp_path: Path, in_process) -> None:
    """A microscopic run whose inputs fail only unchanged has one region, the neutral state: the
    interactive review says what it is, `--from` gave it priority high in silence. It notes it now
    (stderr, the answers saved as before); a skip of it, and a region off the neutral state, are
    not noted."""
    grid = {"x": [0, 1, 2], "y": [0, 1]}
    run = write_run(tmp_path / "run", grid, {(0, 0): (8, 4), (1, 0): (8, 0)}, mode="microscopic")
    high = tmp_path / "high.yaml"
    high.write_text("regions:\n  - {rank: 1, priority: high}\n")
    args = ["--slices", "regions", "--no-examples"]
    code, out, err = in_process("feedback", str(run), "--from", str(high), *args)
    assert code == 0 and out.startswith("saved priorities for 1 of 1 regions"), out
    saved = (run / "feedback.yaml").read_text()
    region = saved.split("- id: ", 1)[1].split("\n", 1)[0]
    assert err.splitlines() == [NOTE.format(file=high.name, id=region)]

    skip = tmp_path / "skip.yaml"
    skip.write_text("regions:\n  - {rank: 1, priority: skip}\ndefault: skip\n")
    code, _, err = in_process("feedback", str(run), "--from", str(skip), "--redo", *args)
    assert code == 0 and "neutral state alone" not in err, err

    moved = write_run(tmp_path / "moved", grid, {(1, 0): (8, 4), (0, 0): (8, 0)})
    code, _, err = in_process("feedback", str(moved), "--from", str(high), *args)
    assert code == 0 and "neutral state alone" not in err, err


UNCHANGED = (
    "the neutral state alone: its inputs fail unchanged, so a fine-tune on it would train on "
    "unchanged inputs, which no concept change explains; to search what the concepts break, run "
    "the discovery again with --model.init_args.task.only_passing_inputs true"
)


def test_neither_closing_line_leads_to_a_fine_tune_on_the_inputs_unchanged(
    tmp_path: Path, in_process
) -> None:
    """On rules, such a run said `give --slices regions to prioritize its 1 failure region
    instead`; with --slices regions, the closing line named `ffade fit` to fix it: both led to a
    fine-tune on the inputs unchanged (`ffade loop` stops before it). Each says what the slice is
    now, and how to search what the concepts break."""
    grid = {"x": [0, 1, 2], "y": [0, 1]}
    run = write_run(tmp_path / "run", grid, {(0, 0): (8, 4), (1, 0): (8, 0)}, mode="microscopic")
    high = tmp_path / "high.yaml"
    high.write_text("regions:\n  - {rank: 1, priority: high}\n")
    code, out, _ = in_process("feedback", str(run), "--from", str(high), "--no-examples")
    assert code == 0
    assert out.strip() == (
        "nothing to review: no failure rule has enough evidence to name, and its one failure "
        f"region is {UNCHANGED}; saved {run / 'feedback.yaml'}, with no priorities (a fine-tuner "
        "has nothing to fix)"
    )
    args = ["--slices", "regions", "--no-examples"]
    code, out, _ = in_process("feedback", str(run), "--from", str(high), *args)
    assert code == 0
    assert out.strip() == (
        f"saved priorities for 1 of 1 regions to {run / 'feedback.yaml'} (1 high, 0 medium, 0 "
        f"low, 0 skip); the one region given a priority is {UNCHANGED}"
    )
