"""A task: which target, dataset, reward and concepts to explore, as the config spells them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ffade import registry
from ffade.concepts import ConceptSpace
from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS, Dataset, Reward, Target


@dataclass
class PluginSpec:
    """A plugin by its entry-point name, with the arguments its constructor takes."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskSpec:
    """What to explore: the config's ``model.init_args.task`` section.

    Attributes:
        target: the model under test (an ``ffade.targets`` plugin).
        dataset: where inputs and references come from (an ``ffade.datasets`` plugin).
        reward: judges each output: metric, failed or not, RL reward (an ``ffade.rewards`` plugin).
        concepts: the concept grid, one ``ffade.concepts`` plugin per axis, in order.
        mode: "macroscopic" jumps to any combination; "microscopic" steps one concept at a time.
        split: which dataset split discovery searches; fine-tuning and held-out stay untouched.
        max_inputs: use only the first N inputs of the split (None: all of them).
    """

    target: PluginSpec
    dataset: PluginSpec
    reward: PluginSpec
    concepts: list[PluginSpec]
    mode: Literal["macroscopic", "microscopic"] = "macroscopic"
    split: Literal["discovery", "finetune", "heldout"] = "discovery"
    max_inputs: int | None = None


@dataclass
class Task:
    """A built task: plugin objects ready to evaluate."""

    spec: TaskSpec
    target: Target
    dataset: Dataset
    reward: Reward
    space: ConceptSpace
    inputs: list[tuple[Any, Any]]


def _as_spec(spec: PluginSpec | dict[str, Any]) -> PluginSpec:
    return spec if isinstance(spec, PluginSpec) else PluginSpec(**spec)


def build_task(spec: TaskSpec | dict[str, Any]) -> Task:
    """Load and construct every plugin the spec names; errors name the plugin and the fix."""
    if isinstance(spec, dict):
        spec = TaskSpec(**spec)
    target_spec, dataset_spec, reward_spec = map(_as_spec, (spec.target, spec.dataset, spec.reward))
    spec.concepts = [_as_spec(c) for c in spec.concepts]
    if spec.split not in SPLITS:
        raise FfadeError(f"task.split '{spec.split}' is not allowed; choose one of {SPLITS}")
    target = registry.create("target", target_spec.name, target_spec.args)
    dataset = registry.create("dataset", dataset_spec.name, dataset_spec.args)
    reward = registry.create("reward", reward_spec.name, reward_spec.args)
    concepts = [registry.create("concept", c.name, c.args) for c in spec.concepts]
    inputs = list(dataset.split(spec.split))
    if spec.max_inputs is not None:
        if spec.max_inputs < 1:
            raise FfadeError(f"task.max_inputs must be at least 1, got {spec.max_inputs}")
        inputs = inputs[: spec.max_inputs]
    if not inputs:
        raise FfadeError(f"dataset '{dataset_spec.name}' has no inputs in split '{spec.split}'")
    return Task(spec, target, dataset, reward, ConceptSpace(concepts), inputs)


def spec_dict(spec: TaskSpec) -> dict[str, Any]:
    """The spec as plain data, for summary.json."""
    return asdict(spec) if not isinstance(spec, dict) else spec
