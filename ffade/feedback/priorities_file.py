"""A priorities file's entries (``ffade feedback --from``, ``ffade loop``'s feedback, the
priorities ``ffade.mitigate`` applies): checked on their own, then matched to a run's regions.

Split from :mod:`ffade.feedback.from_file`, which saves what they choose as feedback.yaml; the
file's format and its checks are in that module's docstring.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ffade.concept_names import grid_index, unknown_concept
from ffade.errors import FfadeError, as_written
from ffade.feedback.priority_levels import PRIORITIES, check_priority
from ffade.shell_words import shell_path
from ffade.summarize.landscape import Landscape
from ffade.summarize.regions import Region
from ffade.summarize.rules import Rule
from ffade.yamlfile import read_yaml

if TYPE_CHECKING:
    from ffade.plugin_api import Concept

SELECTORS = ("id", "rank", "contains")
ENTRY_KEYS = (*SELECTORS, "priority", "note")


def read_priorities_file(path: str | Path) -> Any:
    """A priorities file's contents, a key given twice in one mapping refused."""
    return read_yaml(
        Path(path), f"--from: priorities file {shell_path(path)} not found", unique_keys=True
    )


def read_priorities(
    priorities: str | Path | dict[str, Any],
    landscape: Landscape,
    regions: list[Region],
    noun: str = "region",
) -> list[tuple[Region, str, str]]:
    """(region, priority, source) for every region of the run, from a priorities file.

    Regions the file does not list take its ``default`` priority (skip unless it says otherwise).
    A run with no region gives none: its entries' ranks and ids name nothing, which is no
    mistake in the file ("rank 1 is past the last rule" was said where nothing failed).
    ``noun`` is what errors call them: "rule" when the run's slices are rules. A mapping
    (``ffade.mitigate``'s ``priorities``) is read as the file's contents, and errors and sources
    name it "priorities", as the argument a Python caller typed.

    Raises:
        FfadeError: the file is missing or malformed; see the module docstring for the checks.
    """
    if isinstance(priorities, dict):
        data, path, name = priorities, "priorities", "priorities"
    else:
        data, path, name = read_priorities_file(priorities), str(priorities), Path(priorities).name
    default, entries = check_priorities(data, path, noun)
    chosen: dict[str, tuple[Region, str, str]] = {}
    for i, priority, kind, value in entries:
        where = f"{path}: regions[{i}]"
        if not regions:  # nothing to review: no entry can name a slice (callers say why), but
            if kind == "contains":  # a state off the grid is the file's mistake on any run
                _state_of(value, landscape, where)
            continue
        region = _select(kind, value, landscape, regions, where, noun)
        if region.id in chosen:
            raise FfadeError(
                f"{where}: {noun} {region.id} ({region.conditions}) is already given a priority "
                f"by {chosen[region.id][2]}; list each {noun} once"
            )
        chosen[region.id] = (region, priority, _source(data["regions"][i], name, i, kind))
    return [chosen.get(region.id, (region, default, f"{name} default")) for region in regions]


def entries_naming_nothing(
    priorities: str | Path | dict[str, Any], noun: str = "region"
) -> str | None:
    """The line that names a file's entries applied to a run with no slice (the note of ``ffade
    feedback --from``, ``ffade loop`` and ``ffade.mitigate``): a stale file's ``rank: 1`` or id
    named nothing and the run said only "nothing to review", as if the file had been read and
    matched. No mistake (a rank or an id is one for another run), so a note; None where the file
    lists no entry. A mapping (``ffade.mitigate``'s ``priorities``) is named "priorities"."""
    if isinstance(priorities, dict):
        data, where, name = priorities, "priorities", "priorities"
    else:
        data, where, name = (
            read_priorities_file(priorities),
            str(priorities),
            shell_path(priorities),
        )
    _, entries = check_priorities(data, where, noun)
    if not entries:
        return None
    named = [f"regions[{i}] ({_selector(kind, value)})" for i, _, kind, value in entries]
    listed = ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]
    return (
        f"{name}: {listed} name{'s' if len(named) == 1 else ''} no {noun} of this run: it has none"
    )


def _selector(kind: str, value: Any) -> str:
    """An entry's selector as the file spells it: ``rank: 1``, ``id: S-...``,
    ``contains: {blur: 2.0}``."""
    return f"{kind}: {value if isinstance(value, str) else as_written(value)}"


def _source(entry: dict[str, Any], name: str, index: int, kind: str) -> str:
    """Where an entry's answer came from: the file's entry, or, for an entry of a saved
    feedback.yaml, the ``source`` it records (``interactive``, say): the answer is the same one,
    copied, and applying the file again (over itself too) rewrote its origin."""
    saved = entry.get("source")
    if isinstance(saved, str) and saved.strip():
        return saved
    return f"{name} regions[{index}] ({kind})"


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
        hint = _meant(unknown[0], ("regions", "default", *_SAVED_KEYS))
        raise FfadeError(
            f"{path}: unknown key {unknown[0]!r}{hint}; allowed: regions, default{_SAVED}"
        )
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
        extra = sorted(set(entry) - set(ENTRY_KEYS) - set(_INFORMATIONAL))
        if extra:
            raise FfadeError(
                f"{where}: unknown key {extra[0]!r}{_meant(extra[0], ENTRY_KEYS)}; "
                f"allowed: {', '.join(ENTRY_KEYS)}" + _saved_also(_INFORMATIONAL)
            )
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
            raise FfadeError(f"{where}: rank {as_written(value)} must be a whole number from 1")
        if kind == "contains" and not isinstance(value, dict):  # {}: the neutral state
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

_INFORMATIONAL = (
    "conditions",
    "description",
    "num_states",
    "source",
    "examples",
    "states",
    "allowed",
)
"""Keys feedback.yaml adds to an entry; accepted and ignored, so it can serve as a --from file."""


def _meant(key: object, keys: Sequence[str]) -> str:
    """`` (did you mean 'priority'?)`` for a misspelt key (``priorty``, ``rnak``): the line named
    the key and listed the allowed ones, leaving the reader to spot which was meant. The keys
    are few and unlike each other, so difflib's default cutoff, looser than concept labels'
    :func:`~ffade.concept_names.did_you_mean`, catches ``rnak`` without steering ``colour``."""
    close = difflib.get_close_matches(str(key), list(keys), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _saved_also(keys: Sequence[str]) -> str:
    """The tail of an unknown-key line: the keys a saved feedback.yaml adds are allowed too (the
    line named only the priorities file's, though these were accepted)."""
    return f" (and, not read, a saved feedback.yaml's {', '.join(keys)})"


_SAVED = _saved_also(_SAVED_KEYS)


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
        index = grid_index(grids[axis], value)  # true is not the grid's 1.0
        if index is None:
            raise FfadeError(
                f"{where}: {label} = {as_written(value)} is not on its grid; allowed: {grids[axis]}"
            )
        indices[axis] = index
    return indices
