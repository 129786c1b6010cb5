"""The registry finds plugins through entry points and isolates the broken ones."""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import pytest

from ffade import registry
from ffade.cli import main
from ffade.errors import ConceptValueError, PluginError, as_written
from ffade.plugin_api import Concept, Reward, Scores


class GoodReward(Reward):
    def score(self, outputs, references, clean_outputs=None) -> Scores:
        return Scores(outputs, outputs < 0, outputs)


NOT_A_PLUGIN = object()


def make_distribution(root: Path, name: str, entry_points: str) -> None:
    """Install a real (metadata-only) distribution on sys.path, as pip would leave it."""
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def fake_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_distribution(
        tmp_path,
        "fake-good",
        "[ffade.rewards]\ngood = tests.test_registry:GoodReward\n"
        "dup = tests.test_registry:GoodReward\n",
    )
    make_distribution(
        tmp_path,
        "fake-broken",
        "[ffade.rewards]\nbroken = no_such_module_anywhere:Thing\n"
        "wrongkind = tests.test_registry:NOT_A_PLUGIN\n"
        "concept_as_reward = ffade_synthetic.concept:Axis\n"
        "function = tests.test_registry:make_distribution\n"
        "dup = tests.test_registry:GoodReward\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_lists_plugins_with_their_distribution(fake_plugins: Path) -> None:
    rows = {(r.kind, r.name): r for r in registry.available("reward")}
    assert rows[("reward", "good")].distribution == "fake-good 1.0"
    assert ("reward", "margin") in rows  # the installed synthetic plugin is listed too


def test_loads_a_good_plugin(fake_plugins: Path) -> None:
    assert registry.load("reward", "good") is GoodReward


def test_unknown_name_lists_known_names(fake_plugins: Path) -> None:
    """With no close name, the likely cause (on a fresh CI machine) is a package not installed."""
    with pytest.raises(PluginError, match=r"unknown reward 'nope'; known rewards: .*good.*margin"):
        registry.load("reward", "nope")
    with pytest.raises(PluginError, match=r"; a plugin's reward comes with its package: is it"):
        registry.load("reward", "nope")


def test_unknown_name_flags_the_broken_names_apart(fake_plugins: Path) -> None:
    """A plugin that fails to import was listed as "known", as if using it would work; they
    follow the working names, flagged BROKEN as `ffade plugins` flags them."""
    with pytest.raises(PluginError) as error:
        registry.load("reward", "nope")
    known, _, broken = str(error.value).partition("; BROKEN (see ffade plugins): ")
    working = known.partition("; known rewards: ")[2].split(", ")
    assert "good" in working and "margin" in working
    assert not {"broken", "wrongkind", "function", "concept_as_reward", "dup"} & set(working)
    names = broken.partition(";")[0].split(", ")
    assert names == ["broken", "concept_as_reward", "dup", "function", "wrongkind"]


def test_a_misspelled_name_gets_the_closest_one(fake_plugins: Path) -> None:
    hint = r"unknown reward 'godo' \(did you mean 'good'\?\); known"
    with pytest.raises(PluginError, match=hint):
        registry.load("reward", "godo")


def test_a_misspelled_broken_name_is_flagged_broken(fake_plugins: Path) -> None:
    """The closest name was suggested as if it worked, sending the user to a plugin that then
    failed to import; the hint says it is broken, as the list of names after it does."""
    hint = r"unknown reward 'brokn' \(did you mean 'broken'\? it is BROKEN: see ffade plugins\); "
    with pytest.raises(PluginError, match=hint):
        registry.load("reward", "brokn")


def test_broken_plugin_is_named_and_others_keep_working(fake_plugins: Path) -> None:
    with pytest.raises(PluginError, match=r"reward 'broken' from fake-broken 1.0 failed to import"):
        registry.load("reward", "broken")
    assert registry.load("reward", "good") is GoodReward


def test_wrong_kind_of_object_is_reported(fake_plugins: Path) -> None:
    with pytest.raises(
        PluginError, match=r"'wrongkind' from fake-broken 1.0 .*not a subclass of .*Reward"
    ):
        registry.load("reward", "wrongkind")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "concept_as_reward",
            r"^reward 'concept_as_reward' from fake-broken 1\.0 loads the class "
            r"ffade_synthetic\.concept:Axis, which is not a subclass of ffade\.plugin_api\.Reward; "
            r"it is a concept: list it under 'ffade\.concepts'$",
        ),
        (
            "function",
            r"^reward 'function' from fake-broken 1\.0 loads the function "
            r"tests\.test_registry:make_distribution, which is not a subclass of "
            r"ffade\.plugin_api\.Reward$",
        ),
    ],
)
def test_a_wrong_object_is_named_by_its_import_path(fake_plugins: Path, name, message) -> None:
    """Not by its repr, whose memory address means nothing; a plugin of another kind is
    told its group."""
    with pytest.raises(PluginError, match=message):
        registry.load("reward", name)


@pytest.mark.parametrize(
    ("kind", "name", "place"),
    [
        (
            "reward",
            "ffade_synthetic.concept:Axis",
            "it is a concept: give it as one of the task's concepts",
        ),
        (
            "concept",
            "ffade_synthetic.reward:MarginReward",
            "it is a reward: give it as the task's reward",
        ),
    ],
)
def test_a_plugin_named_by_import_path_in_another_kinds_place_is_told_that_place(
    kind: str, name: str, place: str
) -> None:
    """A ``module:Class`` name has no entry-point group to move: a concept named as a config's
    reward was told "list it under 'ffade.concepts'", a fix for a package it is not in."""
    with pytest.raises(PluginError) as raised:
        registry.load(kind, name)
    assert str(raised.value).endswith(f"; {place}")


def test_duplicate_names_are_an_error(fake_plugins: Path) -> None:
    with pytest.raises(
        PluginError,
        match=r"registered more than once.*fake-broken.*fake-good|fake-good.*fake-broken",
    ):
        registry.load("reward", "dup")


def test_a_duplicate_name_says_to_rename_one(fake_plugins: Path) -> None:
    """A third party whose name clashes with a built-in's is told the fix that is theirs to
    make, a name of their own, not only to uninstall a distribution (ffade's own, say)."""
    with pytest.raises(PluginError, match=r"Rename the entry point in one of them .* reinstall"):
        registry.load("reward", "dup")


def test_create_rejects_misspelled_arguments() -> None:
    with pytest.raises(
        PluginError,
        match=r"^reward 'margin' has no argument 'scal' \(did you mean 'scale'\?\); "
        r"allowed: scale$",
    ):
        registry.create("reward", "margin", {"scal": 2.0})


def test_create_names_a_missing_required_argument() -> None:
    with pytest.raises(PluginError, match=r"^target 'callable' needs 'predict' in its args; allow"):
        registry.create("target", "callable", {"num_classes": 10})


def test_a_plugin_knows_its_name_while_it_is_constructed() -> None:
    """docs/plugins.md: the entry-point name is the plugin's only name. An error raised in
    __init__ named the class instead (digits_cnn's bad precision said 'DigitsCNNTarget')."""
    with pytest.raises(PluginError, match=r"^target 'digits_cnn': precision '16' is not allowed"):
        registry.create("target", "digits_cnn", {"precision": "16"})
    assert registry.create("reward", "margin").plugin_name == "margin"


def test_unknown_kind() -> None:
    with pytest.raises(PluginError, match="known kinds: target, concept, reward, dataset"):
        registry.available("metric")


def _numeric_scale(name: str) -> bool:
    """Whether the reward takes a number ``scale`` (human's is a choice of questions)."""
    param = inspect.signature(registry.load("reward", name).__init__).parameters.get("scale")
    return param is not None and param.annotation in (float, "float")


SCALED_REWARDS = [info.name for info in registry.available("reward") if _numeric_scale(info.name)]


def test_every_installed_reward_with_a_scale_is_checked() -> None:
    """The list below is read from the signatures, so a reward missing from it goes unchecked."""
    assert set(SCALED_REWARDS) >= {
        *("misclassification", "accuracy_drop", "confidence_drop", "margin", "clip_score"),
        *("bleu", "rougel", "bleu_drop", "rougel_drop", "label_flip", "label_confidence_drop"),
    }


@pytest.mark.parametrize("name", SCALED_REWARDS)
@pytest.mark.parametrize("scale", [0, -1.5, float("nan"), "ten", None, True])
def test_a_rewards_scale_must_be_above_zero(name: str, scale: object) -> None:
    """A scale of 0 makes every failure worth alike; below 0 pays the explorer to avoid failures.

    Both ran silently; refused at construction, before any evaluation, naming the config key,
    and the value as the config writes it (``scale: null`` was said as None).
    """
    args = {"scale": scale, **({"model": "tiny_digits_clip"} if name == "clip_score" else {})}
    with pytest.raises(PluginError) as caught:
        registry.create("reward", name, args)
    assert str(caught.value) == (
        f"task.reward.args.scale must be a number above 0, got {as_written(scale)} "
        f"(reward '{name}')"
    )
    assert registry.create("reward", name, {**args, "scale": 2}).scale == 2.0


@pytest.mark.parametrize("name", SCALED_REWARDS)
@pytest.mark.parametrize("key, value", [("scale", math.inf), ("pass_reward", -math.inf)])
def test_a_rewards_numbers_must_be_finite(name: str, key: str, value: float) -> None:
    """A scale of inf is "above 0" and a pass_reward of -inf "at most 0", and both made rewards
    infinite: a reward built in Python (``ffade.discover(reward=MarginReward(scale=inf))``)
    never meets the config's finite check, so the shared helper refuses them, said as that
    check says it."""
    args = {key: value, **({"model": "tiny_digits_clip"} if name == "clip_score" else {})}
    if (
        key == "pass_reward"
        and key not in inspect.signature(registry.load("reward", name)).parameters
    ):
        pytest.skip(f"reward '{name}' takes no pass_reward")
    with pytest.raises(PluginError) as caught:
        registry.create("reward", name, args)
    assert str(caught.value) == (
        f"task.reward.args.{key} must be a finite number, got {as_written(value)} (reward '{name}')"
    )


PASS_REWARDS = [
    info.name
    for info in registry.available("reward")
    if "pass_reward" in inspect.signature(registry.load("reward", info.name).__init__).parameters
]


@pytest.mark.parametrize("name", PASS_REWARDS)
@pytest.mark.parametrize("pass_reward", [0.5, float("nan"), "none"])
def test_a_rewards_pass_reward_must_be_at_most_zero(name: str, pass_reward: object) -> None:
    """A pass that pays more than nothing can pay more than a close-call failure (worth scale
    times its size), so the explorer learns to avoid failures; text was a ValueError traceback."""
    assert len(PASS_REWARDS) >= 9  # the vision and text rewards: the list is read, not typed
    with pytest.raises(PluginError) as caught:
        registry.create("reward", name, {"pass_reward": pass_reward})
    assert str(caught.value) == (
        f"task.reward.args.pass_reward must be a number at most 0, got {pass_reward!r} "
        f"(reward '{name}')"
    )
    assert registry.create("reward", name, {"pass_reward": -0.5}).pass_reward == -0.5


def test_module_path_names_a_module_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: ``{name: callable, args: {predict: "my_module:predict"}}`` with my_module.py
    beside the config. The ``ffade`` command's sys.path lacks the current directory (python -m
    and scripts have it), so the module is looked for there too, and a missing one is still
    the one line naming it."""
    import sys

    (tmp_path / "ffade_readme_here_mod.py").write_text("def predict(batch):\n    return 7\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p and Path(p) != tmp_path])
    monkeypatch.delitem(sys.modules, "ffade_readme_here_mod", raising=False)
    predict = registry.import_attribute("target 'callable'", "ffade_readme_here_mod:predict")
    assert predict(None) == 7
    sys.modules.pop("ffade_readme_here_mod")
    with pytest.raises(PluginError) as error:
        registry.import_attribute("reward", "ffade_readme_nowhere:Reward")
    assert str(error.value) == (
        "reward 'ffade_readme_nowhere:Reward': cannot import module 'ffade_readme_nowhere': "
        "No module named 'ffade_readme_nowhere'"
    )


def test_a_device_not_on_this_machine_names_the_plugin_that_asked_for_it() -> None:
    # configs/sd14.yaml asks for cuda twice (its target and its clip_score reward); the line said
    # only "device 'cuda': ...", not which of the config's devices to set to cpu
    with pytest.raises(PluginError, match=r"^target 'synthetic': device 'cuda:64': this machine"):
        registry.create("target", "synthetic", {"device": "cuda:64"})
    with pytest.raises(PluginError, match=r"^target 'digits_cnn': device 'gpu' is not a device"):
        registry.create("target", "digits_cnn", {"device": "gpu"})


def test_a_plugin_under_a_misspelt_group_is_named_with_the_group_to_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package listing its reward under 'ffade.reward' was told "unknown reward 'typo'; ...
    is it installed?", though it is: ffade reads 'ffade.rewards' only."""
    make_distribution(
        tmp_path,
        "fake-misfiled",
        "[ffade.reward]\ntypo = tests.test_registry:GoodReward\n"
        "[fake_misfiled.tokenizers]\nnot_ours = tests.test_registry:GoodReward\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError) as caught:
        registry.load("reward", "typo")
    assert str(caught.value) == (
        "unknown reward 'typo': fake-misfiled 1.0 lists reward 'typo' "
        "(tests.test_registry:GoodReward) under the entry-point group 'ffade.reward', which "
        "ffade does not read; list it under 'ffade.rewards' and reinstall the package"
    )
    with pytest.raises(PluginError, match=r"^unknown reward 'not_ours'; known rewards: "):
        registry.load("reward", "not_ours")  # a package's own group is no misspelling


def test_a_reward_without_init_given_an_argument_says_it_takes_none() -> None:
    """docs/plugins.md: a reward without arguments needs no ``__init__``; given one anyway, it
    was Python's "GoodReward.__init__() takes exactly one argument (the instance to
    initialize)" rather than the usual line naming the argument."""
    with pytest.raises(PluginError) as caught:
        registry.create("reward", "tests.test_registry:GoodReward", {"k": 3})
    assert str(caught.value) == (
        "reward 'tests.test_registry:GoodReward' has no argument 'k'; allowed: none"
    )
    assert isinstance(registry.create("reward", "tests.test_registry:GoodReward"), GoodReward)


class CaseStyle(Concept):
    """A word grid, as docs/plugins.md's Mirror checks it: membership in its own words."""

    neutral = "as_is"
    default_values = ("as_is", "upper", "off")

    def __init__(self, values=None, label=None) -> None:
        super().__init__(values, label)

    def check_value(self, value) -> None:
        if value not in self.default_values:
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; "
                f"expected one of {', '.join(self.default_values)}"
            )

    def apply(self, inputs, value):
        return inputs


def test_a_word_grid_refusing_a_word_yaml_read_as_false_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``values: [as_is, "off"]`` arrives as ``[as_is, False]`` (jsonargparse reads it as YAML,
    quoted or not): the line named a False nobody typed, beside an allowed 'off'; it says false,
    as YAML writes it, not Python's False."""
    config = tmp_path / "c.yaml"
    config.write_text(
        "model:\n  class_path: ffade.explore.DQNExplorer\n  init_args:\n    budget: 16\n"
        "    task:\n      target: {name: synthetic}\n      dataset: {name: synthetic}\n"
        "      reward: {name: margin}\n      concepts:\n"
        f'        - {{name: "{__name__}:CaseStyle", args: {{values: [as_is, "off"]}}}}\n'
        f"trainer: {{default_root_dir: {tmp_path / 'runs'}}}\n"
    )
    assert main(["fit", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"ffade: error: concept '{__name__}:CaseStyle': model.init_args.task.concepts[0].args."
        "values[1] false is not allowed; expected one of as_is, upper, off; false may be a word "
        "YAML read as a boolean or null (on, off, yes, no, true, false, null, ~; quoted or not), "
        "which a grid cannot hold yet (docs/plugins.md)"
    )
    assert not (tmp_path / "runs").exists()


class Phrase(Concept):
    """Words added to a text, as ffade-diffusion's prompt_words takes them: any string."""

    neutral = ""
    default_values = ("", "old")

    def __init__(self, values=None, label=None) -> None:
        super().__init__(values, label)

    def check_value(self, value) -> None:
        if not isinstance(value, str):
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; expected words"
            )

    def apply(self, inputs, value):
        return inputs


def test_a_word_grid_refusing_a_word_yaml_read_as_a_number_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``values: ["", old, "1990"]`` arrives as ``["", "old", 1990]`` (jsonargparse reads it as
    YAML, quoted or not): the line refused a 1990 typed as a word, and did not say why."""
    config = tmp_path / "c.yaml"
    config.write_text(
        "model:\n  class_path: ffade.explore.DQNExplorer\n  init_args:\n    budget: 16\n"
        "    task:\n      target: {name: synthetic}\n      dataset: {name: synthetic}\n"
        "      reward: {name: margin}\n      concepts:\n"
        f'        - {{name: "{__name__}:Phrase", args: {{values: ["", old, "1990"]}}}}\n'
        f"trainer: {{default_root_dir: {tmp_path / 'runs'}}}\n"
    )
    assert main(["fit", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"ffade: error: concept '{__name__}:Phrase': model.init_args.task.concepts[0].args."
        "values[2] 1990 is not allowed; expected words; "
        "1990 may be a word YAML read as a number (quoted or not), which a grid cannot hold yet "
        "(docs/plugins.md)"
    )
    assert not (tmp_path / "runs").exists()


def test_a_config_plugins_misspelt_argument_and_name_are_named_by_their_full_key() -> None:
    """A config's misspelt plugin argument read "reward 'margin' has no argument 'scal'",
    naming no key a user could search the YAML for; given where the config holds the plugin,
    the line names it in full, as a misspelt model argument is. Without it (Python), as before."""
    key = "model.init_args.task.reward"
    with pytest.raises(PluginError) as error:
        registry.checked_arguments("reward", "margin", {"scal": 1}, key)
    assert str(error.value) == (
        "unknown key 'model.init_args.task.reward.args.scal' (did you mean "
        "'model.init_args.task.reward.args.scale'?); allowed model.init_args.task.reward.args "
        "keys of reward 'margin': scale"
    )
    with pytest.raises(PluginError, match=r"^model\.init_args\.task\.reward\.name: unknown reward"):
        registry.checked_arguments("reward", "marginn", {}, key)
    with pytest.raises(PluginError, match=r"^reward 'margin' has no argument 'scal'"):
        registry.create("reward", "margin", {"scal": 1})


def test_a_python_task_dicts_concept_argument_is_named_under_task() -> None:
    """build_task from Python names a concept's misspelt argument by its place in the dict."""
    from ffade.task import build_task
    from tests.helpers import synthetic_spec

    spec = synthetic_spec()
    spec["concepts"][1] = {"name": "axis", "args": {"idx": 1}}
    with pytest.raises(
        PluginError, match=r"^unknown key 'task\.concepts\[1\]\.args\.idx' \(did you"
    ):
        build_task(spec)


@pytest.mark.parametrize(
    ("edit", "kind"),
    [
        (("      target: {name: synthetic}\n", ""), "target"),  # the line deleted
        (("{name: margin}", "{name: }"), "reward"),  # the name left empty
        (("{name: synthetic, args:", "{name: null, args:"), "dataset"),
    ],
)
def test_a_plugin_left_unnamed_is_refused_by_print_config_in_the_runs_words(
    edit: tuple[str, str], kind: str, tmp_path: Path
) -> None:
    """``--print_config`` said "ffade: error: argument of type 'NoneType' is not iterable" (the
    registry looked for ':' in a name of None) where the run says which key has no value."""
    from tests.helpers import print_config_of_edited

    _, done = print_config_of_edited(tmp_path, edit)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ffade: error: model.init_args.task.{kind}.name has no default: give it a value "
        "(null is no value)"
    ]
