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
