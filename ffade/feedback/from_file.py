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

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ffade.concept_names import unknown_concept
from ffade.errors import FfadeError
from ffade.feedback.priorities import (
    FEEDBACK_FILE,
    PRIORITIES,
    Feedback,
    RegionFeedback,
    check_priority,
    load_regions,
    new_feedback,
    read_feedback,
)
from ffade.summarize.landscape import Landscape
from ffade.summarize.regions import Region
from ffade.summarize.rules import Rule
from ffade.yamlfile import read_yaml

if TYPE_CHECKING:
    from ffade.plugin_api import Concept

SELECTORS = ("id", "rank", "contains")
REDO_HINT = "add --redo to replace them, or --out FILE to save these elsewhere"
"""How ``ffade feedback --from`` replaces answers saved earlier; see :func:`feedback_from_file`."""
ENTRY_KEYS = (*SELECTORS, "priority", "note")


SLICES_HINT = "give --slices regions"


def regions_instead(
    run_dir: str | Path,
    threshold: float,
    min_evaluations: int,
    how: str = SLICES_HINT,
    to: str = "prioritize",
) -> str | None:
    """When a run has no failure rule but has failure regions, how to prioritize those (``how``:
    the option that does it, ``ffade loop``'s differs; ``to``: what it does, ``ffade export``
    exports them)."""
    count = len(load_regions(run_dir, threshold, min_evaluations, "regions")[1])
    if not count:
        return None
    regions = f"{count} failure region{'s' if count > 1 else ''}"
    why = (
        "at a threshold of 1 none can: a 95% CI's lower end never reaches 100%"
        if threshold >= 1
        else "a microscopic run often has none"
    )
    return (
        f"no failure rule has enough evidence to name ({why}); {how} to {to} its {regions} instead"
    )


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
    slices_hint: str = SLICES_HINT,
) -> Feedback:
    """Apply a priorities file (or the same as a mapping) to a run's regions and save
    feedback.yaml; no prompts.

    Example pictures are made for the prioritized regions only (``pictures``; default 8 each).
    ``out`` may hold answers already, a person's perhaps: unless ``redo``, they are replaced
    only if the file gives each of them the same priority again (a command run twice), and
    otherwise refused in one line ending with ``redo_hint``, how to replace them.
    """
    run_dir = Path(run_dir)
    out = Path(out) if out else run_dir / FEEDBACK_FILE
    noun = "rule" if slices == "rules" else "region"
    if not isinstance(priorities, dict):  # a mistake in the file is said before the log is
        check_priorities(_read_file(priorities), str(priorities), noun)  # read (a minute, large)
    landscape, regions = load_regions(run_dir, threshold, min_evaluations, slices)
    if not regions and slices == "rules":
        hint = regions_instead(run_dir, threshold, min_evaluations, slices_hint)
        if hint:
            raise FfadeError(f"{run_dir}: {hint}")
    if pictures is None:
        from ffade.feedback.pictures import picture_maker  # torch and the plugins

        pictures = picture_maker(run_dir, 8)
    feedback = new_feedback(run_dir, landscape, threshold, min_evaluations, slices)
    chosen = read_priorities(priorities, landscape, regions, noun)
    if not redo:
        new = {region.id: priority for region, priority, _ in chosen}
        _keep_other_answers(out, feedback, new, redo_hint)
    for region, priority, source in chosen:
        picture = pictures(region) if priority != "skip" else None
        feedback.answer(RegionFeedback.of(region, priority, source, picture))
    feedback.save(out)
    from ffade.feedback.pictures import pictures_as_saved  # the replaced answers' go

    pictures_as_saved(feedback, out, run_dir)
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


def _read_file(path: str | Path) -> Any:
    return read_yaml(Path(path), f"--from: priorities file '{path}' not found", unique_keys=True)


def _keep_other_answers(out: Path, fresh: Feedback, new: dict[str, str], hint: str) -> None:
    """Refuse to replace answers saved in ``out`` (a person's, perhaps) with other priorities.

    Giving each saved answer the same priority again loses nothing (a command run twice);
    answers about another run are always refused, as ``ffade feedback --out`` refuses to
    continue them. ``fresh`` holds the run and the settings the new answers' slices were found with.
    """
    if not out.is_file():
        return
    try:
        saved = read_feedback(out)
    except FfadeError as error:  # damaged, or edited by hand: it may still hold answers
        raise FfadeError(
            f"{out} is there but its answers cannot be read ({error}); {hint}"
        ) from None
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


def read_priorities(
    priorities: str | Path | dict[str, Any],
    landscape: Landscape,
    regions: list[Region],
    noun: str = "region",
) -> list[tuple[Region, str, str]]:
    """(region, priority, source) for every region of the run, from a priorities file.

    Regions the file does not list take its ``default`` priority (skip unless it says otherwise).
    ``noun`` is what errors call them: "rule" when the run's slices are rules. A mapping
    (``ffade.mitigate``'s ``priorities``) is read as the file's contents, and errors and sources
    name it "priorities", as the argument a Python caller typed.

    Raises:
        FfadeError: the file is missing or malformed; see the module docstring for the checks.
    """
    if isinstance(priorities, dict):
        data, path, name = priorities, "priorities", "priorities"
    else:
        data, path, name = _read_file(priorities), str(priorities), Path(priorities).name
    default, entries = check_priorities(data, path, noun)
    chosen: dict[str, tuple[Region, str, str]] = {}
    for i, priority, kind, value in entries:
        where = f"{path}: regions[{i}]"
        region = _select(kind, value, landscape, regions, where, noun)
        if region.id in chosen:
            raise FfadeError(
                f"{where}: {noun} {region.id} ({region.conditions}) is already given a priority "
                f"by {chosen[region.id][2]}; list each {noun} once"
            )
        chosen[region.id] = (region, priority, f"{name} regions[{i}] ({kind})")
    return [chosen.get(region.id, (region, default, f"{name} default")) for region in regions]


def check_priorities(
    data: Any, path: str, noun: str = "region", concepts: Sequence[Concept] | None = None
) -> tuple[str, list[tuple[int, str, str, Any]]]:
    """The checks a priorities file passes whatever run it is applied to: its keys, priorities
    and one selector per entry, none repeated; with ``concepts`` (built from the discovery
    config), each ``contains``'s concepts and values too, and two that name one state (one
    spelling a neutral value out, or 20 against 20.0) are one state named twice. ``ffade loop``
    runs them before its discovery, so a mistake there is said before minutes of search, not
    after.

    Returns:
        The ``default`` priority and, per entry, its index, priority, selector and value.
    """
    # the unknown key first: 'regionz:' is a typo to name, not a missing 'regions' list
    unknown = sorted(
        set(data if isinstance(data, dict) else {}) - {"regions", "default", *_SAVED_KEYS},
        key=str,
    )
    if {"task", "evaluations"} <= set(unknown):  # a run's summary.json or report data
        raise FfadeError(f"{path}: a run's summary, not a priorities file (regions, default)")
    if unknown:
        raise FfadeError(f"{path}: unknown key {unknown[0]!r}; allowed: regions, default")
    if not isinstance(data, dict) or not isinstance(data.get("regions"), list):
        raise FfadeError(
            f"{path}: expected a mapping with a 'regions' list, e.g. "
            "regions: [{rank: 1, priority: high}]"
        )
    default = check_priority(data.get("default", "skip"), f"{path}: default")
    entries, seen = [], {}
    for i, entry in enumerate(data["regions"]):
        where = f"{path}: regions[{i}]"
        if not isinstance(entry, dict):
            raise FfadeError(f"{where}: expected a mapping like {{rank: 1, priority: high}}")
        extra = sorted(set(entry) - set(ENTRY_KEYS) - _INFORMATIONAL)
        if extra:
            raise FfadeError(f"{where}: unknown key {extra[0]!r}; allowed: {', '.join(ENTRY_KEYS)}")
        if "priority" not in entry:
            raise FfadeError(f"{where}: 'priority' is missing; give one of {', '.join(PRIORITIES)}")
        priority = check_priority(entry["priority"], where)
        given = [k for k in SELECTORS if k in entry]
        if len(given) != 1:
            raise FfadeError(
                f"{where}: name the {noun} with exactly one of {', '.join(SELECTORS)}; "
                f"got {', '.join(given) or 'none'}"
            )
        kind, value = given[0], entry[given[0]]
        if kind == "rank" and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise FfadeError(f"{where}: rank {value!r} must be a whole number from 1")
        if kind == "contains" and (not isinstance(value, dict) or not value):
            raise FfadeError(f"{where}: contains must map concept labels to grid values")
        named = (kind, repr(sorted(value.items(), key=repr) if kind == "contains" else value))
        if kind == "contains" and concepts is not None:
            named = (kind, repr(_configured_state(value, concepts, where)))
        if named in seen:  # one rank, id or state twice names one slice twice, on any run
            raise FfadeError(
                f"{where}: {kind} {value!r} names the same {noun} as regions[{seen[named]}]; "
                f"list each {noun} once"
            )
        seen[named] = i
        entries.append((i, priority, kind, value))
    return default, entries


_SAVED_KEYS = ("run", "threshold", "min_evaluations", "slices", "concepts")
"""feedback.yaml's other top-level keys; accepted and ignored, so it can serve as a --from file."""

_INFORMATIONAL = {
    "conditions",
    "description",
    "num_states",
    "source",
    "examples",
    "states",
    "allowed",
}
"""Keys feedback.yaml adds to an entry; accepted and ignored, so it can serve as a --from file."""


def _select(
    kind: str, value: Any, landscape: Landscape, regions: list[Region], where: str, noun: str
) -> Region:
    if kind == "id":
        for region in regions:
            if region.id == str(value):
                return region
        shown = ", ".join(r.id for r in regions[:8]) + (", ..." if len(regions) > 8 else "")
        other = {"rule": ("R-", "region"), "region": ("S-", "rule")}.get(noun)
        hint = (  # an id of the other kind of slice, copied from the report's other table
            f" ({value} is a {other[1]}'s id, not a {noun}'s: see --slices)"
            if other and str(value).startswith(other[0])
            else ""
        )
        raise FfadeError(
            f"{where}: id {value!r} is not a failure {noun} of {landscape.source}; "
            f"its {noun}s: {shown or 'none'}{hint}"
        )
    if kind == "rank":
        if value > len(regions):
            raise FfadeError(
                f"{where}: rank {value} is past the last {noun}; {landscape.source} has "
                f"{len(regions)} failure {noun}{'s' if len(regions) != 1 else ''}"
            )
        return regions[value - 1]
    state = _state_of(value, landscape, where)
    for region in regions:
        if _holds(region, state):
            return region
    raise FfadeError(
        f"{where}: no failure {noun} of {landscape.source} contains {landscape.state_values(state)}"
    )


def _holds(region: Region, state: np.ndarray) -> bool:
    """Whether ``state`` is in the region; a rule holds every state its conditions allow, the
    ones its search never evaluated too (its ``states`` are only the evaluated ones)."""
    if isinstance(region, Rule):
        return all(int(i) in allowed for i, allowed in zip(state, region.allowed, strict=True))
    return bool(np.any(np.all(region.states == state, axis=1)))


def _configured_state(
    values: dict[str, Any], concepts: Sequence[Concept], where: str
) -> tuple[int, ...]:
    """The grid state a ``contains`` names, from the configured concepts (before any run)."""
    state = [c.neutral_index() for c in concepts]
    labels, grids = [c.label for c in concepts], [list(c.values) for c in concepts]
    for axis, index in _grid_indices(values, labels, grids, where).items():
        state[axis] = index
    return tuple(state)


def _state_of(values: dict[str, Any], landscape: Landscape, where: str) -> np.ndarray:
    state = np.asarray(landscape.neutral or (0,) * landscape.num_concepts, dtype=np.int64).copy()
    for axis, index in _grid_indices(values, landscape.labels, landscape.values, where).items():
        state[axis] = index
    return state


def _grid_indices(
    values: dict[str, Any], labels: list[str], grids: list[list[Any]], where: str
) -> dict[int, int]:
    """Per concept named in ``values``: its axis and the grid index of its value."""
    indices = {}
    for label, value in values.items():
        if label not in labels:
            raise FfadeError(f"{where}: {unknown_concept(label, labels)}")
        axis = labels.index(label)
        if value not in grids[axis]:
            raise FfadeError(
                f"{where}: {label} = {value!r} is not on its grid; allowed: {grids[axis]}"
            )
        indices[axis] = grids[axis].index(value)
    return indices
