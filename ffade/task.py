"""A task: which target, dataset, reward and concepts to explore, as the config spells them."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from ffade import registry
from ffade.concepts import ConceptSpace
from ffade.errors import FfadeError, PluginError, as_written, clipped, is_number
from ffade.plugin_api import Concept, Dataset, Reward, Target
from ffade.plugin_arguments import checks_by_key
from ffade.plugin_checks import (
    OUTPUT_KINDS,
    check_output_kind,
    declared_kinds,
    split_pairs,
)
from ffade.task_values import check_spec_values, key_hint


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
        max_inputs: use only the first N inputs of the split (None: all of them). A split with
            fewer uses all it has, and the run says so in one ``ffade: note:`` line naming both
            numbers (one config serves datasets of many sizes, so it is no error).
        only_passing_inputs: search only the inputs on which the target does not fail with no
            concept changed, so that every failure found is one the concepts caused. Explorers
            find them at set-up (one evaluation of each unchanged input, outside the budget)
            and record them as ``input_ids``.
        input_ids: search only these inputs, by index into the split (after ``max_inputs``),
            each once; what ``only_passing_inputs`` wrote, so reports, feedback, the gate and a
            loop's rediscovery rebuild the very inputs the run searched.
    """

    target: PluginSpec
    dataset: PluginSpec
    reward: PluginSpec
    concepts: list[PluginSpec]
    mode: Literal["macroscopic", "microscopic"] = "macroscopic"
    split: Literal["discovery", "finetune", "heldout"] = "discovery"
    max_inputs: int | None = None
    only_passing_inputs: bool = False
    input_ids: list[int] | None = None


TASK_MODES: tuple[str, ...] = get_args(get_type_hints(TaskSpec)["mode"])
"""The task modes there are, read from ``TaskSpec.mode``: every check of a mode uses this list."""


@dataclass
class Task:
    """A built task: plugin objects ready to evaluate."""

    spec: TaskSpec
    target: Target
    dataset: Dataset
    reward: Reward
    space: ConceptSpace
    inputs: list[tuple[Any, Any]]
    notes: list[str] = field(default_factory=list)
    """What the run should tell the user about how its spec was read (e.g. a capped max_inputs)."""


def _as_spec(spec: PluginSpec | dict[str, Any]) -> PluginSpec:
    """The spec with each argument written ``None`` read as null.

    jsonargparse hands ``--model.init_args.task.target.args.weights null`` (a plugin argument,
    typed Any, inside the explorer's init_args) over as the string "None", so the command line's
    null never reached a plugin ("'None' is not a weights name"); no plugin argument means the
    four letters.
    """
    spec = spec if isinstance(spec, PluginSpec) else PluginSpec(**spec)
    args = {
        k: None if isinstance(v, str) and v == "None" else v for k, v in (spec.args or {}).items()
    }
    return replace(spec, args=args)


def configured_concepts(task: dict[str, Any] | None, task_key: str | None = None) -> list[Concept]:
    """The concepts a task spec (as a config gives it) searches, built from their arguments alone
    (no model or data loaded): their labels, grids and neutral values say what a priorities
    file's ``contains`` may name before the run; a misspelt argument named under ``task_key``."""
    return _built_concepts([_as_spec(c) for c in (task or {}).get("concepts") or []], task_key)


def _built_concepts(concepts: list[PluginSpec], task_key: str | None) -> list[Concept]:
    build = registry.create  # each named under task_key.concepts[i] in messages
    return [build("concept", c.name, c.args, _key_of(task_key, i)) for i, c in enumerate(concepts)]


def _key_of(task_key: str | None, index: int | str) -> str | None:
    """The config's key of a task's concept (``task.concepts[1]``) or plugin (``task.target``)."""
    if not task_key:
        return None
    return f"{task_key}.{index}" if isinstance(index, str) else f"{task_key}.concepts[{index}]"


def _plugins_of(task: Any) -> Iterator[tuple[tuple[Any, ...], str, Any]]:
    """Each plugin of a task spec (a TaskSpec or a dict) with its key under the task and kind."""
    part = task.get if isinstance(task, dict) else lambda key: getattr(task, key, None)
    for kind in ("target", "dataset", "reward"):
        yield (kind,), kind, part(kind)
    concepts = part("concepts")
    for i, concept in enumerate(concepts if isinstance(concepts, list) else []):
        yield ("concepts", i), "concept", concept


def absolute_plugin_paths(task: Any) -> dict[tuple[Any, ...], str]:
    """Make absolute, in place, each argument a plugin of ``task`` declares a path (its class's
    ``path_arguments``) that names a file or folder that exists (a leading ``~`` read), so a
    run's config.yaml, checkpoint and summary.json name it from any directory: a resume from
    elsewhere finds it. A value that names none (a weights name such as ``bundled``, a hub id, a
    folder the plugin makes later) stays as given. So too in a plugin spec held in an argument
    the class declares in ``plugin_arguments`` (``{"classifier": "target"}``: the judge reward's
    classifier). Returns the new values by their key under the task
    (``("target", "args", "weights")``); a plugin that does not load is left for
    :func:`build_task` to refuse in its words."""
    changed: dict[tuple[Any, ...], str] = {}
    for key, kind, plugin in _plugins_of(task):
        _absolute_paths(kind, plugin, key, changed)
    return changed


def _absolute_paths(kind: str, plugin: Any, key: tuple[Any, ...], changed: dict) -> None:
    spec = vars(plugin) if isinstance(plugin, PluginSpec) else plugin
    name, args = (spec.get("name"), spec.get("args")) if isinstance(spec, dict) else (0, 0)
    if not isinstance(name, str) or not isinstance(args, dict):
        return
    try:
        plugin_class = registry.load(kind, name)
    except FfadeError:
        return
    for argument in getattr(plugin_class, "path_arguments", ()):
        value = args.get(argument)
        if not isinstance(value, str) or value in ("", "None"):
            continue
        path = Path(value).expanduser()
        if path.exists() and str(path.resolve()) != value:
            args[argument] = changed[(*key, "args", argument)] = str(path.resolve())
    for argument, nested_kind in getattr(plugin_class, "plugin_arguments", {}).items():
        _absolute_paths(nested_kind, args.get(argument), (*key, "args", argument), changed)


def check_configured_plugins(task: dict[str, Any] | None, task_key: str | None = None) -> None:
    """The target, dataset and reward a task spec (as a config gives it) names, and their
    argument names, checked without building them (a target may load a model): ``ffade loop``
    says a misspelt one before its first stage, not minutes later as that stage begins."""
    for kind in ("target", "dataset", "reward"):
        spec = (task or {}).get(kind)
        if isinstance(spec, dict) and set(spec) <= {"name", "args"} and "name" in spec:
            spec = _as_spec(spec)  # another shape is the stage's to refuse, in its words
            registry.checked_arguments(kind, spec.name, spec.args, _key_of(task_key, kind))


def check_task_config(task: dict[str, Any], task_key: str = "model.init_args.task") -> None:
    """What a run's set-up refuses in a task spec (as a config gives it), in the same words, with
    no model or data loaded: ``ffade fit --print_config`` prints only a config a run would take.
    The target, dataset and reward are checked by their signatures (building one may load a
    model); the concepts, cheap to build, are built into a space, so their own checks and the
    space's (none listed, labels that repeat) run (named under ``task_key``)."""
    spec = _task_from_mapping(task)
    plugins = {k: _as_spec(getattr(spec, k)) for k in ("target", "dataset", "reward")}
    spec.concepts = [_as_spec(c) for c in spec.concepts]
    check_spec_values(spec, plugins)
    for kind, plugin in plugins.items():  # the judge reward's classifier too
        registry.checked_arguments(kind, plugin.name, plugin.args, f"{task_key}.{kind}")
    ConceptSpace(_built_concepts(spec.concepts, task_key))


def check_task_keys(spec: dict[str, Any]) -> None:
    """One line for a task dict with a key left out or unknown, not TaskSpec's TypeError."""
    allowed = [f.name for f in fields(TaskSpec)]
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        hint = key_hint(unknown[0], allowed)  # as the config's model.init_args.task is told
        raise FfadeError(f"task: unknown key {unknown[0]!r}{hint}; allowed: {', '.join(allowed)}")
    for key in ("target", "dataset", "reward", "concepts"):
        if spec.get(key) is None:
            raise FfadeError(f"task.{key} is missing; name a {key.rstrip('s')} plugin")


def _task_from_mapping(spec: dict[str, Any]) -> TaskSpec:
    """A task written as a dict (the config's ``task``), each plugin by name or ``{name, args}``."""
    check_task_keys(spec)
    concepts = (
        spec["concepts"] if isinstance(spec["concepts"], (list, tuple)) else [spec["concepts"]]
    )
    named = {k: _named(spec[k], f"task.{k}") for k in ("target", "dataset", "reward")}
    listed = [_named(c, f"task.concepts[{i}]") for i, c in enumerate(concepts)]
    return TaskSpec(**{**spec, **named, "concepts": listed})


def _named(plugin: Any, key: str) -> Any:
    """A plugin given by its name alone as ``{name: ...}``; ``{name, args}`` is checked here."""
    if isinstance(plugin, str):
        return {"name": plugin}
    if isinstance(plugin, dict) and not ("name" in plugin and set(plugin) <= {"name", "args"}):
        raise FfadeError(
            f"{key}: expected a plugin name or {{name: ..., args: {{...}}}}, got "
            f"{as_written(plugin)}"
        )
    return plugin


def build_task(
    spec: TaskSpec | dict[str, Any],
    max_inputs_key: str = "task.max_inputs",
    task_key: str | None = "task",
) -> Task:
    """Load and construct every plugin the spec names; errors name the plugin and the fix.

    ``max_inputs_key`` is how the config spells ``max_inputs``, for messages (a fine-tuner's is
    ``model.init_args.max_finetune_inputs``); ``task_key``, the task (``task.target.args.nope``
    is named in full); None names the plugin alone (a run's recorded task, written elsewhere).
    """
    if isinstance(spec, dict):
        spec = _task_from_mapping(spec)
    elif not all(hasattr(spec, k) for k in ("target", "dataset", "reward", "concepts")):
        # a TaskSpec or what jsonargparse parsed; not "'str' object has no attribute 'target'"
        raise FfadeError(f"task: expected a mapping or a TaskSpec, got {type(spec).__name__}")
    target_spec, dataset_spec, reward_spec = map(_as_spec, (spec.target, spec.dataset, spec.reward))
    spec.concepts = [_as_spec(c) for c in spec.concepts]
    plugins = {"target": target_spec, "dataset": dataset_spec, "reward": reward_spec}
    check_spec_values(spec, plugins, max_inputs_key)
    key = {kind: _key_of(task_key, kind) for kind in ("target", "dataset", "reward")}
    target, dataset, reward = (
        registry.create(kind, s.name, s.args, key[kind])
        for kind, s in zip(key, (target_spec, dataset_spec, reward_spec), strict=True)
    )
    concepts = _built_concepts(spec.concepts, task_key)
    check_declared_kinds(reward, target)  # a reward of the wrong kind costs no data read
    reward.check_target(target)
    inputs = split_pairs(dataset, spec.split, first=spec.max_inputs)
    notes = note_lines(getattr(dataset, "notes", ()), f"dataset '{dataset_spec.name}': notes is")
    if spec.max_inputs is not None and spec.max_inputs > len(inputs) > 0:
        notes.append(
            f"{max_inputs_key} is {spec.max_inputs}, but split '{spec.split}' of dataset "
            f"'{dataset_spec.name}' has {len(inputs)} inputs: all {len(inputs)} are used"
        )
    if spec.input_ids is not None:
        inputs = _chosen(inputs, spec.input_ids, spec.split, spec.max_inputs)
    if not inputs:
        raise FfadeError(f"dataset '{dataset_spec.name}' has no inputs in split '{spec.split}'")
    unchanged = [x for x, _ in inputs]
    for concept in concepts:  # before any evaluation: a wrong grid costs no search
        checked = f"concept '{concept.label}': check_inputs() returned"
        notes.extend(note_lines(concept.check_inputs(unchanged), checked))
        neutral = as_written(concept.neutral)  # said as a config writes it: null, not None
        if list(concept.values) == [concept.neutral]:  # prompt_words with no values: [""]
            notes.append(
                f"concept '{concept.label}': its grid holds only its neutral value "
                f"{neutral}, so it changes nothing; list the values to try in values"
            )
        elif concept.neutral not in concept.values:  # the paper's grids: brightness 0.5 to 0.9
            finite = is_number(concept.neutral) and abs(concept.neutral) < float("inf")
            if concept.is_numeric and not finite:  # "the first" would be a lie; inf: no JSON
                raise FfadeError(
                    f"concept '{concept.label}': its neutral value {neutral} is no finite number, "
                    f"but its grid is numbers {as_written(list(concept.values))}; neutral must be "
                    "the finite number that changes nothing (summary.json has no inf or nan)"
                )
            stand_in = concept.values[concept.neutral_index()]
            lacks = f"its grid lacks the neutral value {neutral}"
            if not concept.is_numeric and is_number(concept.neutral):  # the base's 0.0, kept
                lacks = (
                    f"it sets no neutral for its grid of words (neutral is the base's "
                    f"{neutral}; set the class attribute neutral to the word that changes "
                    "nothing, if there is one)"
                )
            notes.append(
                f"concept '{concept.label}': {lacks}; {as_written(stand_in)}, the "
                f"{'closest' if concept.is_numeric else 'first'}, stands for 'unchanged' (clean "
                "checks, the neutral state of reports) and is still applied to their inputs"
            )
        grid = list(concept.values)
        if concept.is_numeric and grid not in (sorted(grid), sorted(grid, reverse=True)):
            notes.append(  # rules read values by size; what is one step apart is the user's
                f"concept '{concept.label}': its values {as_written(grid)} are not in order; "
                "connected regions and microscopic moves step along them in the order given "
                "(values next in size but apart in the list are no neighbours): list them "
                f"{as_written(sorted(grid))} unless this order is meant"
            )
    checked = f"target '{target.plugin_name}': check_task() returned"
    with checks_by_key(target, "target", key["target"], concepts):  # named as in the YAML
        notes.extend(note_lines(target.check_task(unchanged, concepts), checked))
        target.check_references([reference for _, reference in inputs])
    checked = f"reward '{reward.plugin_name}': check_task() returned"
    with checks_by_key(reward, "reward", key["reward"]):
        notes.extend(note_lines(reward.check_task(unchanged, concepts), checked))
    space = ConceptSpace(concepts)
    space.check_pairs(len(inputs), max_inputs_key)
    return Task(spec, target, dataset, reward, space, inputs, notes)


def chosen_pairs(dataset: Dataset, spec: TaskSpec) -> list[Any]:
    """The (input, reference) pairs a spec searches: its split's first ``max_inputs``, then the
    ``input_ids`` among them. Only those are read from a dataset whose split is a sequence."""
    inputs = split_pairs(dataset, spec.split, first=spec.max_inputs)
    if spec.input_ids is not None:
        inputs = _chosen(inputs, spec.input_ids, spec.split, spec.max_inputs)
    return inputs


def _chosen(inputs: list[Any], ids: list[int], split: str, max_inputs: int | None) -> list[Any]:
    """The inputs at ``ids``: each an input of the split after ``max_inputs`` (which the error
    names: the split itself may hold more), each once (a repeat would search one input as
    several and count its failures as many distinct ones)."""
    if not ids:
        raise FfadeError("task.input_ids is empty; list the inputs to search, or give null for all")
    outside = [i for i in ids if not 0 <= int(i) < len(inputs)]
    if outside:
        raise FfadeError(
            f"task.input_ids: {outside[0]} is not an input of split '{split}', which has "
            f"{len(inputs)}{'' if max_inputs is None else f' after task.max_inputs {max_inputs}'}"
            f" (ids run from 0 to {len(inputs) - 1})"
        )
    seen: set[int] = set()
    for i in map(int, ids):
        if i in seen:
            raise FfadeError(f"task.input_ids: {i} is listed more than once; list each input once")
        seen.add(i)
    return [inputs[int(i)] for i in ids]


def restrict_inputs(task: Task, ids: list[int]) -> Task:
    """The task searching only ``ids`` of its inputs, with ``input_ids`` in its spec saying so."""
    return replace(
        task,
        spec=replace(task.spec, input_ids=list(ids)),
        inputs=[task.inputs[i] for i in ids],
    )


def spec_dict(spec: TaskSpec) -> dict[str, Any]:
    """The spec as plain data, for summary.json."""
    return asdict(spec) if not isinstance(spec, dict) else spec


def check_declared_kinds(reward: Reward, target: Target) -> None:
    """Refuse a target whose declared ``output_kind`` is not among the reward's declared
    ``output_kinds``, naming every installed or registered reward of the target's kind (a third
    party's too: each plugin once listed other plugins' rewards by hand, installed or not)."""
    kinds, kind = declared_kinds(reward), getattr(target, "output_kind", None)
    if kinds is None or kind is None or kind in kinds:
        return
    declared = registry.reward_kinds()
    names = declared.get(kind, [])
    if not names:  # no reward scores it: most likely a misspelled output_kind
        known = ", ".join(f"'{k}'" for k in sorted(declared)) or "none"
        check_output_kind(
            reward,
            target,
            kinds,
            {
                kind: f"no installed or registered reward scores output_kind '{kind}' (theirs: "
                f"{known}); correct the target's output_kind if it is misspelled, or choose a "
                "reward that declares no output_kinds"
            },
        )
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    what = OUTPUT_KINDS.get(kind, f"output_kind '{kind}'")
    # rewards score the target's kind, so a reward's kind close to it is the misspelt one
    typo = difflib.get_close_matches(kind, kinds, 1, 0.8)  # "class_score" for "class_scores"
    fix = f"; correct the reward's output_kinds if '{typo[0]}' is misspelled" if typo else ""
    check_output_kind(reward, target, kinds, {kind: f"rewards that score {what}: {listed}{fix}"})


def note_lines(notes: Any, who: str) -> list[str]:
    """A plugin's notes (a dataset's ``notes``, what a concept's ``check_inputs`` returns) as a
    list of lines: one note given as a string is one line, not one line per letter; anything
    but None, a string or a list or tuple is one line naming ``who``, not a traceback."""
    if notes is None:
        return []
    if not isinstance(notes, (str, list, tuple)):
        raise PluginError(
            f"{who} {type(notes).__name__} {clipped(notes, 40)}; give a list of one-line notes, "
            "one note as a string, or None (docs/plugins.md)"
        )
    return [notes] if isinstance(notes, str) else [str(note) for note in notes]
