"""The interactive review: one prompt per region, answers saved one by one, q stops it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ffade.feedback.priorities import Feedback, RegionFeedback
from ffade.feedback.review import parse_answer, review
from ffade.summarize.regions import Region
from tests.summarize.conftest import write_run


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("h", "high"),
        (" M\n", "medium"),
        ("low", "low"),
        ("SKIP", "skip"),
        ("s", "skip"),
        ("q", "quit"),
        ("quit", "quit"),
        ("urgent", None),
        ("", None),
        ("hi", None),
    ],
)
def test_answers_name_a_priority_by_word_or_first_letter(text: str, answer: str | None) -> None:
    assert parse_answer(text) == answer


class Session:
    """A scripted person: answers in order, then end of input (as Ctrl-D); records the rest."""

    def __init__(self, answers: list[str]) -> None:
        self._answers: Iterator[str] = iter(answers)
        self.prompts: list[str] = []
        self.lines: list[str] = []
        self.saved: list[list[tuple[str, str]]] = []

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        answer = next(self._answers, None)
        if answer is None:
            raise EOFError
        return answer

    def save(self, feedback: Feedback) -> Path:
        self.saved.append([(r.id, r.priority) for r in feedback.regions])
        return Path("feedback.yaml")

    def run(
        self,
        regions: list[Region],
        feedback: Feedback,
        pictures: Callable[[Region], str | None] = lambda region: None,
    ) -> bool:
        return review(regions, feedback, self.save, pictures, self.ask, self.lines.append)


def empty() -> Feedback:
    return Feedback(run="run", threshold=0.5, min_evaluations=1, concepts={})


def test_every_answer_is_saved_as_it_is_given(regions: list[Region]) -> None:
    session = Session(["h", "skip", "l"])
    feedback = empty()
    assert session.run(regions, feedback) is True
    ids = [r.id for r in regions]
    assert session.saved == [
        [(ids[0], "high")],
        [(ids[0], "high"), (ids[1], "skip")],
        [(ids[0], "high"), (ids[1], "skip"), (ids[2], "low")],
    ]
    assert session.prompts == ["priority [h/m/l/s, q to stop]: "] * 3
    assert all(r.source == "interactive" for r in feedback.regions)


def test_a_wrong_answer_is_explained_and_asked_again(regions: list[Region]) -> None:
    session = Session(["urgent", "m", "q"])
    assert session.run(regions, empty()) is False
    assert len(session.prompts) == 3
    assert (
        "    'urgent' is not a priority; type one of h (high), m (medium), l (low), s (skip), "
        "or q to stop" in session.lines
    )
    assert session.saved == [[(regions[0].id, "medium")]]


def test_a_long_wrong_answer_is_said_back_cut(regions: list[Region]) -> None:
    """A line pasted at the prompt by mistake (3,000 characters) was said back whole."""
    session = Session(["y" * 3000, "q"])
    assert session.run(regions, empty()) is False
    refused = [line for line in session.lines if "is not a priority" in line]
    assert refused == [
        f"    {'y' * 20!r}... is not a priority; type one of h (high), m (medium), l (low), "
        "s (skip), or q to stop"
    ]


def test_end_of_input_stops_with_earlier_answers_kept(regions: list[Region]) -> None:
    session = Session(["l"])
    feedback = empty()
    assert session.run(regions, feedback) is False
    assert [(r.id, r.priority) for r in feedback.regions] == [(regions[0].id, "low")]


def test_regions_already_answered_are_not_asked_again(regions: list[Region]) -> None:
    feedback = empty()
    feedback.answer(RegionFeedback.of(regions[1], "high", "interactive"))
    session = Session(["s", "s"])
    assert session.run(regions, feedback) is True
    assert session.lines[0] == "1 of these regions is already answered (--redo to ask again)"
    # numbered by place among all 3: continuing said [2/2] of the 3rd
    assert [line for line in session.lines if line.startswith("[")] == [
        f"[1/3] {regions[0].id}  {regions[0].description}",
        f"[3/3] {regions[2].id}  {regions[2].description}",
    ]


def test_redo_shows_the_earlier_answer_and_enter_keeps_it(regions: list[Region]) -> None:
    """--redo asked with a bare prompt, so the earlier answer was not seen, and a blank line
    was no priority; now the prompt names it and Enter gives it again."""
    feedback = empty()
    feedback.answer(RegionFeedback.of(regions[0], "high", "interactive"))
    feedback.answer(RegionFeedback.of(regions[2], "low", "interactive"))
    session = Session(["", "", "m", " "])
    assert review(regions, feedback, session.save, lambda r: None, session.ask, redo=True)
    assert session.prompts == [
        "priority [h/m/l/s, q to stop; Enter keeps high]: ",
        "priority [h/m/l/s, q to stop]: ",  # no earlier answer: blank is no priority
        "priority [h/m/l/s, q to stop]: ",
        "priority [h/m/l/s, q to stop; Enter keeps low]: ",
    ]
    assert [(r.id, r.priority) for r in feedback.regions] == [
        (regions[0].id, "high"),
        (regions[2].id, "low"),
        (regions[1].id, "medium"),
    ]


def test_redo_enter_keeps_where_the_earlier_answer_came_from(regions: list[Region]) -> None:
    """Enter under --redo gives the earlier answer again, a --from file's entry's included: it
    was re-saved as "interactive", though no one typed it; a typed answer is interactive."""
    feedback = empty()
    feedback.answer(RegionFeedback.of(regions[0], "high", "priorities.yaml regions[0] (rank)"))
    feedback.answer(RegionFeedback.of(regions[1], "low", "priorities.yaml default"))
    session = Session(["", "m", "s"])
    assert review(regions, feedback, session.save, lambda r: None, session.ask, redo=True)
    assert [(r.id, r.priority, r.source) for r in feedback.regions] == [
        (regions[0].id, "high", "priorities.yaml regions[0] (rank)"),
        (regions[1].id, "medium", "interactive"),
        (regions[2].id, "skip", "interactive"),
    ]


def test_the_prompt_shows_the_region_size_and_its_picture(regions: list[Region]) -> None:
    session = Session(["h", "h", "h"])
    pictures = {regions[0].id: "feedback/first.png"}
    feedback = empty()
    session.run(regions, feedback, lambda region: pictures.get(region.id))
    assert (
        "    40 failing states (failure rate >= 50%; of 40 in these ranges); examples: "
        "feedback/first.png" in session.lines
    )
    assert "    1 failing state (failure rate >= 50%; of 1 in these ranges)" in session.lines
    assert [r.examples for r in feedback.regions] == ["feedback/first.png", None, None]


def test_the_picture_is_shown_where_it_opens_from_the_typed_command(
    regions: list[Region],
) -> None:
    """The prompt said `examples: feedback/first.png`, relative to the run, which opens from
    nowhere but the run directory; feedback.yaml keeps it so, as the run may move."""
    session = Session(["h"])
    feedback = empty()
    review(
        regions[:1],
        feedback,
        session.save,
        lambda region: "feedback/first.png",
        session.ask,
        session.lines.append,
        run_dir=Path("runs/quickstart/version_0"),
    )
    assert session.lines[2].endswith("; examples: runs/quickstart/version_0/feedback/first.png")
    assert [r.examples for r in feedback.regions] == ["feedback/first.png"]


def test_a_rule_says_how_many_of_its_states_fail_and_what_failing_counts(run, in_process) -> None:
    """ "40 failing concept states among the 40 evaluated" left "failing" unsaid, beside fit's
    count of every state with a failure; it reads as ``ffade report``'s coverage line does."""
    code, _, err = in_process("feedback", str(run), answers="q\n")
    assert code == 0, err
    assert (
        "    40 failing states (failure rate >= 50%) among the 40 evaluated (of 40 the rule "
        "allows)" in err.splitlines()
    ), err


def test_the_prompt_names_the_minimum_evaluations_as_the_report_does(
    regions: list[Region],
) -> None:
    """Slices found with --min-evaluations 2 say so beside their count, as the report's line."""
    session = Session([])
    feedback = Feedback(run="run", threshold=0.25, min_evaluations=2, concepts={})
    session.run(regions[:1], feedback)
    assert (
        "    40 failing states (failure rate >= 25% over at least 2 evaluations; of 40 in these "
        "ranges)" in session.lines
    ), session.lines


def test_the_picture_path_is_one_shell_word_as_other_printed_paths(
    regions: list[Region],
) -> None:
    """A run under a folder with a space showed `examples: my runs/x/feedback/first.png`, two
    words to a shell, where ffade's other printed paths (`next:`, `saved ... to`) are quoted."""
    session = Session(["h"])
    review(
        regions[:1],
        empty(),
        session.save,
        lambda region: "feedback/first.png",
        session.ask,
        session.lines.append,
        run_dir=Path("my runs/x"),
    )
    assert session.lines[2].endswith("; examples: 'my runs/x/feedback/first.png'")


def test_a_region_of_the_neutral_state_alone_is_said_to_be_the_inputs_unchanged(
    tmp_path: Path, in_process
) -> None:
    """A microscopic run whose inputs fail only unchanged has one region, the neutral state:
    `ffade feedback --slices regions` asked about it as about a concept change; it says what it
    is now, and a region off the neutral state is asked about as before."""
    grid = {"x": [0, 1, 2], "y": [0, 1]}
    run = write_run(tmp_path / "run", grid, {(0, 0): (8, 4), (1, 0): (8, 0)}, mode="microscopic")
    code, _, asked = in_process("feedback", str(run), "--slices", "regions", answers="s\n")
    assert code == 0
    assert (
        "\n    this is the neutral state alone: its inputs fail unchanged, so a fine-tune on it "
        "would train on unchanged inputs, which no concept change explains\npriority [" in asked
    )
    moved = write_run(tmp_path / "moved", grid, {(1, 0): (8, 4), (0, 0): (8, 0)})
    code, _, asked = in_process("feedback", str(moved), "--slices", "regions", answers="s\n")
    assert code == 0 and "x = 1" in asked and "neutral state alone" not in asked
