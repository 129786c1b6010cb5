"""Priorities from a file saved as feedback.yaml (feedback_from_file); the entries' own checks are
in test_priorities_file.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ffade.errors import FfadeError
from ffade.feedback.from_file import feedback_from_file, nothing_to_review
from ffade.feedback.priorities import load_regions, read_feedback
from ffade.feedback.priorities_file import read_priorities
from ffade.loop_feedback import LOOP_SLICES_HINT
from ffade.summarize.regions import Region


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_run_without_rules_says_to_use_regions(run: Path, tmp_path: Path, in_process) -> None:
    """A microscopic run's few evaluations per state back no rule: `--from` says so as the plain
    command does (exit 0, the way out named, a file with no priorities saved); it exited 2."""
    log = run / "evaluations.jsonl"
    failing = [line for line in log.read_text().splitlines() if '"failed": true' in line]
    log.write_text(failing[0] + "\n")  # one failure: a region, but too little evidence for a rule
    priorities = write(tmp_path / "p.yaml", {"regions": [{"rank": 1, "priority": "high"}]})
    why = (
        "nothing to review: no failure rule has enough evidence to name (its 1 evaluation is too "
        "few to be sure); give --slices regions to prioritize its 1 failure region instead; saved "
        f"{run / 'feedback.yaml'}, with no priorities (a fine-tuner has nothing to fix)"
    )
    code, out, _ = in_process("feedback", str(run), "--from", str(priorities), "--no-examples")
    assert (code, out.splitlines()) == (0, [why])
    assert read_feedback(run / "feedback.yaml").regions == []
    code, out, _ = in_process("feedback", str(run), "--no-examples")  # the plain command
    assert (code, out.splitlines()[-1]) == (0, why)
    summary = json.loads((run / "summary.json").read_text())  # "a microscopic run" was said of
    (run / "summary.json").write_text(json.dumps(summary | {"mode": "microscopic"}))  # any run
    code, out, _ = in_process("feedback", str(run), "--no-examples")
    assert "(a microscopic run often has none); give --slices regions" in out.splitlines()[-1]
    code, out, _ = in_process(
        "feedback", str(run), "--from", str(priorities), "--slices", "regions", "--no-examples"
    )
    assert code == 0 and read_feedback(run / "feedback.yaml").counts()["high"] == 1, out
    # ffade loop says it in its config's words
    assert nothing_to_review(run, 0.5, 1, "rules", LOOP_SLICES_HINT).endswith(
        "set slices: regions in the loop config to prioritize its 1 failure region instead"
    )
    code, out, _ = in_process(
        "feedback", str(run), "--from", str(priorities), "--threshold", "1", "--redo"
    )
    assert code == 0  # at 100% no rule can have enough evidence, whatever the run: say so
    assert "(at a threshold of 1 none can: a 95% CI's lower end never reaches 100%)" in out
    code, _, err = in_process("feedback", str(run), "--from", str(tmp_path / "typo.yaml"))
    assert code == 2  # the file's mistake first, not the run's lack of rules
    assert (
        err.strip() == f"ffade: error: --from: priorities file {tmp_path / 'typo.yaml'} not found"
    )


def test_errors_about_rules_call_them_rules(run: Path, tmp_path: Path, in_process) -> None:
    _, rules = load_regions(run, slices="rules")
    past = len(rules) + 1
    priorities = write(tmp_path / "p.yaml", {"regions": [{"rank": past, "priority": "high"}]})
    code, _, err = in_process("feedback", str(run), "--from", str(priorities), "--no-examples")
    assert code == 2
    count = f"{len(rules)} failure rule{'s' if len(rules) != 1 else ''}"
    assert f"rank {past} is past the last rule; {run} has {count}" in err, err


def test_an_id_of_the_other_kind_of_slice_says_so(run: Path, tmp_path: Path, in_process) -> None:
    """An R- id copied from the report's regions table, read against rules, names the mix-up."""
    _, regions = load_regions(run, slices="regions")
    given = regions[0].id
    priorities = write(tmp_path / "p.yaml", {"regions": [{"id": given, "priority": "high"}]})
    code, _, err = in_process("feedback", str(run), "--from", str(priorities), "--no-examples")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"({given} is a region's id, not a rule's: see --slices)" in err
    assert not (run / "feedback.yaml").exists()


def test_a_rule_holds_a_state_its_conditions_allow_that_was_never_evaluated(
    tmp_path: Path,
) -> None:
    """``{contains: {g: 2}}`` (c at its neutral 0) named no rule although ``g = 2`` is one: the
    search never tried (g=2, c=0), and only the evaluated states were looked at."""
    from tests.summarize.conftest import write_run

    def counts(state: tuple[int, ...]) -> tuple[int, int]:
        g, c = state
        return (0, 0) if (g, c) == (2, 0) else (20, 20 if g == 2 else 0)

    run = write_run(tmp_path / "run", {"g": [0, 1, 2], "c": [0, 1, 2, 3]}, counts)
    landscape, rules = load_regions(run, slices="rules")
    assert [(rule.allowed, len(rule.states)) for rule in rules] == [(((2,), (0, 1, 2, 3)), 3)]
    entries = [{"contains": {"g": 2}, "priority": "high"}]
    chosen = read_priorities(write(tmp_path / "p.yaml", {"regions": entries}), landscape, rules)
    assert [(region.id, priority) for region, priority, _ in chosen] == [(rules[0].id, "high")]
    entries = [{"contains": {"g": 1}, "priority": "high"}]
    with pytest.raises(FfadeError, match=r"no failure region of .* contains \{.g.: 1, .c.: 0\}"):
        read_priorities(write(tmp_path / "q.yaml", {"regions": entries}), landscape, rules)


def test_a_priority_written_twice_for_one_entry_is_one_line(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    """YAML kept the last priority without a word: a "high" added above the old "low" of the
    same entry was silently dropped."""
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions:\n  - rank: 1\n    priority: high\n    priority: low\n")
    landscape, _ = load_regions(run, slices="regions")
    with pytest.raises(FfadeError) as error:
        read_priorities(priorities, landscape, regions)
    said = str(error.value)
    assert "line 4: key 'priority' is given twice in one mapping (first on line 3)" in said
    assert said.startswith(str(priorities)) and "\n" not in said


def test_a_concept_typed_in_another_case_is_named_as_meant(tmp_path) -> None:
    """Labels are matched exactly, so two may differ only by case ('Rot' and 'rot'); one typed
    in the wrong case was refused with the list alone, its twin lost in it."""
    from ffade.concept_names import unknown_concept

    labels = ["rot|a *b*", "Rot|A *B*", "pos, x"]
    assert unknown_concept("ROT|A *B*", labels) == (
        "unknown concept 'ROT|A *B*' (did you mean 'Rot|A *B*'?); "
        "concepts: 'rot|a *b*', 'Rot|A *B*', 'pos, x'"
    )
    assert unknown_concept("axis9", ["rotation"]) == "unknown concept 'axis9'; concepts: rotation"


def test_a_saved_feedback_yaml_as_from_keeps_each_answers_source(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    """docs/mitigation.md: `source` is where the answer came from. A saved feedback.yaml given
    to --from (another person's, or the run's own) rewrote each "interactive" answer as the
    file's entry ("theirs.yaml regions[0] (id)"); the answer is the same one, so its
    source stays."""
    code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="h\nm\nq\n")
    assert code == 0, err
    theirs = tmp_path / "theirs.yaml"
    theirs.write_bytes((run / "feedback.yaml").read_bytes())
    out = tmp_path / "mine.yaml"
    options = ["--slices", "regions", "--out", str(out)]
    code, _, err = in_process("feedback", str(run), "--from", str(theirs), *options)
    assert code == 0, err
    assert [(r.id, r.priority, r.source) for r in read_feedback(out).regions] == [
        (regions[0].id, "high", "interactive"),
        (regions[1].id, "medium", "interactive"),
        (regions[2].id, "skip", "theirs.yaml default"),  # no answer there: the file's default
    ]
    # the run's own file applied over itself: its answers keep their source too
    code, _, err = in_process(
        "feedback", str(run), "--from", str(run / "feedback.yaml"), "--slices", "regions"
    )
    assert code == 0, err
    saved = read_feedback(run / "feedback.yaml")
    assert [r.source for r in saved.regions] == [
        "interactive",
        "interactive",
        "feedback.yaml default",
    ]


def test_a_refused_from_drops_the_pictures_it_drew_and_keeps_those_there_before(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    """`--from` refused because feedback.yaml changed while it drew left its pictures in
    RUN/feedback/, pictures no saved answer names, for a reader to take as the answers'. Now
    the refused command removes those it drew; a picture there before stays."""
    priorities = write(
        tmp_path / "p.yaml",
        {"regions": [{"rank": 1, "priority": "high"}, {"rank": 2, "priority": "medium"}]},
    )
    code, _, err = in_process(
        "feedback", str(run), "--slices", "regions", "--no-examples", answers="l\nq\n"
    )
    assert code == 0, err
    folder = run / "feedback"
    folder.mkdir(exist_ok=True)
    earlier = folder / f"{regions[2].id}.png"
    earlier.write_bytes(b"drawn by an earlier session")
    saved = run / "feedback.yaml"

    def draw_while_a_person_edits(region: Region) -> str:
        if not saved.read_text().endswith("# edited\n"):  # the other shell: an edit, saved
            saved.write_text(saved.read_text() + "# edited\n")
        picture = folder / f"{region.id}.png"
        picture.write_bytes(b"drawn by --from")
        return str(picture)

    with pytest.raises(FfadeError, match="changed while these priorities were applied"):
        feedback_from_file(
            run, priorities, pictures=draw_while_a_person_edits, slices="regions", redo=True
        )
    assert [r.examples for r in read_feedback(run / "feedback.yaml").regions] == [None]
    assert sorted(folder.iterdir()) == [earlier]
    assert earlier.read_bytes() == b"drawn by an earlier session"


def test_from_never_saves_over_answers_a_session_saved_while_it_drew(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    """A person ranking the run in one shell while `--from` drew its pictures (seconds) in
    another: the person's answer, saved meanwhile, was replaced by `--from`'s save, silently
    (the interactive side refuses to save over a file changed since it read it; `--from` did
    not). Now `--from` refuses in one line and the person's answer stays."""
    priorities = write(tmp_path / "p.yaml", {"regions": [{"rank": 1, "priority": "high"}]})
    said = []

    def person_answers_meanwhile(region: Region) -> None:
        if not said:  # the other shell: `ffade feedback RUN --slices regions`, answer `l`, `q`
            said.append(in_process("feedback", str(run), "--slices", "regions", answers="l\nq\n"))
        return None

    with pytest.raises(FfadeError) as refused:
        feedback_from_file(
            run, priorities, pictures=person_answers_meanwhile, slices="regions", redo=True
        )
    assert said[0][0] == 0
    assert str(refused.value) == (
        f"{run / 'feedback.yaml'} changed while these priorities were applied (another ffade "
        "feedback or an edit saved it meanwhile), so they were not saved over it; run the "
        "command again to apply them to the answers it holds now"
    )
    saved = read_feedback(run / "feedback.yaml").regions
    assert [(r.id, r.priority) for r in saved] == [(regions[0].id, "low")]  # the person's
    # again, as the line says: the person's answer is another priority, so it is refused
    code, _, err = in_process(
        "feedback", str(run), "--from", str(priorities), "--slices", "regions", "--no-examples"
    )
    assert code == 2 and "holds other priorities: 1 of its 1 answer would change" in err
    assert "add --redo to replace it, or" in err  # one answer: "it", not "them"
