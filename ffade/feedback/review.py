"""The interactive review: one prompt per failure region, every answer saved as it is given.

The prompt shows what a person needs to judge a region (its concept ranges, failure rate with its
95% interval and evidence, how many states it holds, where its example picture is) and accepts a
priority by word or first letter. A wrong answer is explained and asked again; ``q`` or end of
input stops the review with every earlier answer already saved (Ctrl-C or SIGTERM too, as the
KeyboardInterrupt it raises, which the command ends with exit 130), and running the command
again asks only what is still unanswered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ffade.feedback.priorities import PRIORITIES, Feedback, RegionFeedback, priority_named
from ffade.shell_words import shell_path
from ffade.summarize.regions import Region
from ffade.summarize.report_notes import failing_criterion, failing_states
from ffade.summarize.rules import Rule
from ffade.summarize.start_failures import UNCHANGED_SLICE

QUIT = ("q", "quit")


def parse_answer(text: str) -> str | None:
    """The priority an answer names, "quit" to stop, or None if it names neither."""
    if text.strip().lower() in QUIT:
        return "quit"
    return priority_named(text)


def review(
    regions: list[Region],
    feedback: Feedback,
    save: Callable[[Feedback], Path],
    pictures: Callable[[Region], str | None],
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
    redo: bool = False,
    run_dir: Path | None = None,
    neutral: Sequence[int] | None = None,
) -> bool:
    """Ask for a priority for each region, saving after every answer; True if all were answered.

    Args:
        regions: the regions to ask about, most severe first.
        feedback: answers so far; regions it already answers are not asked again, unless
            ``redo`` (then a new answer replaces the old one, a blank one gives the old one
            again, and stopping keeps the rest). Each prompt is numbered by the region's place
            in ``regions``, answered or not.
        save: writes the feedback (called after each answer).
        pictures: makes a region's example picture and returns where it is (None: no picture).
        ask: reads one answer (``input`` in a terminal; tests pass a script).
        say: prints a line.
        run_dir: the run the pictures' paths are relative to, shown joined to it, so that a
            person can open them from where the command was typed.
        neutral: the grid's neutral state; a slice that is it alone is said to be so (its
            inputs fail unchanged), as ``ffade report`` ranks nothing for it.

    Raises:
        KeyboardInterrupt: Ctrl-C (or SIGTERM) at a prompt; each earlier answer is saved.
    """
    answered = set() if redo else {r.id for r in feedback.regions}
    earlier = {r.id: r for r in feedback.regions} if redo else {}
    # numbered by place among all: continuing asked "[1/2]" about the 2nd of 3 rules
    todo = [(n, r) for n, r in enumerate(regions, start=1) if r.id not in answered]
    if answered:
        done = len(regions) - len(todo)
        noun = "rules" if regions and isinstance(regions[0], Rule) else "regions"
        verb = "is" if done == 1 else "are"
        say(f"{done} of these {noun} {verb} already answered (--redo to ask again)")
    letters = "/".join(p[0] for p in PRIORITIES)
    for number, region in todo:
        picture = pictures(region)
        say("")
        say(f"[{number}/{len(regions)}] {region.id}  {region.description}")
        shown = run_dir / picture if picture and run_dir is not None else picture
        # one shell word, as ffade's other printed paths: `xdg-open` it as shown
        evidence = _evidence(region, feedback.threshold, feedback.min_evaluations)
        say(f"    {evidence}" + (f"; examples: {shell_path(shown)}" if shown else ""))
        if neutral is not None and region.unchanged(neutral):
            say(f"    this is {UNCHANGED_SLICE}")
        before = earlier.get(region.id)  # --redo: the earlier answer, which Enter gives again
        kept = before.priority if before else None
        keep = f"; Enter keeps {kept}" if kept else ""
        while True:
            try:
                text = ask(f"priority [{letters}, q to stop{keep}]: ")
            except EOFError:
                text = "quit"
            answer = kept if kept and not text.strip() else parse_answer(text)
            if answer is not None:
                break
            say(
                f"    {_quoted(text)} is not a priority; type one of "
                f"{', '.join(f'{p[0]} ({p})' for p in PRIORITIES)}, or q to stop"
            )
        if answer == "quit":
            return False
        # Enter keeps the earlier answer, and where it came from (a --from file's entry)
        source = before.source if before and not text.strip() and before.source else "interactive"
        feedback.answer(RegionFeedback.of(region, answer, source, picture))
        save(feedback)
    return True


def _quoted(text: str, most: int = 20) -> str:
    """A wrong answer as said back, cut after ``most`` characters: a line pasted at the prompt
    by mistake was repeated whole (3,000 characters, screens of it on a narrow terminal)."""
    shown = text.strip()
    return repr(shown) if len(shown) <= most else f"{shown[:most]!r}..."


def _evidence(region: Region, threshold: float, min_evaluations: int) -> str:
    """How many states back a slice: a rule's failing states among those it holds, a region's
    failing states among the combinations its ranges name. What "failing" counts is said as
    ``ffade report`` says it ("failure rate >= 50%"): ``ffade fit`` counts every state with a
    failure, so "322 failing concept states" alone read as a count of another kind. The
    words are the report's own ("322 failing states (failure rate >= 50%)"), from its helpers."""
    criterion = failing_criterion(threshold, min_evaluations)
    if isinstance(region, Rule):
        return (
            f"{failing_states(region.failing_states)} ({criterion}) among the "
            f"{region.num_states} evaluated (of {region.range_states} the rule allows)"
        )
    return (
        f"{failing_states(region.num_states)} ({criterion}; of {region.range_states} "
        "in these ranges)"
    )
