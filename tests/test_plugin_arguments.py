"""A plugin's arguments and methods checked before it runs (ffade/plugin_arguments.py): a
switch given anything but true or false, a number given anything but a number, a class without
the method its base requires, each said in one line naming the plugin."""

from __future__ import annotations

import re

import pytest

from ffade import plugin_index, registry
from ffade.errors import FfadeError, PluginError
from ffade.plugin_api import Concept, Dataset, Reward, Target
from ffade.registry import create
from tests.test_registry import GoodReward


class SwitchedReward(GoodReward):
    def __init__(self, strict: bool = False, verbose: bool | None = None) -> None:
        self.strict, self.verbose = strict, verbose


@pytest.mark.parametrize(
    ("args", "bad"),
    [({"strict": "yes"}, "strict"), ({"strict": 1}, "strict"), ({"verbose": "no"}, "verbose")],
)
def test_a_bool_argument_refuses_anything_but_true_or_false(args: dict, bad: str) -> None:
    """A string like "no" or "false" is truthy: trust_remote_code: "false" would have trusted."""
    registry.register("reward", "switched", SwitchedReward)
    try:
        with pytest.raises(PluginError, match=rf"^reward 'switched': {bad} must be true or false"):
            registry.create("reward", "switched", args)
        made = registry.create("reward", "switched", {"strict": True, "verbose": None})
        assert made.strict is True and made.verbose is None
    finally:
        registry.unregister("reward", "switched")


class NumberedReward(GoodReward):
    def __init__(self, threshold: float | None = None, seed: int = 0) -> None:
        self.threshold = None if threshold is None else float(threshold)
        self.seed = int(seed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"threshold": "twenty"}, "threshold must be a number or null, got 'twenty'"),
        ({"threshold": [1]}, "threshold must be a number or null, got [1]"),
        ({"seed": "abc"}, "seed must be a whole number, got 'abc'"),
        ({"seed": None}, "seed must be a whole number, got null"),
    ],
)
def test_a_number_argument_refuses_anything_but_a_number(args: dict, message: str) -> None:
    """The plugin's float("twenty") said "could not convert string to float", naming neither
    the argument nor what it takes; the registry names them when a constructor fails so."""
    registry.register("reward", "numbered", NumberedReward)
    try:
        with pytest.raises(PluginError, match=rf"^reward 'numbered': {re.escape(message)}$"):
            registry.create("reward", "numbered", args)
        made = registry.create("reward", "numbered", {"threshold": 3, "seed": 2.0})
        assert made.threshold == 3 and made.seed == 2 and isinstance(made.seed, int)
        assert registry.create("reward", "numbered", {"threshold": None}).threshold is None
    finally:
        registry.unregister("reward", "numbered")


def test_installed_plugins_number_arguments_are_checked() -> None:
    said = "^" + re.escape(
        "task.reward.args.threshold must be a number in [0, 99.9999) (a drop in BLEU, at most "
        "100: it must pass the threshold by 0.0001, float32 rounding, so from about 99.9999 up "
        "no edit can fail), got"
    )
    with pytest.raises(PluginError, match=said + r" 'twenty' \(reward 'bleu_drop'\)$"):
        registry.create("reward", "bleu_drop", {"threshold": "twenty"})
    said = "^" + re.escape(
        "task.reward.args.threshold must be a number in [0, 0.999999) (a drop in probability, "
        "at most 1: it must pass the threshold by 1e-06, float32 rounding, so from about "
        "0.999999 up no input can fail)"
    )
    with pytest.raises(
        PluginError, match=said + r", got 'high' \(reward 'label_confidence_drop'\)$"
    ):
        registry.create("reward", "label_confidence_drop", {"threshold": "high"})
    # the text concepts check their own seed (a ConceptValueError in their own words)
    with pytest.raises(FfadeError, match=r"^concept 'keyboard_typo': seed must be a whole"):
        registry.create("concept", "keyboard_typo", {"seed": "abc"})
    # a plugin that checks its own numbers keeps its own words
    with pytest.raises(FfadeError, match=r"^reward 'human': threshold must be a whole number from"):
        registry.create("reward", "human", {"threshold": "high"})


def test_an_installed_targets_switch_is_checked_before_it_loads_a_model() -> None:
    with pytest.raises(PluginError, match=r"trust_remote_code must be true or false, got 'false'"):
        registry.create(
            "target", "seq2seq_summarizer", {"model": "x", "trust_remote_code": "false"}
        )


HERE = "tests.test_plugin_arguments"


class NoSplit(Dataset):
    """Forgot split(name)."""


class NoPredict(Target):
    """Forgot predict(inputs)."""


class NoApply(Concept):
    """Forgot apply(inputs, value)."""


class NoScore(Reward):
    """Forgot score(outputs, references, clean_outputs)."""


@pytest.mark.parametrize(
    ("kind", "cls", "method"),
    [
        ("dataset", "NoSplit", r"split\(self, name\)"),
        ("target", "NoPredict", r"predict\(self, inputs\)"),
        ("concept", "NoApply", r"apply\(self, inputs, value\)"),
        ("reward", "NoScore", r"score\(self, outputs, references, clean_outputs=None\)"),
    ],
)
def test_a_plugin_without_its_required_method_is_told_which_to_define(
    kind: str, cls: str, method: str
) -> None:
    message = rf"^{kind} '{HERE}:{cls}': {cls} does not define {method}, which every {kind} must"
    with pytest.raises(PluginError, match=message):
        create(kind, f"{HERE}:{cls}")


@pytest.mark.parametrize(
    ("kind", "name", "args", "key", "said"),
    [
        (
            "target",
            "synthetic",
            {"feature_dim": 0},
            "model.init_args.task.target",
            "target 'synthetic': model.init_args.task.target.args.feature_dim must be a whole "
            "number from 1 to",
        ),
        (
            "dataset",
            "synthetic",
            {"num_inputs": -3},
            "model.init_args.task.dataset",
            "dataset 'synthetic': model.init_args.task.dataset.args.num_inputs must be a whole "
            "number, at least 1, got -3",
        ),
        (
            "dataset",
            "digits",
            {"channels": 2},
            "model.init_args.task.dataset",
            "dataset 'digits': model.init_args.task.dataset.args.channels must be 1 or 3, got 2",
        ),
        (
            "reward",
            "judge",
            {"classifier": {"name": "digits_cnn"}, "min_probability": 2},
            "model.init_args.task.reward",
            "reward 'judge': model.init_args.task.reward.args.min_probability must be in [0, 1], "
            "got 2",
        ),
        (
            "concept",
            "swap_char",
            {"values": [0, 1], "seed": "abc"},
            "model.init_args.task.concepts[1]",
            "concept 'swap_char': model.init_args.task.concepts[1].args.seed must be a whole "
            "number, got 'abc'",
        ),
        (
            "concept",
            "rotation",
            {"values": [0, 5], "fill": 3, "label": "turn"},
            "model.init_args.task.concepts[0]",
            "concept 'turn': model.init_args.task.concepts[0].args.fill 3 is not allowed; "
            "expected a gray level in [0, 1]",
        ),
    ],
)
def test_a_plugins_own_check_names_its_argument_by_the_configs_key(
    kind: str, name: str, args: dict, key: str, said: str
) -> None:
    """A plugin's own check of its argument said it bare ("dataset 'synthetic': num_inputs must
    be ..."), a word a user cannot search a config for; built from a config (a key given), the
    argument is named as the YAML spells it, what is allowed kept. From Python (no key), as the
    plugin wrote it."""
    with pytest.raises(FfadeError) as error:
        create(kind, name, args, key)
    assert str(error.value).startswith(said)
    with pytest.raises(FfadeError) as error:
        create(kind, name, args)
    bare = said.replace(f"{key}.args.", "")
    assert str(error.value).startswith(bare)


def test_a_plugins_other_words_are_left_as_written() -> None:
    """Only an argument of the plugin's, right after its name, is named by key: a line that goes
    on with another word is left as the plugin wrote it."""
    with pytest.raises(FfadeError) as error:
        create("dataset", "prompts", {}, "model.init_args.task.dataset")
    assert str(error.value) == (
        "dataset 'prompts': give 'prompts' (a list) or 'path' (a file); neither is set"
    )


def test_a_built_plugins_check_task_names_its_argument_by_the_configs_key() -> None:
    """``check_task`` runs after the plugin is built; an argument it named was bare (``target
    'synthetic': feature_dim is 8``) while the constructor's checks named the config's key."""
    from ffade.task import build_task

    spec = {
        "target": {"name": "synthetic", "args": {"feature_dim": 8}},
        "dataset": {"name": "synthetic", "args": {"feature_dim": 4}},
        "reward": {"name": "margin"},
        "concepts": [{"name": "axis", "args": {"index": 0, "values": [0.0, 1.0]}}],
    }
    said = "feature_dim is 8, the dataset's feature_dim 4; give both the same"
    with pytest.raises(FfadeError) as error:
        build_task(spec, task_key="model.init_args.task")
    assert str(error.value) == f"target 'synthetic': model.init_args.task.target.args.{said}"
    with pytest.raises(FfadeError) as error:
        build_task(spec)  # a task dict: its own keys, as its other checks say them
    assert str(error.value) == f"target 'synthetic': task.target.args.{said}"
    with pytest.raises(FfadeError) as error:
        build_task(spec, task_key=None)  # no key: the plugin's own words
    assert str(error.value) == f"target 'synthetic': {said}"


class _SelfNamed(Dataset):
    """A dataset whose constructor raises a ValueError led by its own name, as docs/plugins.md
    shows (``f"dataset '{self.plugin_name}': num_inputs must be ..."``)."""

    def __init__(self, num_inputs: int = 4, seed: int = 0) -> None:
        if num_inputs < 1:
            raise ValueError(f"dataset '{self.plugin_name}': num_inputs must be at least 1")
        super().__init__(seed)

    def split(self, name: str) -> list:
        return []


def test_a_constructors_value_error_that_names_its_plugin_says_the_name_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A constructor's ValueError already led by the plugin's name was led by it again
    (``dataset 'self_named': dataset 'self_named': num_inputs ...``), which also kept its
    argument from being named by the config's key; it is said once, with the key."""
    monkeypatch.setitem(plugin_index.registered_plugins, ("dataset", "self_named"), _SelfNamed)
    with pytest.raises(FfadeError) as error:
        create("dataset", "self_named", {"num_inputs": 0}, "model.init_args.task.dataset")
    assert str(error.value) == (
        "dataset 'self_named': model.init_args.task.dataset.args.num_inputs must be at least 1"
    )
