"""Priorities a person gave to a run's failure regions, and the feedback.yaml that keeps them.

A priority says how much a failure region matters to the person who owns the model: ``high``,
``medium`` or ``low`` ask the fine-tuner to fix it (with that much weight), ``skip`` says leave it
alone. feedback.yaml records each answered region with everything the fine-tuner needs (its
member concept states) and what the person saw (its description and example picture), so it
stays meaningful even if regions are later recomputed with other settings. It is rewritten
atomically after every answer: an interrupted review loses nothing already entered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ffade.errors import FfadeError, as_written
from ffade.feedback.grid_indices import check_allowed, check_states
from ffade.feedback.priorities_file import check_priorities
from ffade.feedback.priority_levels import (  # re-exported: where callers import them
    PRIORITIES as PRIORITIES,
)
from ffade.feedback.priority_levels import (
    PRIORITY_WEIGHTS as PRIORITY_WEIGHTS,
)
from ffade.feedback.priority_levels import (
    SHORT as SHORT,
)
from ffade.feedback.priority_levels import (
    check_priority as check_priority,
)
from ffade.feedback.priority_levels import (
    priority_named as priority_named,
)
from ffade.records import read_summary, write_text_atomic
from ffade.shell_words import shell_path
from ffade.summarize.grid import read_grid
from ffade.summarize.landscape import Landscape
from ffade.summarize.meaning import load_kept_landscape
from ffade.summarize.regions import SLICE_KINDS, Region, find_regions
from ffade.summarize.rules import Rule, find_rules
from ffade.writable import written
from ffade.yamlfile import FAST_DUMPER, read_yaml

FEEDBACK_FILE = "feedback.yaml"
"""Where ``ffade feedback`` saves priorities, inside the run directory."""


@dataclass
class RegionFeedback:
    """One region as the person judged it.

    Attributes:
        id: the region's stable id (as ``ffade report`` shows it).
        priority: high, medium, low or skip.
        conditions: the concept ranges that define it, in plain language.
        description: the line the person read (ranges, failure rate, interval, evidence).
        num_states: how many ``states`` it holds (a region's failing states; a rule's evaluated
            states, failing or not).
        source: where the answer came from ("interactive", or the priorities file and entry).
        examples: the examples shown (a picture, or a text target's .md), relative to the run
            directory (None: none made).
        states: member concept states, one grid index per concept; what the fine-tuner trains on.
        allowed: for a rule, the grid indices its conditions allow, one list per concept: every
            state it allows is the fix's, evaluated or not, so none counts as untargeted (None
            for a region, whose members are all it claims).
    """

    id: str
    priority: str
    conditions: str
    description: str
    num_states: int
    source: str
    examples: str | None = None
    states: list[list[int]] = field(default_factory=list)
    allowed: list[list[int]] | None = None

    @classmethod
    def of(
        cls, region: Region, priority: str, source: str, examples: str | None = None
    ) -> RegionFeedback:
        return cls(
            id=region.id,
            priority=priority,
            conditions=region.conditions,
            description=region.description,
            num_states=region.num_states,
            source=source,
            examples=examples,
            states=region.states.tolist(),
            allowed=[list(a) for a in region.allowed] if isinstance(region, Rule) else None,
        )

    @property
    def weight(self) -> float:
        return PRIORITY_WEIGHTS[self.priority]


@dataclass
class Feedback:
    """Everything feedback.yaml holds: which run, how regions were found, and the answers.

    Attributes:
        run: the run directory the regions come from.
        threshold: failure rate at which a concept state counted as failing.
        min_evaluations: evaluations a state needed before it could count as failing.
        concepts: the grid the states index, as {label: values}.
        regions: the answered slices (rules or regions), in rank order.
        slices: "rules" or "regions": how the failures were described (files written before
            rules existed hold regions).
    """

    run: str
    threshold: float
    min_evaluations: int
    concepts: dict[str, list[Any]]
    regions: list[RegionFeedback] = field(default_factory=list)
    slices: str = "rules"

    @property
    def prioritized(self) -> list[RegionFeedback]:
        """The regions the person wants fixed (any priority but skip)."""
        return [r for r in self.regions if r.priority != "skip"]

    def answer(self, entry: RegionFeedback) -> None:
        """Record one region's answer; a new answer (``--redo``) replaces the old one where it
        stands, so feedback.yaml keeps the order the regions were asked in."""
        ids = [r.id for r in self.regions]
        if entry.id in ids:
            self.regions[ids.index(entry.id)] = entry
        else:
            self.regions.append(entry)

    def counts(self) -> dict[str, int]:
        return {p: sum(r.priority == p for r in self.regions) for p in PRIORITIES}

    def save(self, path: str | Path, option: str = "") -> Path:
        """Write feedback.yaml atomically (temporary file, then rename): never half a file.
        ``option``: the option that named ``path`` (``--out``), for the line a failed write is."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = asdict(self)
        # what was ranked: a header saying "regions" over rules misnamed them
        noun = "rule" if self.slices == "rules" else "region"
        listed = " (listed under regions:)" if noun == "rule" else ""
        header = (
            f"# ffade feedback: priorities given to this run's failure {noun}s{listed}.\n"
            "# priority: high, medium or low asks `ffade fit` with a fine-tuner to fix the "
            f"{noun}\n# (weighted 3:2:1); skip leaves it alone. states index the concepts' values "
            "below.\n"
        )
        text = header + yaml.dump(
            data, Dumper=_FlowListDumper, sort_keys=False, width=100, allow_unicode=True
        )
        with written(path, option):  # --out's file or the run's: one line with the OS's reason
            write_text_atomic(path, text)
        return path


class _FlowListDumper(FAST_DUMPER):  # type: ignore[misc,valid-type]
    """Block style for mappings, flow style for lists of scalars: states stay one line each."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(x, (dict, list)) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowListDumper.add_representer(list, _represent_list)


def load_regions(
    run_dir: str | Path, threshold: float = 0.5, min_evaluations: int = 1, slices: str = "rules"
) -> tuple[Landscape, list[Region]]:
    """A run's landscape and failure slices in rank order, exactly as reports find them.

    ``slices`` "rules" (the default) gives the rules of :func:`find_rules`, every one of which
    has enough evidence to ask a person about; "regions" the connected regions, most severe
    first.
    """
    landscape = load_kept_landscape(run_dir)  # as the report: meaning-changing failures apart
    if slices == "rules":
        return landscape, list(find_rules(landscape, threshold, min_evaluations).rules)
    return landscape, find_regions(landscape, threshold, min_evaluations)


def new_feedback(
    run_dir: str | Path,
    landscape: Landscape,
    threshold: float,
    min_evaluations: int,
    slices: str = "rules",
) -> Feedback:
    """Answers not yet given for ``run_dir``'s slices; ``run`` is recorded resolved, since a
    fine-tune or export reads the file from any directory and checks it names their run."""
    return Feedback(
        run=str(Path(run_dir).resolve()),
        threshold=threshold,
        min_evaluations=min_evaluations,
        concepts=dict(zip(landscape.labels, landscape.values, strict=True)),
        slices=slices,
    )


def read_feedback(path: str | Path, run_dir: str | Path | None = None) -> Feedback:
    """Load and check a feedback.yaml, so a fine-tuner never trains on a malformed one.

    ``run_dir``, the run the file is meant to rank: its concepts' order is checked before any
    state, since a file whose keys a tool sorted reads its states against the wrong axes
    (:func:`refuse_another_concept_order`).

    Raises:
        FfadeError: the file is missing or not YAML, a key is missing or unknown, a priority is
            not one of :data:`PRIORITIES`, or a state does not index the grid in ``concepts``.
    """
    path = Path(path)
    # a hand edit gone wrong: `ffade export` or a fine-tuner cannot answer again itself
    run = shell_path(run_dir) if run_dir is not None else "RUN_DIR"
    # the command that writes this very file, for the run it is read for, as a fine-tuner knows it
    out = (
        ""
        if run_dir is None or path == Path(run_dir) / FEEDBACK_FILE
        else f" --out {shell_path(path)}"
    )
    data = read_yaml(
        path,
        f"feedback file {shell_path(path)} not found; make one with `ffade feedback {run}{out}` "
        f"(interactive) or `ffade feedback {run}{out} --from priorities.yaml`",
        unique_keys=True,
        mend=f"; mend it, or move it away and answer again with `ffade feedback {run}`",
    )
    concepts = _checked_concepts(path, data)
    if run_dir is not None:
        # read_grid: a hand-edited summary whose concepts are out of shape is one line here too
        run_order = list(read_grid(read_summary(run_dir), str(run_dir)).labels)
        refuse_another_concept_order(path, list(concepts), run_order, run_dir)
    entries = data.get("regions") or []
    if not isinstance(entries, list):
        raise FfadeError(
            f"{path}: 'regions' is {as_written(entries)}; expected a list of answered slices"
        )
    regions = [
        _read_region_entry(entry, f"{path}: regions[{i}]", concepts)
        for i, entry in enumerate(entries)
    ]
    first: dict[str, int] = {}  # an id answered twice (a hand edit): both were trained on
    for i, region in enumerate(regions):
        j = first.setdefault(region.id, i)
        if j != i:
            raise FfadeError(
                f"{path}: regions[{i}]: id {region.id!r} is answered already by regions[{j}]; "
                "answer each slice once"
            )
    return Feedback(
        run=str(data["run"]),
        threshold=_checked_option(path, data, "threshold"),
        min_evaluations=_checked_option(path, data, "min_evaluations"),
        concepts={str(k): list(v) for k, v in concepts.items()},
        regions=regions,
        slices=_checked_option(path, data, "slices"),
    )


def _checked_option(path: Path, data: dict[Any, Any], key: str) -> Any:
    """The file's ``threshold``, ``min_evaluations`` or ``slices`` (a file from before slices
    existed holds regions), refused unless ``ffade feedback`` could have been given it: a
    continuation would otherwise suggest an option the command refuses."""
    value = data.get(key, "regions") if key == "slices" else data[key]
    if key == "threshold":
        fits = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1
        allowed = "a failure rate in (0, 1]"
    elif key == "min_evaluations":
        fits = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        allowed = "a whole number from 1"
    else:
        fits = value in SLICE_KINDS
        allowed = " or ".join(SLICE_KINDS)
    if not fits:
        raise FfadeError(f"{path}: '{key}' is {as_written(value)}; expected {allowed}")
    return float(value) if key == "threshold" else value


def _checked_concepts(path: Path, data: Any) -> dict[Any, list[Any]]:
    """The file's ``concepts`` grid, once its top-level keys are known to be all there.

    Checked before any region, since every region's states are checked against this grid.
    """
    if not isinstance(data, dict):
        raise FfadeError(f"{path}: expected a mapping with keys run, concepts and regions")
    missing = [k for k in ("run", "threshold", "min_evaluations", "concepts") if k not in data]
    if missing and _is_priorities_file(data, missing):
        check_priorities(data, str(path))  # its misspelt key ('rnak') named here, not later
        raise FfadeError(
            f"{path} is a priorities file (regions by rank, id or state), not a feedback.yaml: "
            f"apply it with `ffade feedback RUN_DIR --from {shell_path(path)}`, which writes "
            "RUN_DIR/feedback.yaml for the fine-tuner"
        )
    if missing and "explorer" in data:  # the run's summary.json, one file from the right one
        raise FfadeError(
            f"{path} is a discovery run's summary, not a feedback.yaml: pass "
            f"{path.parent / FEEDBACK_FILE}, which "
            f"`ffade feedback {shell_path(path.parent)}` writes"
        )
    if missing:
        raise FfadeError(f"{path}: key {missing[0]!r} is missing; `ffade feedback` writes it")
    concepts = data["concepts"]
    if not isinstance(concepts, dict) or not all(
        isinstance(v, list) and v for v in concepts.values()
    ):
        raise FfadeError(f"{path}: 'concepts' must map each concept label to its grid values")
    return concepts


def refuse_another_concept_order(
    path: Path, order: list[Any], run_order: list[Any], run_dir: str | Path
) -> None:
    """Refuse a feedback file listing the run's concepts in another order.

    Two grids compare equal as mappings in any order, but a state's indices follow the order:
    a file rewritten by a tool that sorts YAML keys would fine-tune (or export) other states
    than the person ranked, or fail on a state "off the grid" that is not.
    """
    if order != run_order and sorted(map(str, order)) == sorted(map(str, run_order)):
        raise FfadeError(
            f"{path}: its concepts are in another order ({', '.join(map(str, order))}) than "
            f"the grid of run {shell_path(run_dir)} ({', '.join(map(str, run_order))}), the order "
            "its states index; put them back in the run's order (a tool that sorts YAML keys moves "
            "them)"
        )


def _is_priorities_file(data: dict[Any, Any], missing: list[str]) -> bool:
    """Whether a mapping reads as ``ffade feedback --from``'s input: a ``default``, an entry with
    ``rank`` or ``contains``, or ``regions`` alone (``rnak: 1`` was told "'run' is missing")."""
    entries = data.get("regions") if isinstance(data.get("regions"), list) else []
    named = any(isinstance(e, dict) and ("rank" in e or "contains" in e) for e in entries)
    return "default" in data or named or (len(missing) == 4 and "regions" in data)


def _read_region_entry(entry: Any, where: str, concepts: dict[Any, list[Any]]) -> RegionFeedback:
    """One entry of ``regions``, checked key by key; ``where`` names it in every error.

    Only id, priority and states are required: the rest is what the person saw, which a
    hand-written file may leave out without changing what the fine-tuner trains on.
    """
    if not isinstance(entry, dict):
        raise FfadeError(f"{where}: expected a mapping with id, priority and states")
    allowed = set(RegionFeedback.__dataclass_fields__)
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise FfadeError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )
    for key in ("id", "priority", "states"):
        if key not in entry:
            raise FfadeError(f"{where}: key {key!r} is missing")
    priority = check_priority(entry["priority"], where)
    states = entry["states"]
    check_states(states, where, concepts)
    allowed = entry.get("allowed")
    if allowed is not None:
        check_allowed(allowed, where, concepts)
    num_states = entry.get("num_states", len(states))
    if not isinstance(num_states, int) or isinstance(num_states, bool) or num_states < 0:
        # int() said "invalid literal for int() with base 10: 'many'", naming neither
        raise FfadeError(
            f"{where}: 'num_states' is {as_written(num_states)}; expected a whole number from "
            "0, or leave it out"
        )
    return RegionFeedback(
        id=str(entry["id"]),
        priority=priority,
        conditions=str(entry.get("conditions", "")),
        description=str(entry.get("description", "")),
        num_states=num_states,
        source=str(entry.get("source", "")),
        examples=entry.get("examples"),
        states=[list(map(int, s)) for s in states],
        allowed=None if allowed is None else [list(map(int, a)) for a in allowed],
    )


def region_states(regions: list[RegionFeedback]) -> np.ndarray:
    """All member states of some regions (m, k), without repeats, in first-seen order."""
    seen: dict[tuple[int, ...], None] = {}
    for region in regions:
        for state in region.states:
            seen.setdefault(tuple(state), None)
    return np.asarray(list(seen), dtype=np.int64)
