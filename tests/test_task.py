"""build_task: how a config's task section is read: max_inputs beyond the split, and the
plugins' checks of the whole task (Concept.check_inputs, Target.check_task,
Reward.check_target) before any work."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from ffade_synthetic.concept import Axis
from ffade_synthetic.data import SyntheticDataset
from ffade_synthetic.reward import MarginReward
from ffade_synthetic.target import SyntheticTarget

from ffade import registry
from ffade.errors import ConceptValueError, FfadeError, PluginError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.plugin_checks import check_output_kind
from ffade.task import build_task
from tests.helpers import ffade_in_process, synthetic_spec, write_config

CAPPED = (
    "task.max_inputs is 500, but split 'discovery' of dataset 'synthetic' has 8 inputs: "
    "all 8 are used"
)


def test_a_task_spec_dict_is_read_as_discover_reads_it_and_its_mistakes_are_one_line() -> None:
    """docs/plugins.md builds FailureEnv's task with build_task(dict): a key left out was
    TaskSpec's TypeError, a str an AttributeError, and a plugin by name alone a TypeError."""
    spec = synthetic_spec(num_inputs=16)
    task = build_task({**spec, "target": "synthetic", "reward": "margin"})  # names, as discover
    assert isinstance(task.target, SyntheticTarget) and isinstance(task.reward, MarginReward)
    assert len(task.inputs) == 8
    with pytest.raises(FfadeError, match=r"^task\.dataset is missing; name a dataset plugin$"):
        build_task({"target": {"name": "synthetic"}, "reward": "margin", "concepts": ["axis"]})
    with pytest.raises(FfadeError, match=r"^task: unknown key 'budget'; allowed: target, "):
        build_task({**spec, "budget": 5})
    with pytest.raises(FfadeError, match=r"^task: expected a mapping or a TaskSpec, got str$"):
        build_task("task.yaml")


def test_max_inputs_beyond_the_split_uses_all_and_says_so_with_both_numbers() -> None:
    task = build_task({**synthetic_spec(num_inputs=16), "max_inputs": 500})
    assert len(task.inputs) == 8  # the synthetic discovery split: half of num_inputs
    assert task.notes == [CAPPED]
    within = build_task({**synthetic_spec(num_inputs=16), "max_inputs": 3})
    assert len(within.inputs) == 3 and within.notes == []


def test_a_fine_tuners_key_is_named_as_its_config_spells_it() -> None:
    key = "model.init_args.max_finetune_inputs"
    task = build_task({**synthetic_spec(num_inputs=16), "max_inputs": 99}, max_inputs_key=key)
    assert task.notes[0].startswith(f"{key} is 99, but split 'discovery'")
    with pytest.raises(FfadeError, match=rf"^{key} must be at least 1, got 0$"):
        build_task({**synthetic_spec(), "max_inputs": 0}, max_inputs_key=key)


def test_a_grid_without_its_neutral_value_says_which_value_stands_for_unchanged() -> None:
    """The paper's grids (brightness 0.5 to 0.9) lack the no-op value: "unchanged" (clean
    checks, only_passing_inputs, the guard's clean accuracy) is then the closest grid value."""
    spec = synthetic_spec(num_inputs=16)
    spec["concepts"][1] = {"name": "axis", "args": {"index": 1, "values": [0.5, 0.25, 1.0]}}
    task = build_task(spec)
    assert task.notes[0] == (
        "concept 'axis1': its grid lacks the neutral value 0.0; 0.25, the closest, stands for "
        "'unchanged' (clean checks, the neutral state of reports) and is still applied to their "
        "inputs"
    )
    assert "its values [0.5, 0.25, 1.0] are not in order" in task.notes[1]  # the grid's order
    assert task.space.neutral.tolist() == [0, 1, 0]


class Mirror(Axis):
    """A discrete concept: its values are words, so no value is closer to "none" than another."""

    neutral = "none"
    default_values = ("none", "flip")

    def check_value(self, value: object) -> None:
        if value not in self.default_values:
            raise ConceptValueError(f"concept '{self.label}': value {value!r} is not allowed")

    def apply(self, inputs, value):
        return inputs


def test_a_discrete_grid_without_its_neutral_value_says_its_first_stands_in() -> None:
    """The note said "'flip', the closest": a word is not closer to "none" than another."""
    spec = synthetic_spec(num_inputs=16)
    spec["concepts"][2] = {"name": "tests.test_task:Mirror", "args": {"values": ["flip"]}}
    assert build_task(spec).notes == [
        "concept 'tests.test_task:Mirror': its grid lacks the neutral value 'none'; 'flip', the "
        "first, stands for 'unchanged' (clean checks, the neutral state of reports) and is still "
        "applied to their inputs"
    ]


class Quality(Axis):
    """A plugin author's slip: "off" as the neutral value of a grid of numbers."""

    neutral = "off"


class Unset(Axis):
    """A plugin author's slip: no neutral value at all (a config's ``neutral: null`` alike)."""

    neutral = None


def test_values_in_task_errors_are_said_as_a_config_writes_them() -> None:
    """A user who typed ``neutral: null`` or ``{name: margin, arg: {}}`` was told of Python's
    None and ``{'name': 'margin', ...}``, which nothing they wrote looks like."""
    spec = synthetic_spec(num_inputs=16)
    spec["concepts"][2] = {"name": "tests.test_task:Unset", "args": {"values": [0.5, 0.9]}}
    with pytest.raises(FfadeError, match=r"its neutral value null is no finite number, but"):
        build_task(spec)
    spec = {**synthetic_spec(num_inputs=16), "reward": {"name": "margin", "arg": {"x": None}}}
    said = "task.reward: expected a plugin name or {name: ..., args: {...}}, got "
    with pytest.raises(FfadeError, match=re.escape(said + "{name: margin, arg: {x: null}}")):
        build_task(spec)


def _refused(tmp_path: Path, concept: str, values: list[float]) -> list[str]:
    """The error lines of ``ffade fit`` on the synthetic config with ``concept`` (on ``values``)
    as its third concept, refused (exit 2) as the run starts."""
    config = write_config(tmp_path / "c.yaml", budget=32)
    data = yaml.safe_load(config.read_text())
    entry = {"name": concept, "args": {"values": values}}
    data["model"]["init_args"]["task"]["concepts"][2] = entry
    config.write_text(yaml.safe_dump(data))
    done = ffade_in_process("fit", "--config", str(config))
    assert done.returncode == 2, done.stderr[-2000:]
    return done.stderr.strip().splitlines()


def test_a_word_as_the_neutral_value_of_a_grid_of_numbers_is_refused(tmp_path: Path) -> None:
    """Its first value stood for 'unchanged' (the clean checks, the reports' neutral state), and
    the note called it the first of a grid whose values have an order."""
    assert _refused(tmp_path, "tests.test_task:Quality", [0.5, 0.9]) == [
        "ffade: error: concept 'tests.test_task:Quality': its neutral value 'off' is no finite "
        "number, but its grid is numbers [0.5, 0.9]; neutral must be the finite number that "
        "changes nothing (summary.json has no inf or nan)"
    ]


class NoNoise(Axis):
    """An author's signal-to-noise concept whose 'no noise' is an infinite SNR."""

    neutral = float("inf")


def test_an_infinite_neutral_value_is_refused_before_it_reaches_summary_json(
    tmp_path: Path,
) -> None:
    """``neutral = float("inf")`` ran, and summary.json held ``"neutral": Infinity``, which is no
    JSON (a strict reader, jq or a browser, refuses the file); it is refused as the run starts."""
    assert _refused(tmp_path, "tests.test_task:NoNoise", [1.0, 0.5, 0.0]) == [
        "ffade: error: concept 'tests.test_task:NoNoise': its neutral value inf is no finite "
        "number, but its grid is numbers [1.0, 0.5, 0.0]; neutral must be the finite number "
        "that changes nothing (summary.json has no inf or nan)"
    ]


def test_a_grid_of_only_the_neutral_value_is_a_concept_that_changes_nothing() -> None:
    """``{name: prompt_words}`` with no values is [""]: no error, and no effect, silently."""
    spec = synthetic_spec(num_inputs=16)
    spec["concepts"][2] = {"name": "axis", "args": {"index": 2, "values": [0.0]}}
    assert build_task(spec).notes == [
        "concept 'axis2': its grid holds only its neutral value 0.0, so it changes nothing; "
        "list the values to try in values"
    ]


def test_a_numeric_grid_out_of_order_is_noted() -> None:
    """Rules read values by size, but regions and microscopic moves step in the order given:
    rotation [-5, -60, 0, -45] found -60 and -45 as two regions, unsaid."""
    spec = synthetic_spec(num_inputs=16)
    spec["concepts"][2] = {"name": "axis", "args": {"index": 2, "values": [0.5, 0.0, 1.0]}}
    assert build_task(spec).notes == [
        "concept 'axis2': its values [0.5, 0.0, 1.0] are not in order; connected regions and "
        "microscopic moves step along them in the order given (values next in size but apart "
        "in the list are no neighbours): list them [0.0, 0.5, 1.0] unless this order is meant"
    ]
    spec["concepts"][2]["args"]["values"] = [1.0, 0.5, 0.0]  # descending is an order too
    assert build_task(spec).notes == []


def test_the_run_prints_the_note_once_before_it_searches(tmp_path: Path, capsys) -> None:
    spec = {**synthetic_spec(num_inputs=16), "max_inputs": 500}
    explorer = discover(RandomExplorer(task=spec, budget=32, num_envs=8), tmp_path)
    assert explorer.evaluator.num_inputs == 8
    assert capsys.readouterr().err.count(f"ffade: note: {CAPPED}\n") == 1


class PickyAxis(Axis):
    seen: ClassVar[list] = []

    def check_inputs(self, inputs) -> list[str]:
        PickyAxis.seen.append(list(inputs))
        if max(self.values) > 0.5:
            raise ConceptValueError(f"concept '{self.label}': too far for these inputs")
        return [f"concept '{self.label}': far enough"] if max(self.values) == 0.5 else []


class PickyTarget(SyntheticTarget):
    def check_task(self, inputs, concepts) -> list[str] | None:
        if len(inputs) > 4:
            labels = [c.label for c in concepts]
            raise FfadeError(f"target 'picky': {len(inputs)} inputs and {labels}: too many")
        return [f"target 'picky': {len(inputs)} inputs cut short"] if len(inputs) == 2 else None


@pytest.fixture
def picky_plugins():
    registry.register("concept", "picky_axis", PickyAxis)
    registry.register("target", "picky", PickyTarget)
    PickyAxis.seen.clear()
    yield
    registry.unregister("concept", "picky_axis")
    registry.unregister("target", "picky")


def test_plugins_check_the_task_once_it_is_built(picky_plugins, tmp_path: Path) -> None:
    spec = {
        **synthetic_spec(num_inputs=16),
        "target": {"name": "picky"},
        "concepts": [{"name": "picky_axis", "args": {"index": 0, "values": [0.0, 0.25]}}],
        "max_inputs": 3,
    }
    task = build_task(spec)
    assert PickyAxis.seen == [[x for x, _ in task.inputs]]  # unchanged, after max_inputs
    with pytest.raises(FfadeError, match=r"^target 'picky': 8 inputs and \['picky_axis'\]"):
        build_task({**spec, "max_inputs": None})
    far = {**spec, "concepts": [{"name": "picky_axis", "args": {"index": 0, "values": [0, 1]}}]}
    explorer = RandomExplorer(task=far, budget=32, num_envs=8)
    with pytest.raises(ConceptValueError, match="too far"):
        discover(explorer, tmp_path)
    assert explorer.evaluator is None  # refused before a single evaluation


def test_a_concepts_notes_are_printed_before_the_search(picky_plugins, tmp_path, capsys) -> None:
    spec = {
        **synthetic_spec(num_inputs=16),
        "concepts": [{"name": "picky_axis", "args": {"index": 0, "values": [0.0, 0.5]}}],
    }
    assert build_task(spec).notes == ["concept 'picky_axis': far enough"]
    discover(RandomExplorer(task=spec, budget=16, num_envs=8), tmp_path)
    assert capsys.readouterr().err.count("ffade: note: concept 'picky_axis': far enough\n") == 1


def test_a_targets_notes_are_printed_before_the_search(picky_plugins, tmp_path, capsys) -> None:
    """check_task returns notes as check_inputs does (the text summarizer's: articles cut at the
    tokens the model reads); they were dropped, as check_task could only refuse."""
    spec = {**synthetic_spec(num_inputs=16), "target": {"name": "picky"}, "max_inputs": 2}
    assert build_task(spec).notes == ["target 'picky': 2 inputs cut short"]
    assert build_task({**spec, "max_inputs": 3}).notes == []
    discover(RandomExplorer(task=spec, budget=8, num_envs=4), tmp_path)
    assert capsys.readouterr().err.count("ffade: note: target 'picky': 2 inputs cut short\n") == 1


class OneNoteTarget(SyntheticTarget):
    def check_task(self, inputs, concepts):
        return self.answer


class OneNoteReward(MarginReward):
    def check_task(self, inputs, concepts):
        return self.answer


@pytest.mark.parametrize(
    ("kind", "name", "cls"),
    [("target", "one_note_target", OneNoteTarget), ("reward", "one_note_reward", OneNoteReward)],
)
def test_a_target_or_reward_check_task_may_give_one_note_as_a_string(kind, name, cls) -> None:
    """docs/plugins.md: a target's or reward's check_task returns a list of notes or one note as
    a string (as a concept's check_inputs may); anything else is one line naming the plugin."""
    registry.register(kind, name, cls)
    try:
        spec = {**synthetic_spec(num_inputs=8), kind: {"name": name}}
        cls.answer = f"{kind} note"
        assert build_task(spec).notes == [f"{kind} note"]
        cls.answer = 3
        with pytest.raises(FfadeError, match=rf"^{kind} '{name}': check_task\(\) returned int 3; "):
            build_task(spec)
    finally:
        registry.unregister(kind, name)


def test_a_command_line_null_for_a_plugin_argument_reaches_the_plugin_as_none() -> None:
    """jsonargparse hands --model.init_args.task.target.args.KEY null over as the string "None"
    (torchvision_classifier then said "'None' is not a weights name ... or None for random
    weights"); build_task reads it as null."""
    from jsonargparse import ArgumentParser
    from lightning.pytorch import LightningModule

    parser = ArgumentParser(exit_on_error=False)
    parser.add_subclass_arguments(LightningModule, "model")
    parsed = parser.parse_args(
        [
            "--model.class_path=ffade.explore.RandomExplorer",
            f"--model.init_args.task={synthetic_spec()}",
            "--model.init_args.task.target.args.regions=null",
        ]
    )
    spec = parsed.model.init_args.task
    assert spec.target.args["regions"] in ("None", None)  # "None" in jsonargparse 4.53
    task = build_task(spec)
    assert isinstance(task.target, SyntheticTarget)
    with pytest.raises(FfadeError, match="regions 'nope'"):
        build_task(
            {**synthetic_spec(), "target": {"name": "synthetic", "args": {"regions": "nope"}}}
        )


class ScoresOnlyReward(MarginReward):
    """A reward of class scores: refuses, through the hook, a target declaring other outputs."""

    def check_target(self, target) -> None:
        check_output_kind(self, target, ["class_scores"], {"margins": "use margin"})


class UndeclaredTarget(SyntheticTarget):
    output_kind = None  # a third party's target that declares nothing


@pytest.fixture
def scores_only_plugins():
    registry.register("reward", "scores_only", ScoresOnlyReward)
    registry.register("target", "undeclared", UndeclaredTarget)
    yield
    registry.unregister("reward", "scores_only")
    registry.unregister("target", "undeclared")


WRONG_KIND = (
    "reward 'scores_only' needs a classifier's class scores, but target 'synthetic' returns "
    "outputs (output_kind 'margins'); use margin"
)


def test_a_reward_refuses_a_target_of_another_kind_when_the_task_is_built(
    scores_only_plugins, tmp_path: Path
) -> None:
    spec = {**synthetic_spec(), "reward": {"name": "scores_only"}}
    with pytest.raises(PluginError, match=f"^{re.escape(WRONG_KIND)}$"):
        build_task(spec)
    explorer = RandomExplorer(task=spec, budget=32, num_envs=8)
    with pytest.raises(PluginError, match="needs a classifier's class scores"):
        discover(explorer, tmp_path)
    assert explorer.evaluator is None  # refused before a single evaluation
    # a target that declares no output_kind, and a reward without the hook, keep working
    assert build_task({**spec, "target": {"name": "undeclared"}}).reward.plugin_name
    assert build_task(synthetic_spec()).reward.plugin_name == "margin"


def test_the_cli_refuses_a_reward_of_the_wrong_kind_in_one_line_before_the_run(
    scores_only_plugins, tmp_path: Path
) -> None:
    config = yaml.safe_load(write_config(tmp_path / "config.yaml").read_text())
    config["model"]["init_args"]["task"]["reward"] = {"name": "scores_only"}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = ffade_in_process("fit", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [f"ffade: error: {WRONG_KIND}"]
    assert not (tmp_path / "runs").exists()


NOT_FINITE = (
    "must be a finite number, got {}: a run records its task in summary.json, and JSON has no "
    "nan or inf"
)


@pytest.mark.parametrize(
    ("part", "args", "key", "value"),
    [
        ("reward", {"scale": float("inf")}, "task.reward.args.scale", "inf"),
        (
            "dataset",
            {"num_inputs": 16, "fractions": [0.5, float("nan"), 0.25]},
            "task.dataset.args.fractions[1]",
            "nan",
        ),
        ("target", {"config": {"depth": float("-inf")}}, "task.target.args.config.depth", "-inf"),
    ],
)
def test_a_plugin_argument_that_is_no_finite_number_is_refused_in_one_line(
    part: str, args: dict, key: str, value: str
) -> None:
    """The margin reward took scale inf and the run wrote ``"scale": Infinity`` into
    summary.json's task, which strict JSON readers (jq, JavaScript) refuse."""
    spec = synthetic_spec()
    spec[part] = {**spec[part], "args": args}
    with pytest.raises(FfadeError) as caught:
        build_task(spec)
    assert str(caught.value) == f"{key} {NOT_FINITE.format(value)}"
    concept = synthetic_spec()
    concept["concepts"][2]["args"]["values"] = [0.0, 0.5, float("inf")]
    with pytest.raises(FfadeError, match=r"^task\.concepts\[2\]\.args\.values\[2\] must be"):
        build_task(concept)


def test_the_cli_refuses_an_infinite_plugin_argument_before_the_run(tmp_path: Path) -> None:
    config = yaml.safe_load(write_config(tmp_path / "config.yaml").read_text())
    config["model"]["init_args"]["task"]["reward"] = {"name": "margin", "args": {"scale": ".inf"}}
    text = yaml.safe_dump(config).replace("'.inf'", ".inf")  # YAML's infinity, as a user types it
    (tmp_path / "config.yaml").write_text(text)
    result = ffade_in_process("fit", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: model.init_args.task.reward.args.scale {NOT_FINITE.format('inf')}"
    ]
    assert not (tmp_path / "runs").exists()


class DeclaredScoresReward(MarginReward):
    """A third party's reward that only declares what it scores: no check_target of its own."""

    output_kinds = ("class_scores",)


class OtherMarginsReward(MarginReward):
    """A third party's reward of margins: the refusal suggests it for the synthetic target."""

    output_kinds = ("margins",)


def test_declared_output_kinds_refuse_another_kind_and_name_every_reward_of_the_targets(
    tmp_path: Path,
) -> None:
    """Each plugin's refusal listed the rewards to use instead by hand (another plugin's names,
    installed or not); now ``output_kinds`` alone refuses, and the line names every installed or
    registered reward that declares the target's kind, a third party's too."""
    registry.register("reward", "declared_scores", DeclaredScoresReward)
    registry.register("reward", "other_margins", OtherMarginsReward)
    spec = {**synthetic_spec(), "reward": {"name": "declared_scores"}}
    with pytest.raises(PluginError) as refused:
        build_task(spec)
    assert str(refused.value) == (
        "reward 'declared_scores' needs a classifier's class scores, but target 'synthetic' "
        "returns outputs (output_kind 'margins'); rewards that score output_kind 'margins': "
        "margin or other_margins"
    )
    assert build_task({**spec, "reward": {"name": "other_margins"}}).reward.plugin_name


class BuggyCheckReward(MarginReward):
    """A check_target with a bug of its own: a plain ValueError, not an FfadeError."""

    def check_target(self, target) -> None:
        raise ValueError("this hook has a bug")


def test_a_check_target_that_raises_a_plain_error_keeps_it_and_a_failed_run(
    tmp_path: Path,
) -> None:
    """docs/plugins.md: any exception but FfadeError out of check_target is the hook's bug: it
    propagates as raised (its traceback points at the hook), and the run directory stays with
    status failed, as after any crash; an FfadeError leaves none (the test above)."""
    import json

    from ffade.cli import main

    config = yaml.safe_load(write_config(tmp_path / "config.yaml").read_text())
    config["model"]["init_args"]["task"]["reward"] = {"name": "tests.test_task:BuggyCheckReward"}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match=r"^this hook has a bug") as raised:
        main(["fit", "--config", str(tmp_path / "config.yaml")])
    (summary,) = (tmp_path / "runs").rglob("summary.json")
    assert json.loads(summary.read_text())["status"] == "failed"
    if sys.version_info >= (3, 11):  # the crash's note says where the run is (3.10 prints it)
        assert str(summary.parent) in raised.value.__notes__[0]


class OneNoteAxis(Axis):
    """check_inputs returns its one note as a string, not a list."""

    def check_inputs(self, inputs):
        return f"concept '{self.label}': one note"


class OneNoteDataset(SyntheticDataset):
    """notes is one string, not a tuple."""

    notes = "dataset 'one_note': one note"


def test_one_note_given_as_a_string_is_one_line_not_one_per_letter() -> None:
    """A dataset's ``notes`` or a concept's ``check_inputs`` written as one string was printed
    as one ``ffade: note:`` line per letter."""
    spec = synthetic_spec(num_inputs=16)
    spec["dataset"]["name"] = "tests.test_task:OneNoteDataset"
    spec["concepts"][0]["name"] = "tests.test_task:OneNoteAxis"
    assert build_task(spec).notes == [
        "dataset 'one_note': one note",
        "concept 'tests.test_task:OneNoteAxis': one note",
    ]


def test_inputs_times_states_past_int64_are_refused_naming_max_inputs(tmp_path: Path) -> None:
    """Eighteen concepts of ten values (10^18 states) on 16 inputs: the memo key of input 10
    wrapped to a negative number in numpy (its state read back from the key as another state,
    its input as input -9) and the run went on. 8 inputs (8e18 pairs) still fit."""
    spec = synthetic_spec(num_inputs=32)
    spec["concepts"] = [{"name": "axis", "args": {"index": 0, "label": f"a{i}"}} for i in range(18)]
    shape = " x ".join(["10"] * 18)
    config = write_config(tmp_path / "c.yaml", budget=32)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"] = spec
    config.write_text(yaml.safe_dump(data))
    done = ffade_in_process("fit", "--config", str(config))
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines() == [
        f"ffade: error: the concept grid has 1e+18 states ({shape}), and 16 inputs make "
        "1.6e+19 (input, state) pairs, more than the 9.22e+18 ffade can number; search fewer "
        "inputs (task.max_inputs), fewer concepts or coarser grids"
    ]
    task = build_task({**spec, "max_inputs": 8})
    last = task.space.flat([9] * 18) + 7 * task.space.num_states
    assert last == 8 * 10**18 - 1  # the largest key, in int64 without wrapping
