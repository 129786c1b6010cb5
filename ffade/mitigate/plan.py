"""What a fine-tuner fixes: the run, the person's priorities, and the concept states they name.

A plan reads a discovery run (its summary.json holds the task spec and the concept grid) and the
feedback.yaml given for it, checks that the two describe the same grid, and turns the prioritized
regions into *targeted states* with sampling weights: a region is drawn in proportion to its
priority's weight, then one of its member states uniformly, so a high-priority region of 3 states
gets as much training as a high-priority region of 300.
A state that two regions share is drawn
through either (its weight is the sum of its shares), so the order of the feedback's regions
changes nothing, and a high-priority rule inside a low-priority one keeps its weight.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ffade import registry
from ffade.errors import EMPTY_PATH, FfadeError, broken_link, is_number
from ffade.evaluation_log import unfinished_note
from ffade.feedback.ownership import check_feedback_ranks_run
from ffade.feedback.priorities import (
    FEEDBACK_FILE,
    PRIORITY_WEIGHTS,
    Feedback,
    RegionFeedback,
    read_feedback,
)
from ffade.feedback.unchanged import unchanged_answers, unchanged_text
from ffade.mitigate.claimed import ClaimedStates
from ffade.plugin_api import TrainableTarget
from ffade.plugin_data import read_as
from ffade.plugin_names import plugin_label
from ffade.records import SUMMARY_FILE, read_summary
from ffade.shell_words import backslash_hint, shell_path


@dataclass
class MitigationPlan:
    """A run to fix and the states to fix it on.

    Attributes:
        run_dir: the discovery run.
        feedback_path: the feedback.yaml read.
        task_spec: the run's task, as summary.json records it.
        feedback: the person's answers.
        regions: the prioritized regions (any priority but skip), in the feedback's order.
        states: targeted concept states (m, k), the members of those regions, each once.
        weights: sampling probability of each targeted state (m,), summing to 1.
        state_regions: whether each targeted state is a member of each region (m, regions).
        notes: what the fine-tune says of the run before it trains: that it did not finish
            (summary.json status ``running``, ``interrupted``...), as ``ffade report``,
            ``feedback`` and ``export`` say it, since its failures are those found so far; and
            that a prioritized slice is the neutral state alone (inputs that fail unchanged).
        inputs_digest: summary.json's digest of the inputs the run searched (None: a run from
            before it was recorded), checked against the dataset as the fine-tune builds it.
    """

    run_dir: Path
    feedback_path: Path
    task_spec: dict[str, Any]
    feedback: Feedback
    regions: list[RegionFeedback]
    states: np.ndarray
    weights: np.ndarray
    state_regions: np.ndarray
    notes: list[str] = field(default_factory=list)
    inputs_digest: str | None = None

    @property
    def claimed(self) -> ClaimedStates:
        """Every state the prioritized slices claim: each rule's whole range, each region's
        members (see :mod:`ffade.mitigate.claimed`)."""
        sizes = [len(values) for values in self.feedback.concepts.values()]
        rules = [r.allowed for r in self.regions if r.allowed is not None]
        return ClaimedStates(sizes, rules, self.states)

    def trained_on(self) -> dict[str, Any]:
        """What the fine-tune trains on and is judged on, for its checkpoint: the regions, their
        targeted states and each state's weight (the guard's pairs follow from these)."""
        return {
            "regions": [r.id for r in self.regions],
            "states": self.states.tolist(),
            "weights": self.weights.tolist(),
        }

    def check_resumes(self, saved: dict[str, Any] | None) -> None:
        """Refuse to resume a checkpoint whose fine-tune trained on other states or weights.

        Its guard numbers before training were measured on the pairs of those states, and its
        first part trained on them: a feedback.yaml answered again in between (or other
        ``priority_weights``) would train on other regions halfway and judge the fix against a
        baseline of other pairs. ``saved`` is :meth:`trained_on` as the checkpoint kept it (None
        for a checkpoint written before it was kept).
        """
        if saved is None or saved == self.trained_on():
            return
        now = self.trained_on()
        raise FfadeError(
            f"resume: {self.feedback_path} (with priority_weights) gives other priorities than "
            f"the checkpoint's fine-tune was started with (it trained on {_few(saved)}; now "
            f"{_few(now)}); put those back, or drop --ckpt_path to start a new fine-tune"
        )

    def fixed_target(self, argument: str, weights: Path | None) -> dict[str, Any]:
        """The run's target as a spec, with ``argument`` naming the fixed weights when there
        are some. A target registered in this process as an instance (a module or function
        passed to ``ffade.discover``) is fixed in place and takes no arguments: its spec stays
        as it is, so the same process can search it again by that spec."""
        given = self.task_spec["target"]
        args = dict(given.get("args") or {})
        instance = registry.registered("target", given["name"])
        if weights is not None and (instance is None or inspect.isclass(instance)):
            args[argument] = str(weights.resolve())
        return {"name": given["name"], "args": args}


def _few(trained_on: dict[str, Any]) -> str:
    """A plan's regions (the first three ids) and targeted states, as a resume error names them."""
    ids = trained_on["regions"]
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    count = len(trained_on["states"])
    return f"{shown}: {count} targeted state{'' if count == 1 else 's'}"


def refuse_empty_paths(**paths: object) -> None:
    """Refuse a fine-tuner's path argument given as an empty or blank string, one line naming
    its key: ``Path("")`` is the working directory, so a config's ``run: $RUN`` with the variable
    unset read the folder the command was typed in. Fine-tuner plugins check theirs with it."""
    for key, path in paths.items():
        if isinstance(path, str) and not path.strip():
            raise FfadeError(f"model.init_args.{key}: {EMPTY_PATH}")


def make_plan(
    run: str | Path,
    feedback: str | Path | None = None,
    priority_weights: dict[str, float] | None = None,
) -> MitigationPlan:
    """Read and check a run and its feedback; see the module docstring.

    Args:
        run: the discovery run directory.
        feedback: its feedback.yaml (default: ``run/feedback.yaml``).
        priority_weights: training weight per priority (default :data:`PRIORITY_WEIGHTS`).

    Raises:
        FfadeError: the run or feedback is missing or malformed, the run did not search the
            discovery split, the grids differ, or no region has a priority other than skip.
    """
    refuse_empty_paths(run=run, feedback=feedback)
    run_dir = Path(run).expanduser()  # a config's "~/runs/...", as plugins read their paths
    summary = _read_discovery_summary(run_dir)
    feedback_path = Path(feedback).expanduser() if feedback else run_dir / FEEDBACK_FILE
    answers = read_feedback(feedback_path, run_dir)
    check_feedback_ranks_run(
        feedback_path,
        answers,
        run_dir,
        option="model.init_args.feedback:",
        run_name=f"model.init_args.run {run_dir}",
        other_fix=f"set run to {answers.run}",
    )
    weights_by_priority = weights_per_priority(priority_weights)
    regions = [r for r in answers.prioritized if weights_by_priority[r.priority] > 0]
    noun = "rule" if answers.slices == "rules" else "region"  # what the feedback ranked
    check_weighted(
        [r.priority for r in answers.prioritized], weights_by_priority, feedback_path, noun
    )
    if not regions:
        raise FfadeError(
            f"{feedback_path}: no {noun} has priority high, medium or low; nothing to fix "
            "(give one a priority with `ffade feedback`)"
        )
    states, weights, members = _targeted_states(regions, weights_by_priority)
    notes = [note] if (note := unfinished_note(run_dir, summary.get("status"))) else []
    notes += [  # the person's answer is followed, but not in silence
        unchanged_text(entry, answers.slices, shell_path(feedback_path))
        for entry in unchanged_answers(answers, run_dir)
        if weights_by_priority[entry.priority] > 0
    ]
    return MitigationPlan(
        run_dir=run_dir,
        feedback_path=feedback_path,
        task_spec=summary["task"],
        feedback=answers,
        regions=regions,
        states=states,
        weights=weights,
        state_regions=members,
        notes=notes,
        inputs_digest=summary.get("inputs_digest"),
    )


def _read_discovery_summary(run_dir: Path) -> dict[str, Any]:
    """The summary.json of a run that searched 'discovery', with its task spec under 'task'.

    Checked before the feedback is read, so pointing a fine-tuner at the wrong directory is
    reported as that, not as a problem with the feedback.
    """
    if link := broken_link(run_dir):  # a runs folder linked to a disk not mounted
        raise FfadeError(f"model.init_args.run: {shell_path(run_dir)}: {link}")
    if not run_dir.exists():  # the usual slip: the fine-tune config run before its discovery
        # or typed from another folder: a relative run is read from there, not the config's
        where = backslash_hint(run_dir) or read_as(run_dir)
        raise FfadeError(
            f"model.init_args.run: {shell_path(run_dir)} does not exist{where}; run the discovery "
            "first, or give the discovery run whose failures to fix"
        )
    if not run_dir.is_dir():
        raise FfadeError(f"model.init_args.run: {shell_path(run_dir)} is not a run directory")
    if not (run_dir / SUMMARY_FILE).is_file():  # a folder, but no run's: name the key, as above
        raise FfadeError(
            f"model.init_args.run: {shell_path(run_dir)} holds no {SUMMARY_FILE}, so it is no run "
            "directory; give the discovery run whose failures to fix"
        )
    summary = read_summary(run_dir)
    if "finetuner" in summary:  # said as what it is, not as a split that cannot be fixed
        raise FfadeError(
            f"model.init_args.run: {run_dir} is a fine-tune's run directory, not a discovery "
            f"run: give the run it fixed ({summary.get('run')}), or a discovery run of the "
            "fixed model to fix it again"
        )
    task_spec = summary.get("task")
    if not isinstance(task_spec, dict) or "target" not in task_spec:
        raise FfadeError(
            f"{run_dir / 'summary.json'}: key 'task' is missing; is it a discovery run?"
        )
    split = task_spec.get("split", "discovery")
    if split != "discovery":
        raise FfadeError(
            f"{run_dir}: the run searched split '{split}'; fine-tuning trains on 'finetune' and "
            "judges on 'heldout', so only runs that searched 'discovery' can be fixed"
        )
    return summary


def weights_per_priority(priority_weights: dict[str, float] | None) -> dict[str, float]:
    """:data:`PRIORITY_WEIGHTS` with the config's overrides, which may not make skip count."""
    weights_by_priority = dict(PRIORITY_WEIGHTS)
    for name, weight in (priority_weights or {}).items():
        if name not in PRIORITY_WEIGHTS or name == "skip":
            raise FfadeError(
                f"model.init_args.priority_weights: unknown priority {name!r}; "
                "allowed: high, medium, low"
            )
        if not (is_number(weight) and math.isfinite(weight) and weight >= 0):  # inf: NaN odds
            raise FfadeError(
                f"model.init_args.priority_weights.{name} must be a finite number >= 0, "
                f"got {weight!r}"
            )
        weights_by_priority[name] = float(weight)
    if not any(weights_by_priority[name] for name in ("high", "medium", "low")):
        raise FfadeError(
            "model.init_args.priority_weights gives weight 0 to high, medium and low, so no "
            "rule or region would be trained on; give one a weight above 0"
        )
    return weights_by_priority


def check_weighted(
    priorities: Iterable[str], weights_by_priority: dict[str, float], feedback: object, noun: str
) -> None:
    """Refuse weights that give 0 to every priority (but skip) the feedback uses: the feedback
    is fine, the weights would drop all it prioritized. ``ffade loop`` calls it with the
    priorities its priorities file names before the discovery (the fine-tune said so after it).
    """
    given = sorted(set(priorities) - {"skip"})
    if given and not any(weights_by_priority[p] > 0 for p in given):
        raise FfadeError(
            f"model.init_args.priority_weights gives weight 0 to every priority {feedback} "
            f"uses ({', '.join(given)}), so no {noun} would be trained on; give one a weight "
            "above 0"
        )


def _targeted_states(
    regions: list[RegionFeedback], weights_by_priority: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each targeted state once, its sampling probability and its regions (m, regions).

    A region is drawn by its priority's weight, then one of its member states uniformly (see
    the module docstring): a state's probability is the sum of its regions' shares. Keeping a
    shared state for the first region that lists it instead would give a high-priority rule
    inside an earlier low-priority one the low weight, or none.
    """
    rows: dict[tuple[int, ...], int] = {}
    weights: list[float] = []
    members: list[list[bool]] = []
    for index, region in enumerate(regions):
        own = list(dict.fromkeys(tuple(s) for s in region.states))  # a state listed twice: once
        for state in own:
            row = rows.setdefault(state, len(rows))
            if row == len(weights):
                weights.append(0.0)
                members.append([False] * len(regions))
            weights[row] += weights_by_priority[region.priority] / len(own)
            members[row][index] = True
    weights_array = np.asarray(weights, dtype=np.float64)
    return (
        np.asarray(list(rows), dtype=np.int64),
        weights_array / weights_array.sum(),
        np.asarray(members, dtype=bool).reshape(len(weights), len(regions)),
    )


def check_trainable(target: Any, name: str) -> None:
    """Raise a one-line error unless ``target`` (registered as ``name``) is a
    :class:`TrainableTarget` with ``weights``."""
    called = plugin_label(target, name)  # a function passed to ffade.discover: its own
    if not isinstance(target, TrainableTarget):
        members = {"model": "'model'", "preprocess": "'preprocess(inputs)'"}
        missing = [shown for member, shown in members.items() if not hasattr(target, member)]
        raise FfadeError(  # what is missing: hf_pipeline's summarizer has a model, no preprocess
            f"target '{called}' cannot be fine-tuned: it has no {' and no '.join(missing)}; it "
            "needs a torch.nn.Module 'model' and a differentiable 'preprocess(inputs)' (see "
            "docs/plugins.md, Trainable targets)"
        )
    check_takes_weights(registry.load("target", name), called)


def check_takes_weights(cls: type, called: str) -> None:
    """Raise a one-line error unless the target class ``cls`` can be given ``weights``: a
    ``weights`` argument, or ``**kwargs`` (a subclass handing its arguments on), which take it."""
    parameters = inspect.signature(cls.__init__).parameters
    own = cls.__init__ is not object.__init__  # object's (*args, **kwargs) takes nothing
    takes_any = own and any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    if "weights" not in parameters and not takes_any:
        raise FfadeError(
            f"target '{called}' cannot load fine-tuned weights: its constructor takes no 'weights' "
            "argument (see docs/plugins.md, Trainable targets)"
        )
