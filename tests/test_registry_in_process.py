"""ffade.register and module:Class names: plugins without a package or an entry point."""

from __future__ import annotations

import pytest
from ffade_synthetic.reward import MarginReward

import ffade
from ffade import registry
from ffade.errors import PluginError
from tests.helpers import ffade as ffade_command
from tests.helpers import ffade_in_process, synthetic_spec


class Doubled(MarginReward):
    """A reward defined outside any plugin package."""

    def __init__(self, scale: float = 20.0) -> None:
        super().__init__(scale)


def test_a_registered_class_is_created_with_checked_arguments() -> None:
    ffade.register("reward", "doubled", Doubled)
    assert registry.create("reward", "doubled", {"scale": 3.0}).scale == 3.0
    with pytest.raises(
        PluginError, match="has no argument 'scal' \\(did you mean 'scale'\\?\\); allowed: scale"
    ):
        registry.create("reward", "doubled", {"scal": 3.0})
    listed = [p for p in registry.available("reward") if p.name == "doubled"]
    assert listed[0].distribution == "in-process" and listed[0].value.endswith(":Doubled")
    ffade.register("reward", "doubled", MarginReward)  # a notebook cell run again replaces it
    assert registry.load("reward", "doubled") is MarginReward


def test_a_registered_instance_is_used_as_it_is() -> None:
    reward = Doubled(5.0)
    ffade.register("reward", "mine", reward)
    assert registry.create("reward", "mine") is reward and reward.plugin_name == "mine"
    # by keyword, as the README and docs/plugins.md name them: `plugin=` was a TypeError
    ffade.register(kind="reward", name="mine", cls_or_instance=reward)
    assert registry.create("reward", "mine") is reward
    with pytest.raises(PluginError, match="takes no arguments"):
        registry.create("reward", "mine", {"scale": 1.0})


def test_module_colon_class_needs_no_registration() -> None:
    assert registry.load("reward", "tests.test_registry_in_process:Doubled") is Doubled
    with pytest.raises(PluginError, match=r"not a subclass of ffade\.plugin_api\.Target"):
        registry.load("target", "tests.test_registry_in_process:Doubled")


def test_register_refuses_what_would_be_ambiguous() -> None:
    with pytest.raises(PluginError, match="already installed from ffade-synthetic"):
        ffade.register("reward", "margin", Doubled)
    with pytest.raises(PluginError, match="neither a subclass"):
        ffade.register("target", "x", Doubled)
    with pytest.raises(PluginError, match="unknown plugin kind 'model'"):
        ffade.register("model", "x", Doubled)
    with pytest.raises(PluginError, match=r"unknown plugin kind \['target'\]; known kinds: target"):
        ffade.register(["target"], "x", Doubled)  # not "unhashable type: 'list'"


def test_registering_a_bare_model_is_one_line_that_says_to_wrap_it() -> None:
    """A notebook user's torch module (whose repr runs over many lines) or function is no
    Target: the error names its type, not its repr, and points to ffade.CallableTarget."""
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with pytest.raises(PluginError) as error:
        ffade.register("target", "mine", model)
    assert str(error.value) == (
        "target 'mine': a Sequential is neither a subclass of ffade.plugin_api.Target nor an "
        "instance of one; wrap a model or function in ffade.CallableTarget"
    )
    ffade.register("target", "mine", ffade.CallableTarget(model))  # what the line says works


class Halved(MarginReward):
    """A reward a script passes to ffade.discover: registered for that process only."""


@pytest.mark.slow
def test_a_rerun_of_an_in_process_plugins_config_says_why_it_is_unknown(tmp_path) -> None:
    """A new process rerunning the config.yaml of a run that used an in-process plugin said only
    "unknown reward 'halved'; known rewards: ...": not why, nor how to rerun it."""
    try:
        run = ffade.discover(
            synthetic_spec(), reward=Halved, explorer="random", budget=8, save_dir=tmp_path
        )
    finally:
        registry.unregister("reward", "halved")
    config = run.dir / "config.yaml"
    where = "tests.test_registry_in_process:Halved"
    assert config.read_text().startswith(
        f"# ffade: reward 'halved' was registered in-process ({where})"
    )
    result = ffade_command("fit", "--config", str(config))  # a new process: no registration
    assert result.returncode == 2 and "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert error == (
        f"ffade: error: {config}: reward 'halved' was registered in-process ({where}) by the "
        "Python process that made this run, not installed as a plugin package, so no other "
        "process knows it; in Python, call ffade.register('reward', 'halved', Halved), then "
        f"ffade.cli.main(['fit', '--config', '{config}']); or install Halved in a package with "
        "an 'ffade.rewards' entry point named 'halved', or name it by import path "
        f"(name: '{where}')"
    )


def test_a_rerun_of_an_in_process_instances_config_says_to_register_an_instance(tmp_path) -> None:
    """An instance holds what the script gave it (a model): the line said to register the class
    and offered an entry point or the class's import path, which build a new, empty one."""
    from ffade_synthetic.target import SyntheticTarget

    try:
        ffade.register("target", "mine", SyntheticTarget(seed=0))
        spec = {**synthetic_spec(), "target": "mine"}
        run = ffade.discover(spec, explorer="random", budget=8, save_dir=tmp_path)
    finally:
        registry.unregister("target", "mine")
    config = run.dir / "config.yaml"
    # unregistered, as in a new process (the test above starts one: the same check, a class's)
    result = ffade_in_process("fit", "--config", str(config))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"ffade: error: {config}: target 'mine' was registered in-process "
        "(ffade_synthetic.target:SyntheticTarget) by the Python process that made this run, not "
        "installed as a plugin package, so no other process knows it; in Python, call "
        "ffade.register('target', 'mine', a SyntheticTarget instance), then "
        f"ffade.cli.main(['fit', '--config', '{config}'])"
    )


@pytest.mark.slow
def test_the_python_call_it_shows_holds_a_quoted_path_as_python(tmp_path) -> None:
    """The call to copy held the config's path in hand-written quotes: under a folder named
    "it's", ``['fit', '--config', '/…/it's/…']`` was no Python at all. Each shown call now
    parses, and gives back the path as typed."""
    import ast

    from ffade_synthetic.target import SyntheticTarget

    try:
        ffade.register("target", "mine", SyntheticTarget(seed=0))
        spec = {**synthetic_spec(), "target": "mine"}
        run = ffade.discover(spec, explorer="random", budget=8, save_dir=tmp_path / "it's")
    finally:
        registry.unregister("target", "mine")
    config = str(run.dir / "config.yaml")
    result = ffade_command("fit", "--config", config)  # a new process: no registration
    assert result.returncode == 2 and "Traceback" not in result.stderr
    shown = result.stderr.strip().split("then ffade.cli.main(", 1)[1]
    assert ast.literal_eval(shown[: shown.rindex(")")]) == ["fit", "--config", config]
    register = result.stderr.split("call ffade.register(", 1)[1].split(" a SyntheticTarget")[0]
    assert ast.literal_eval(f"({register})") == ("target", "mine")
