"""How ffade.api.pieces reads what a Python caller passes as an explorer or a fine-tuner."""

from __future__ import annotations

from pathlib import Path

import pytest

import ffade
from ffade import plugin_index
from ffade.explore import RandomExplorer
from tests.helpers import synthetic_spec


def test_an_explorer_or_fine_tuner_class_of_another_kind_is_one_line(tmp_path: Path) -> None:
    """A class that is no Explorer (FineTuner) was refused as 'Parser key "model": Import path
    builtins.dict does not correspond to a subclass of LightningModule', naming neither the
    argument nor what it takes."""
    run = ffade.discover(
        synthetic_spec(), explorer=RandomExplorer, budget=8, save_dir=tmp_path, name="d"
    )
    assert run.summary["evaluations"] == 8  # an Explorer class is taken as it is
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(synthetic_spec(), explorer=dict, budget=8, save_dir=tmp_path)
    assert str(error.value) == (
        "explorer: dict is not an explorer class; give a subclass of ffade.explore.Explorer, "
        "a name (dqn, random, grid, epsilon_greedy) or a class path"
    )
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(run, finetuner=RandomExplorer, save_dir=tmp_path)
    assert str(error.value) == (
        "finetuner: RandomExplorer is not a fine-tuner class; give a subclass of "
        "ffade.mitigate.FineTuner, a name (classifier) or a class path"
    )
    assert not (run.dir / "feedback.yaml").exists()  # refused before any priorities applied


def test_numpy_arrays_and_tensors_in_arguments_are_taken_as_lists(tmp_path: Path) -> None:
    """A concept's values as ``np.linspace(...)`` or a tensor were "values must be a list, got
    'Unable to serialize instance [ 0 10]'" after a JsonargparseWarning; a config holds lists."""
    import numpy as np
    import torch

    task = synthetic_spec(num_concepts=2)
    task["concepts"][0]["args"]["values"] = np.linspace(0.0, 1.0, 3)
    task["concepts"][1]["args"]["values"] = torch.tensor([0.0, 0.5])
    run = ffade.discover(
        task, explorer="grid", budget=6, num_envs=np.int64(2), save_dir=tmp_path, name="d"
    )
    grids = [concept["values"] for concept in run.summary["concepts"]]
    assert grids[:2] == [[0.0, 0.5, 1.0], [0.0, 0.5]]
    assert run.summary["evaluations"] == 6


def test_numpy_and_tensor_numbers_in_trainer_are_taken_as_numbers(tmp_path: Path) -> None:
    """``trainer={"max_steps": np.int64(3)}`` was "trainer.max_steps: expected int, got 3":
    the README takes a NumPy or tensor number among the arguments as the number it holds, and
    ``trainer`` is one of them."""
    import numpy as np
    import torch

    trainer = {"log_every_n_steps": np.int64(3), "num_sanity_val_steps": torch.tensor(1)}
    run = ffade.discover(synthetic_spec(), explorer="random", budget=6, trainer=trainer,
                         save_dir=tmp_path)  # fmt: skip
    recorded = (run.dir / "config.yaml").read_text(encoding="utf-8")
    assert "log_every_n_steps: 3\n" in recorded and "num_sanity_val_steps: 1\n" in recorded


def test_an_instance_given_with_args_is_refused_as_what_was_given(tmp_path: Path) -> None:
    """``{"name": MarginReward(), "args": {...}}`` was refused as "reward 'margin_reward_2' is
    an instance registered in this process", a name the caller never typed (registered anew at
    each try); it names what was given, and registers nothing."""
    from ffade_synthetic.reward import MarginReward

    from ffade import registry
    from tests.api.callables import nan_far_out

    before = {info.name for info in registry.available("reward")}
    for _ in range(2):
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(
                synthetic_spec(),
                reward={"name": MarginReward(), "args": {"scale": 2.0}},
                budget=8,
                save_dir=tmp_path,
            )
        assert str(error.value) == (
            "task.reward: a MarginReward instance is used as it is; it takes no args (got "
            "'scale'); give its class as name ({'name': MarginReward, 'args': {...}}), or "
            "construct it with them"
        )
    assert {info.name for info in registry.available("reward")} == before
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(
            synthetic_spec(), target={"name": nan_far_out, "args": {"x": 1}}, save_dir=tmp_path
        )
    assert str(error.value) == (
        "task.target: nan_far_out is used as it is; it takes no args (got 'x'); "
        "bind them yourself (functools.partial)"
    )
    assert not (tmp_path / "ffade").exists()


def test_a_concept_class_given_without_a_label_goes_by_its_class_name() -> None:
    """docs/plugins.md: a concept class goes by the label its args give it, else by its class
    name in snake case. Given unlabelled after a call that labelled it ``tilt``, it went by
    ``tilt`` again (the first in-process name the class had), a label this call never gave."""
    from ffade_synthetic.concept import Axis

    from ffade.api.pieces import plugin_spec

    plugin_index.registered_plugins.clear()  # tests/conftest.py puts it back after the test
    labelled = plugin_spec("concept", {"name": Axis, "args": {"label": "tilt"}}, "concepts[0]")
    assert labelled["name"] == "tilt"
    assert plugin_spec("concept", Axis, "concepts[0]")["name"] == "axis_2"  # axis: installed
    assert plugin_spec("concept", Axis, "concepts[0]")["name"] == "axis_2"  # kept, not a third
    again = plugin_spec("concept", {"name": Axis, "args": {"label": "tilt"}}, "concepts[0]")
    assert again["name"] == "tilt"
