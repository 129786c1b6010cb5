"""Priorities from a file: ``ffade feedback RUN_DIR --from priorities.yaml``, without prompts.

:func:`feedback_from_file` is what the command and ``ffade loop`` call; it saves feedback.yaml.

A priorities file lists regions and a priority for each. A region is named in one of three ways,
so a file can be written for one run (by id) or kept in a repository and applied to any run of
the same task (by rank or by a state it contains)::

    regions:
      - {id: R-76157059, priority: high}          # the id `ffade report` shows
      - {rank: 2, priority: medium}               # the 2nd most severe region
      - {contains: {rotation: 20, gaussian_blur: 2.5}, priority: low}
                                                  # the region holding this state (concepts not
                                                  # named take their neutral value)
    default: skip                                 # regions not listed (the default is skip)

Each mistake (an unknown key, a missing or unknown priority, an id that is no region of the run,
a rank past the last region, a state no region contains, a region chosen twice) is one line that
names the entry and what is allowed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError, print_line
from ffade.feedback.continuing import AnswersFile
from ffade.feedback.priorities import (
    FEEDBACK_FILE,
    Feedback,
    RegionFeedback,
    load_regions,
    new_feedback,
    read_feedback,
)
from ffade.feedback.priorities_file import (
    check_priorities,
    entries_naming_nothing,
    read_priorities,
    read_priorities_file,
)
from ffade.log_bars import bar_for
from ffade.summarize.landscape import Landscape
from ffade.summarize.regions import Region
from ffade.summarize.start_failures import UNCHANGED_SLICE

REDO_HINT = "add --redo to replace {them}, or --out FILE to save these elsewhere"
"""How ``ffade feedback --from`` replaces answers saved earlier; see :func:`feedback_from_file`.
``{them}`` agrees with how many the file holds ("holds 1 answer ...; add --redo to replace it")."""

OUT_GIVEN_REDO_HINT = "add --redo to replace {them}, or another --out FILE to save these elsewhere"
""":data:`REDO_HINT` where ``--out`` was typed: "or --out FILE" named an option the command
already had, so the way out it offered read as the one that had just been refused."""


SLICES_HINT = "give --slices regions"

PASSING_HINT = "run the discovery again with --model.init_args.task.only_passing_inputs true"
"""How to search what the concepts break where the one failure region is the neutral state:
leave out the inputs that fail unchanged (``ffade loop`` and ``ffade.mitigate`` say it in their
own words)."""


def regions_instead(
    run_dir: str | Path,
    threshold: float,
    min_evaluations: int,
    how: str = SLICES_HINT,
    to: str = "prioritize",
    passing: str | None = None,
) -> str | None:
    """When a run has no failure rule but has failure regions, how to prioritize those (``how``:
    the option that does it, ``ffade loop``'s differs; ``to``: what it does, ``ffade export``
    exports them).

    Where ``passing`` is given (how to leave out the inputs that fail unchanged) and the only
    region is the neutral state alone, that is said instead: prioritized, it stopped the loop
    (and is noted by ``ffade feedback --from``) as a fine-tune on unchanged inputs, so "set
    slices: regions" led to a dead end."""
    landscape, found = load_regions(run_dir, threshold, min_evaluations, "regions")
    if not found:
        return None
    if passing is not None and all(region.unchanged(landscape.neutral) for region in found):
        return (
            f"no failure rule has enough evidence to name, and its one failure region is "
            f"{UNCHANGED_SLICE}; to search what the concepts break, {passing}"
        )
    regions = f"{len(found)} failure region{'s' if len(found) > 1 else ''}"
    if threshold >= 1:
        why = "at a threshold of 1 none can: a 95% CI's lower end never reaches 100%"
    elif landscape.mode == "microscopic":
        why = "a microscopic run often has none"
    else:  # a short macroscopic run (a small budget): "microscopic" named what it was not
        count = int(landscape.visited_evaluations.sum())
        why = f"its {count} evaluation{' is' if count == 1 else 's are'} too few to be sure"
    return (
        f"no failure rule has enough evidence to name ({why}); {how} to {to} its {regions} instead"
    )


def nothing_to_review(
    run_dir: str | Path,
    threshold: float,
    min_evaluations: int,
    slices: str,
    how: str = SLICES_HINT,
    landscape: Landscape | None = None,
    settings: str = "the threshold and min evaluations above",
    passing: str | None = PASSING_HINT,
) -> str:
    """Why a run has no slice to review: no failure at all, rules too little evidenced where
    regions are (``how``: the option that shows them, as :func:`regions_instead`, or
    ``passing`` where the one region is the neutral state alone), or no state failing by the
    threshold and minimum (``settings``: how to name them where they were not printed above).
    ``landscape``: the run's, when already read."""
    if landscape is None:
        landscape = load_regions(run_dir, threshold, min_evaluations, slices)[0]
    if not landscape.visited_failures.sum():
        return "no failure was found"
    if slices == "rules":
        hint = regions_instead(run_dir, threshold, min_evaluations, how, passing=passing)
        if hint:
            return hint
    return f"no concept state fails by {settings}"


def feedback_from_file(
    run_dir: str | Path,
    priorities: str | Path | dict[str, Any],
    out: str | Path | None = None,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    pictures: Callable[[Region], str | None] | None = None,
    slices: str = "rules",
    redo: bool = False,
    redo_hint: str = REDO_HINT,
    given: bool = True,
    before_examples: Callable[[], None] | None = None,
) -> Feedback:
    """Apply a priorities file (or the same as a mapping) to a run's regions and save
    feedback.yaml; no prompts.

    Example pictures are made for the prioritized regions only (``pictures``; default 8 each).
    ``out`` may hold answers already, a person's perhaps: unless ``redo``, they are replaced
    only if the file gives each of them the same priority again (a command run twice), and
    otherwise refused in one line ending with ``redo_hint``, how to replace them (its ``{them}``
    becomes "it" for one answer).

    A run with no slice to review (no failure, or rules too thin to name) saves a file with no
    priorities, as ``ffade feedback`` without ``--from`` does; the caller says why
    (:func:`nothing_to_review`) and whether that stops it (``ffade loop``: nothing to fix).
    Entries of a ``given`` file that then name nothing are said in a note; not of the default
    mapping ``ffade.mitigate`` applies unasked, whose ``rank: 1`` the caller never typed.
    ``before_examples`` is called once the slices are found and the saved answers may be
    replaced, before the examples' bar: ``ffade feedback`` says there that the run did not
    finish, first, as it does before its questions (said after the bar, the note read as
    being about the answers saved).
    """
    run_dir = Path(run_dir)
    option = "--out" if out else ""  # a failed write names the option that chose the file
    out = Path(out) if out else run_dir / FEEDBACK_FILE
    noun = "rule" if slices == "rules" else "region"
    if not isinstance(priorities, dict):  # a mistake in the file is said before the log is
        check_priorities(
            read_priorities_file(priorities), str(priorities), noun
        )  # read (a minute, large)
    # as read before its answers are: an interactive session saving there while the pictures
    # are drawn (seconds) lost its answer to this save, silently; refused at the save now
    file = AnswersFile(out)
    landscape, regions = load_regions(run_dir, threshold, min_evaluations, slices)
    if not regions and given and (unnamed := entries_naming_nothing(priorities, noun)):
        # a stale file's entries, said apart from the caller's "nothing to review": the command,
        # ffade loop and ffade.mitigate each say it (the last two before their error)
        print_line(f"ffade: note: {unnamed}")
    if pictures is None:
        from ffade.feedback.picture_maker import picture_maker  # torch, plugins: when it draws

        pictures = picture_maker(run_dir, 8)
    feedback = new_feedback(run_dir, landscape, threshold, min_evaluations, slices)
    chosen = read_priorities(priorities, landscape, regions, noun)
    if not redo:
        new = {region.id: priority for region, priority, _ in chosen}
        _keep_other_answers(out, feedback, new, redo_hint)
    if before_examples is not None:
        before_examples()
    drawn = sum(priority != "skip" for _, priority, _ in chosen)
    if getattr(pictures, "__name__", "") == "no_pictures":
        drawn = 0
    # the target loaded, the log read for the worst failures, a figure per slice: seconds with
    # nothing on stderr (22 s on a busy machine for the quickstart's one high rule)
    bar = bar_for(sys.stderr, total=drawn, desc="examples", unit=noun, disable=not drawn)
    from ffade.feedback.picture_files import pictures_as_saved, pictures_dropped_if_unsaved

    with pictures_dropped_if_unsaved(run_dir, out):  # refused: its pictures name no answer
        try:
            for region, priority, source in chosen:
                picture = pictures(region) if priority != "skip" else None
                if priority != "skip":
                    bar.update(1)
                feedback.answer(RegionFeedback.of(region, priority, source, picture))
        except BaseException:  # the error's own line follows: a half bar above it is noise
            bar.leave = False
            raise
        finally:
            bar.close()
        file.check(applying=True)
        feedback.save(out, option)
    pictures_as_saved(feedback, out, run_dir)  # the replaced answers' go
    return feedback


def holds_answers(
    run_dir: str | Path,
    priorities: str | Path | dict[str, Any],
    out: str | Path,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    slices: str = "rules",
) -> bool:
    """Whether ``out`` holds exactly the answers ``priorities`` gives the run's slices, found
    with these settings: applying them again would change nothing (a resumed fine-tune's own
    priorities, given again), so nothing is rewritten and no picture is drawn again."""
    out = Path(out)
    if not out.is_file():
        return False
    try:
        saved = read_feedback(out)
    except FfadeError:  # damaged: applying them says so
        return False
    if (saved.threshold, saved.min_evaluations, saved.slices) != (
        threshold,
        min_evaluations,
        slices,
    ):
        return False
    noun = "rule" if slices == "rules" else "region"
    landscape, regions = load_regions(run_dir, threshold, min_evaluations, slices)
    chosen = read_priorities(priorities, landscape, regions, noun)
    new = {region.id: priority for region, priority, _ in chosen}
    return {r.id: r.priority for r in saved.regions} == new


def _keep_other_answers(out: Path, fresh: Feedback, new: dict[str, str], hint: str) -> None:
    """Refuse to replace answers saved in ``out`` (a person's, perhaps) with other priorities.

    Giving each saved answer the same priority again loses nothing (a command run twice);
    answers about another run are always refused, as ``ffade feedback --out`` refuses to
    continue them. ``fresh`` holds the run and the settings the new answers' slices were found with.
    """
    if not out.is_file():
        return
    try:
        saved = read_feedback(out, fresh.run)
    except FfadeError as error:  # damaged, or edited by hand: it may still hold answers
        raise FfadeError(
            f"{out} is there but its answers cannot be read ({error}); {hint.format(them='them')}"
        ) from None
    them = "it" if len(saved.regions) == 1 else "them"  # "holds 1 answer ...; replace it"
    hint = hint.format(them=them)
    run = Path(fresh.run).resolve()
    inside = out.resolve().parent == run  # a run's own file, even if the run was moved
    if saved.regions and not inside and Path(saved.run).resolve() != run:
        raise FfadeError(  # its regions share ids, not states, with this run's: all would go
            f"{out} holds {_answers(len(saved.regions))} about run {saved.run}, not "
            f"{fresh.run}; {hint}"
        )
    changed = [r for r in saved.regions if new.get(r.id) != r.priority]
    if not changed:
        return
    settings = (saved.threshold, saved.min_evaluations, saved.slices)
    if settings != (fresh.threshold, fresh.min_evaluations, fresh.slices):
        raise FfadeError(  # its slices are not these: name the settings, not one id
            f"{out} holds {_answers(len(saved.regions))} for {saved.slices} found with threshold "
            f"{saved.threshold:g} and min evaluations {saved.min_evaluations}; {hint}"
        )
    first = changed[0]
    raise FfadeError(
        f"{out} holds other priorities: {len(changed)} of its {_answers(len(saved.regions))} "
        f"would change (first: {first.id} {first.priority} -> {new.get(first.id, 'unanswered')}); "
        f"{hint}"
    )


def _answers(count: int) -> str:
    return f"{count} answer{'s' if count != 1 else ''}"
