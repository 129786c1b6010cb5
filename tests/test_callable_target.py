"""The callable target: a plain function or torch module as the model, from Python or YAML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

import ffade
from ffade import registry
from ffade.api.pieces import callable_target
from ffade.callable_target import CallableTarget
from ffade.cli import main
from ffade.errors import FfadeError, FfadeWarning, PluginError
from ffade.mitigate.plan import check_trainable
from ffade.plugin_api import Reward, Scores, TrainableTarget
from ffade.plugin_checks import predicted
from tests.helpers import synthetic_spec, write_config


def test_labels_become_log_probabilities_and_scores_pass_through() -> None:
    labels = CallableTarget(lambda x: np.array([2, 0]), num_classes=3).predict(torch.zeros(2, 4))
    assert labels.shape == (2, 3) and labels.argmax(-1).tolist() == [2, 0]
    assert labels.softmax(-1)[0, 2] > 0.99
    summed = CallableTarget(lambda x: x.sum(-1, keepdim=True).repeat(1, 2))
    scores = summed.predict(torch.ones(3, 2))
    assert scores.dtype == torch.float32 and scores.tolist() == [[2.0, 2.0]] * 3
    seen = []
    CallableTarget(lambda x: seen.append(type(x)) or np.zeros(1), numpy=True).predict(torch.ones(1))
    assert seen == [np.ndarray]


def test_probabilities_as_scores_get_a_note_once(capsys: pytest.CaptureFixture[str]) -> None:
    """The rewards read scores as logits: softmax made probability 0.9 a 0.69 and a fall from 0.9
    to 0.55 a drop of 0.165 (confidence_drop at 0.3 passed it), so probabilities get a note."""
    probabilities = CallableTarget(lambda x: np.array([[0.9, 0.1], [0.55, 0.45]]))
    probabilities.predict(torch.zeros(2, 4))
    probabilities.predict(torch.zeros(2, 4))
    err = capsys.readouterr().err
    assert err.count("read as probabilities") == 1 and "log-probabilities" in err
    logits = CallableTarget(lambda x: np.log(np.array([[0.9, 0.1], [0.55, 0.45]])))
    logits.predict(torch.zeros(2, 4))
    CallableTarget(lambda x: np.array([1, 0]), num_classes=2).predict(torch.zeros(2, 4))
    assert capsys.readouterr().err == ""


def test_bad_outputs_and_arguments_are_one_line_errors() -> None:
    with pytest.raises(PluginError, match="pass num_classes"):
        CallableTarget(lambda x: np.array([1, 0])).predict(torch.zeros(2))
    with pytest.raises(PluginError, match=r"got \(2, 2, 2\)"):
        CallableTarget(lambda x: torch.zeros(2, 2, 2)).predict(torch.zeros(2))
    with pytest.raises(PluginError, match=r"^target 'callable': predict .* has no 'nope'"):
        CallableTarget("tests.api.callables:nope")
    with pytest.raises(PluginError, match=r"^target 'callable': predict .* 'no_such_module'"):
        CallableTarget("no_such_module:f")
    with pytest.raises(PluginError, match=r"predict 'no_colon' is not a function; .*module:"):
        CallableTarget("no_colon")
    with pytest.raises(PluginError, match="predict returned 3 outputs for a batch of 2 inputs"):
        CallableTarget(lambda x: torch.zeros(3, 4)).predict({"a": torch.zeros(2, 1), "b": 0})
    with pytest.raises(PluginError, match="predict returned 1 output for a batch of 2 inputs"):
        CallableTarget(lambda x: np.array([1]), num_classes=3).predict(torch.zeros(2, 4))
    with pytest.raises(PluginError, match=r"weights needs predict to be a torch\.nn\.Module"):
        CallableTarget(lambda x: x, weights="w.pt")
    with pytest.raises(ffade.FfadeError) as error:  # was pathlib's "expected str, bytes or ..."
        ffade.CallableTarget(torch.nn.Linear(4, 3), weights=3)
    assert str(error.value) == ("target 'Linear': weights: expected a state-dict file path, got 3")
    with pytest.raises(PluginError, match=r"predict returned label 12, outside 0 to 9"):
        CallableTarget(lambda x: np.array([12, 0]), num_classes=10).predict(torch.zeros(2))
    with pytest.raises(PluginError, match=r"predict must return labels .*; got list \['cat'"):
        CallableTarget(lambda x: ["cat", "dog"]).predict(torch.zeros(2))
    for count in ("10", 1, 2.5):  # "10" from a notebook was a TypeError from '<'
        with pytest.raises(PluginError) as error:
            CallableTarget(identity, num_classes=count)
        assert str(error.value) == (
            f"target 'identity': num_classes must be a whole number from 2, got {count!r}"
        )


def identity(batch: object) -> object:
    return batch


def test_a_tuple_of_outputs_is_said_to_be_a_tuple() -> None:
    """(logits, probabilities) on a batch of 1 was stacked into two rows: "predict returned 2
    outputs for a batch of 1 inputs", as though the function had answered for two inputs."""
    pair = CallableTarget(lambda x: (torch.zeros(len(x), 1), torch.ones(len(x), 1)))
    with pytest.raises(PluginError) as error:
        predicted(pair, torch.zeros(1, 4), 1)
    assert str(error.value).endswith(
        "<lambda>': predict returned a tuple of 2 for a batch of 1 inputs; return one "
        "label or row of scores per input (one tensor, not a tuple of them)"
    )
    labels = CallableTarget(lambda x: (torch.tensor(1), torch.tensor(0)), num_classes=2)
    assert predicted(labels, torch.zeros(2, 4), 2).shape == (2, 2)  # a label per input: fine


def test_a_tuple_of_as_many_tensors_as_inputs_is_said_to_be_a_tuple() -> None:
    """(logits, probabilities) on a batch of 2 was stacked to (2, 2, 1) and refused as a shape
    ("got (2, 2, 1)"), where a batch of any other size is told the tuple is the slip. Labels, a
    tuple of numbers, or of one numpy row per input, stay accepted."""
    said = (
        "predict returned a tuple of 2 for a batch of 2 inputs; return one label or row of "
        "scores per input (one tensor, not a tuple of them)"
    )
    for pair in (
        lambda x: (torch.zeros(len(x), 1), torch.ones(len(x), 1)),
        lambda x: (np.zeros((len(x), 3)), np.ones((len(x), 3))),
        lambda x: tuple(torch.zeros(len(x), 3)),  # rows, as tensors: one tensor is asked for
    ):
        with pytest.raises(PluginError) as error:
            predicted(CallableTarget(pair, num_classes=3), torch.zeros(2, 4), 2)
        assert str(error.value).endswith(f"<lambda>': {said}")
    for fine in (lambda x: (1, 0), lambda x: tuple(np.zeros((len(x), 3)))):
        assert predicted(CallableTarget(fine, num_classes=3), torch.zeros(2, 4), 2).shape == (2, 3)


def test_a_function_target_is_named_by_the_function_not_callable(tmp_path: Path) -> None:
    """From Python its errors said target 'callable', a name the caller never wrote (README:
    a function is a target as it is); they name the function. A config's `callable` stays."""
    with pytest.raises(PluginError) as error:
        CallableTarget(identity, numpy="no")
    assert str(error.value).startswith("target 'identity': numpy must be true or false")

    class Model:
        def predict(self, batch: object) -> torch.Tensor:
            return torch.zeros(3)

    with pytest.raises(PluginError) as error:
        ffade.discover(
            target=Model().predict,
            task=synthetic_spec(),
            explorer="random",
            budget=4,
            save_dir=tmp_path,
        )
    assert str(error.value).startswith(
        "target 'test_a_function_target_is_named_by_the_function_not_callable.<locals>."
        "Model.predict': predict returned 3 outputs for a batch of "
    )
    config = {"name": "callable", "args": {"predict": "tests.api.callables:margin", "numpy": 1}}
    with pytest.raises(PluginError, match=r"^target 'callable': numpy must be true or false"):
        registry.create("target", config["name"], config["args"])


def coordinate_count(batch: dict) -> torch.Tensor:
    return torch.zeros(len(batch["coords"]))


def flat_features(batch: dict) -> torch.Tensor:
    return torch.zeros(len(batch["coords"]))


def broken_predict(batch: dict) -> torch.Tensor:
    raise ValueError("broken")


def nan_scores(batch: dict) -> torch.Tensor:
    return torch.full((len(batch["coords"]),), float("nan"))


def test_ffades_own_checks_name_a_function_target_not_callable_target(tmp_path: Path) -> None:
    """ffade.discover registers a function as 'callable_target', a name the caller never wrote;
    the plugin checks (features, a raising predict), the invalid-metric warning and the
    fine-tuner's trainability check said so. They name the function, as its own errors do."""
    run = {"task": synthetic_spec(), "explorer": "random", "budget": 4, "save_dir": tmp_path}
    target = CallableTarget(coordinate_count, features=flat_features)
    with pytest.raises(PluginError, match=r"^target 'coordinate_count': features\(\) returned"):
        ffade.discover(target=target, **run)
    with pytest.raises(ValueError, match="broken") as raised:
        ffade.discover(target=broken_predict, **run)
    assert "ffade: raised by target 'broken_predict': predict()" in raised.value.__notes__[0]
    nan_metric = "outputs of target 'nan_scores' as metric nan"
    no_valid = "gave no valid score to target 'nan_scores'"  # every evaluation NaN: it stops
    with pytest.warns(FfadeWarning, match=nan_metric), pytest.raises(FfadeError, match=no_valid):
        ffade.discover(target=nan_scores, **run)
    wrapper = callable_target(nan_scores)  # what discover searched, under its registered name
    assert wrapper.plugin_name.startswith("callable_target")
    with pytest.raises(FfadeError, match=r"^target 'nan_scores' cannot be fine-tuned"):
        check_trainable(wrapper, wrapper.plugin_name)


def test_one_dimensional_features_are_refused_by_the_features_check() -> None:
    from ffade.plugin_checks import checked_features

    target = CallableTarget(lambda x: x.sum(-1), features=lambda x: x.sum(-1))
    with pytest.raises(PluginError, match=r"features\(\) returned shape \(2,\) for a batch of 2"):
        checked_features(target, torch.ones(2, 3), 2)


def test_a_module_is_trainable_and_loads_weights(tmp_path: Path) -> None:
    network = torch.nn.Linear(4, 3)
    target = CallableTarget(network, features=lambda x: x * 2)
    assert isinstance(target, TrainableTarget) and target.model is network
    assert torch.equal(target.features(torch.ones(2, 4)), torch.full((2, 4), 2.0))
    saved = {k: torch.zeros_like(v) for k, v in network.state_dict().items()}
    torch.save(saved, tmp_path / "w.pt")
    zeroed = CallableTarget(torch.nn.Linear(4, 3), weights=str(tmp_path / "w.pt"))
    assert torch.equal(zeroed.predict(torch.ones(1, 4)), torch.zeros(1, 3))


LINEAR = torch.nn.Linear(2, 2)
"""A module a config names by import path, as ``predict: "module:attribute"``."""


def test_a_relative_weights_file_is_recorded_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`callable` took `weights` (a state-dict file) but did not list it in `path_arguments`, so a
    run recorded `weights: net.pt` as typed and `ffade export RUN --slices regions` typed in
    another folder stopped with `weights file 'net.pt' does not exist`; docs/plugins.md (Paths)
    says the built-in targets' `weights` are recorded absolute."""
    from ffade.task import absolute_plugin_paths

    torch.save(LINEAR.state_dict(), tmp_path / "net.pt")
    monkeypatch.chdir(tmp_path)
    target = {"name": "callable", "args": {"predict": f"{__name__}:LINEAR", "weights": "net.pt"}}
    recorded = absolute_plugin_paths({"target": target})
    assert recorded == {("target", "args", "weights"): str(tmp_path / "net.pt")}
    monkeypatch.chdir(tmp_path.parent)  # a later command, typed elsewhere, loads it
    loaded = registry.create(
        "target", "callable", {**target["args"], "weights": recorded[("target", "args", "weights")]}
    )
    assert torch.equal(loaded.model.weight, LINEAR.weight)


def test_images_render_and_texts_describe_so_runs_save_examples() -> None:
    target = CallableTarget(lambda x: torch.zeros(len(x), 10))
    gray = torch.linspace(-1, 2, 2 * 8 * 8).reshape(2, 1, 8, 8)
    pictures = target.render(gray)
    assert pictures.shape == (2, 3, 8, 8) and pictures.min() == 0 and pictures.max() == 1
    assert torch.equal(pictures[:, 0], pictures[:, 2])
    assert target.render(torch.zeros(2, 4)) is None and target.render(["a"]) is None
    assert target.describe_inputs(["short", "x" * 500]) == ["short", "x" * 397 + "..."]
    assert target.describe_inputs(torch.zeros(2, 4)) is None
    assert target.describe_outputs(torch.tensor([[0.1, 0.9], [2.0, 1.0]])) == [
        "predicted 1",
        "predicted 0",
    ]
    assert target.describe_outputs(torch.tensor([1.5, -2.25])) == [
        "predicted 1.5",
        "predicted -2.25",
    ]


def test_the_readme_module_target_saves_worst_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README's Python API: ``run.examples[0]`` of a module searched on digits is a picture,
    named by an absolute path (as Run.examples says) even when save_dir is relative."""
    import ffade

    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(28 * 28, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)
    )
    run = ffade.discover(
        target=CallableTarget(model, features=model[:-1]),
        dataset="digits",
        reward="misclassification",
        concepts=["rotation"],
        max_inputs=8,
        explorer="random",
        budget=24,
        save_dir="runs",
    )
    assert run.summary["failures"] > 0
    assert run.examples and Path(run.examples[0]["file"]).is_file()
    assert Path(run.examples[0]["file"]).is_absolute()
    assert run.examples[0]["output"].startswith("predicted ")


class DigitError(Reward):
    """A regression reward: failed when the predicted digit is off by more than ``tolerance``."""

    def __init__(self, tolerance: float = 0.5) -> None:
        self.tolerance = tolerance

    def score(self, outputs: Any, references: Any, clean_outputs: Any = None) -> Scores:
        error = (outputs.reshape(-1) - references.float()).abs()
        failed = error > self.tolerance
        return Scores(metric=error, failed=failed, reward=torch.where(failed, error, -1.0))


def test_a_regression_module_s_worst_examples_give_its_value_not_a_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A regression module returns one value per input, (B, 1): its worst examples were
    captioned "predicted 0", the top class of one column, whatever it predicted."""
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 1))
    with torch.no_grad():
        model[1].bias.fill_(20.0)  # far from every digit: each evaluation fails
    run = ffade.discover(
        target=model,
        dataset="digits",
        reward=DigitError,
        concepts=["rotation"],
        max_inputs=4,
        explorer="random",
        budget=8,
        save_dir="runs",
    )
    captions = [example["output"] for example in run.examples]
    values = [float(c.removeprefix("predicted ")) for c in captions]
    assert values and all(15 < v < 25 for v in values), captions
    assert CallableTarget(model).describe_outputs(torch.tensor([[1.5], [-2.25]])) == [
        "predicted 1.5",
        "predicted -2.25",
    ]


def test_a_config_names_a_function_as_module_colon_function(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=40)
    data = yaml.safe_load(config.read_text())
    target = {"predict": "tests.api.callables:margin", "features": "tests.api.callables:first_axis"}
    data["model"]["init_args"]["task"]["target"] = {"name": "callable", "args": target}
    config.write_text(yaml.safe_dump(data))
    assert main(["fit", "--config", str(config)]) == 0
    summary = json.loads((tmp_path / "runs/test/version_0/summary.json").read_text())
    assert summary["evaluations"] == 40 and 0 < summary["failures"] < 40
    assert summary["task"]["target"]["args"]["predict"] == "tests.api.callables:margin"


def test_summary_environment_gives_the_threads_the_model_ran_on(tmp_path: Path) -> None:
    """A target's cpu_threads is what its predictions (and a fine-tune) run on; summary.json's
    environment.torch_threads gave torch's count outside them instead (the text quickstart's
    tiny_news_bart ran on 1 thread and its summary said 2)."""
    threads = torch.get_num_threads() + 1  # not torch's count, so the two cannot be confused
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=16)
    data = yaml.safe_load(config.read_text())
    target = {"predict": "tests.api.callables:margin", "cpu_threads": threads}
    data["model"]["init_args"]["task"]["target"] = {"name": "callable", "args": target}
    config.write_text(yaml.safe_dump(data))
    assert main(["fit", "--config", str(config)]) == 0
    summary = json.loads((tmp_path / "runs/test/version_0/summary.json").read_text())
    assert summary["environment"]["torch_threads"] == threads
    assert torch.get_num_threads() == threads - 1  # put back once the model ran
    del target["cpu_threads"]
    config.write_text(yaml.safe_dump(data))
    assert main(["fit", "--config", str(config)]) == 0
    summary = json.loads((tmp_path / "runs/test/version_1/summary.json").read_text())
    assert summary["environment"]["torch_threads"] == torch.get_num_threads()


def test_speed_options_apply_to_a_module_and_keep_its_outputs() -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.LazyLinear(3)
    ).eval()
    images = torch.rand(5, 3, 8, 8)
    plain = CallableTarget(module).predict(images)
    fast = CallableTarget(module, precision="bf16", channels_last=True)
    assert module[0].weight.is_contiguous(memory_format=torch.channels_last)
    outputs = fast.predict(images)
    assert outputs.dtype == torch.float32
    torch.testing.assert_close(outputs, plain, atol=0.05, rtol=0.05)


def test_speed_options_with_numpy_inputs_are_a_one_line_error() -> None:
    with pytest.raises(PluginError, match="need torch inputs; set numpy: false"):
        CallableTarget(lambda x: x, numpy=True, precision="bf16")
    with pytest.raises(PluginError, match="target 'identity': precision 'x' is not allowed"):
        CallableTarget(identity, precision="x")


def test_with_num_classes_a_class_index_past_them_is_refused_up_front() -> None:
    """The reward refused it only at the first evaluation; without num_classes the target
    cannot tell, and references that are no class indices are the reward's to judge."""
    labels = CallableTarget(identity, num_classes=3)
    labels.check_references([0, 2, torch.tensor(1), "a text"])
    with pytest.raises(PluginError, match=r"^target 'identity': .* class index 3, .* num_classes"):
        labels.check_references([0, 3])
    labels.plugin_name = "callable_target"  # ffade.discover's in-process name: not the caller's
    with pytest.raises(PluginError, match=r"^target 'identity': "):
        labels.check_references([0, 3])
    labels.plugin_name = "my_model"  # as ffade.register('target', 'my_model', ...) names it
    with pytest.raises(PluginError, match=r"^target 'my_model': "):
        labels.check_references([0, 3])
    CallableTarget(lambda x: torch.zeros(len(x), 3)).check_references([7])


@pytest.mark.parametrize("value", ["no", "false", 1, None])
def test_numpy_built_in_python_takes_only_true_or_false(value: object) -> None:
    # numpy="no" handed predict numpy arrays: Python reads any non-empty str as on
    with pytest.raises(PluginError) as error:
        CallableTarget(identity, numpy=value)
    assert str(error.value) == f"target 'identity': numpy must be true or false, got {value!r}"


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_a_module_of_another_float_dtype_gets_the_batch_in_its_dtype(dtype: torch.dtype) -> None:
    """A ``.double()`` module was "mat1 and mat2 must have the same dtype" from inside its first
    layer: the datasets collate float32. Predicting and the fine-tuners' path both cast."""
    network = torch.nn.Linear(4, 3).to(dtype)
    target = CallableTarget(network)
    scores = target.predict(torch.ones(2, 4))
    assert scores.shape == (2, 3) and scores.dtype == torch.float32
    assert target.preprocess(torch.ones(2, 4)).dtype == dtype
    assert target.preprocess(torch.ones(2, 4, dtype=torch.long)).dtype == torch.long


def test_an_error_in_a_module_passed_as_target_names_its_class(tmp_path: Path) -> None:
    """The note under a module's own error said target 'callable_target', the in-process name
    the caller never wrote; README: a module is named by its class. A module that cannot take
    the dataset's batch at all (a dict, where ``nn.Linear`` takes a tensor) is one line."""
    with pytest.raises(PluginError) as error:
        ffade.discover(
            target=torch.nn.Linear(5, 2),  # the synthetic batch is a dict, not a tensor
            task=synthetic_spec(),
            explorer="random",
            budget=4,
            save_dir=tmp_path,
        )
    line = str(error.value)
    assert line.startswith(
        "target 'Linear': predict cannot take the dataset's batches (dict of 'features': float32 "
        "tensor of shape (1, 8), "
    )
    assert "): linear(): argument 'input' (position 1) must be Tensor, not dict; give" in line

    def own_error(batch: torch.Tensor) -> torch.Tensor:
        raise TypeError("my bug")

    with pytest.raises(TypeError, match="my bug") as error:
        ffade.discover(
            target=own_error, task=synthetic_spec(), explorer="random", budget=4, save_dir=tmp_path
        )
    note = "ffade: raised by target '"
    assert any(n.startswith(note) and "own_error': predict()" in n for n in error.value.__notes__)


def test_a_module_trained_again_after_wrapping_is_searched_in_eval_mode() -> None:
    """The wrapper put the module in eval mode once, when made: a caller who trained it again
    between two searches with the same wrapper (`model.train()`, as ffade.discover keeps one
    wrapper per module) had it searched in train mode, with new dropout masks on each call and
    its batch-norm statistics moved by the search (README: left in eval mode)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3)
    )
    embed = model[:2]
    target = CallableTarget(model, features=embed)
    model.train()
    before = {name: value.clone() for name, value in model.state_dict().items()}
    inputs = torch.randn(6, 4)
    first = target.predict(inputs)
    assert torch.equal(target.predict(inputs), first)
    assert not any(module.training for module in model.modules())
    assert all(torch.equal(value, before[name]) for name, value in model.state_dict().items())
    embed.train()  # features alone, a module of its own
    vectors = target.features(inputs)
    assert not embed.training and torch.equal(target.features(inputs), vectors)
    assert all(torch.equal(value, before[name]) for name, value in model.state_dict().items())


def test_a_features_error_names_the_target_as_predict_errors_do() -> None:
    """features=3 said target 'callable' where every other error of the same wrapper named
    the function (README: its errors name it)."""
    with pytest.raises(PluginError) as error:
        CallableTarget(identity, features=3)
    assert str(error.value) == "target 'identity': features 3 is not callable"
    with pytest.raises(PluginError, match=r"^target 'identity': features 'nope' is not a func"):
        CallableTarget(identity, features="nope")


def test_a_module_on_the_meta_device_is_a_one_line_error() -> None:
    """A module built under ``torch.device("meta")`` (shapes, no weights) raised torch's
    "Cannot copy out of meta tensor" from deep inside ``Module.to``."""
    with torch.device("meta"):
        network = torch.nn.Linear(4, 3)
    with pytest.raises(PluginError) as error:
        CallableTarget(network)
    assert str(error.value).startswith(
        "target 'Linear': predict is a module with weights on the 'meta' device (shapes, no "
        "values); load its weights first"
    )
    with pytest.raises(PluginError, match=r"^target 'identity': features is a module .* 'meta'"):
        CallableTarget(identity, features=network)


def test_a_dict_of_outputs_is_told_to_pick_one() -> None:
    """A model returning ``{"logits": ...}`` (a Hugging Face ModelOutput is such a dict) was
    told "got dict {'logits': tensor([[-0.05, ..." cut at 60 characters."""
    target = CallableTarget(lambda x: {"logits": x, "hidden": x})
    with pytest.raises(PluginError) as error:
        target.predict(torch.ones(2, 3))
    assert str(error.value).split(": ", 1)[1] == (
        "predict returned a dict (keys 'logits', 'hidden'); return labels "
        "(B,) of integers, or scores (B, num_classes) or (B,) of floats: pick one, e.g. "
        "predict=lambda batch: model(batch)['logits']"
    )


def _search_digits(target: Any, save_dir: Path) -> None:
    """A four-evaluation search of four digits with ``target``, as a user's first call is."""
    ffade.discover(
        target=target,
        dataset="digits",
        reward="misclassification",
        concepts=[{"name": "rotation", "args": {"values": [0, 40]}}],
        max_inputs=4,
        explorer="random",
        budget=4,
        save_dir=save_dir,
    )


def test_a_module_that_cannot_take_the_datasets_batch_is_one_line(tmp_path: Path) -> None:
    """A model built for other inputs (784 features, 3 channels) raised torch's RuntimeError
    from inside ``nn.Linear`` through 30 frames; it is a mismatch of model and dataset, said in
    one line with the batch the dataset gives. An error of the user's own code, or one after
    batches were scored, keeps its traceback (docs/plugins.md)."""
    with pytest.raises(PluginError) as error:
        _search_digits(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(100, 10)), tmp_path)
    assert str(error.value) == (
        "target 'Sequential': predict cannot take the dataset's batches (float32 tensor of shape "
        "(1, 1, 28, 28)): mat1 and mat2 shapes cannot be multiplied (1x784 and 100x10); give a "
        "model (or a function) that takes them as the dataset collates them"
    )

    def own_error(batch: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("my bug")

    with pytest.raises(RuntimeError, match="my bug"):
        CallableTarget(own_error).predict(torch.ones(2, 4))
    network = torch.nn.Linear(4, 3)
    target = CallableTarget(network)
    assert target.predict(torch.ones(2, 4)).shape == (2, 3)
    with pytest.raises(RuntimeError, match="mat1 and mat2"):  # worked before: a later batch
        target.predict(torch.ones(2, 5))


def test_features_that_cannot_take_the_datasets_batch_are_one_line(tmp_path: Path) -> None:
    """Only predict's mismatch was one line: a features module built for other inputs raised
    torch's RuntimeError from inside ``nn.Linear``, its traceback through the search's start."""
    digits = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    with pytest.raises(PluginError) as error:
        _search_digits(CallableTarget(digits, features=torch.nn.Linear(100, 4)), tmp_path)
    line = str(error.value)
    assert line.startswith(
        "target 'Sequential': features cannot take the dataset's batches (float32 tensor of shape "
    )
    assert line.endswith(
        "x28 and 100x4); give a features function (or module) that takes them as the dataset "
        "collates them"
    )

    def own_error(batch: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("my bug")

    with pytest.raises(RuntimeError, match="my bug"):  # the user's own code: its traceback
        CallableTarget(digits, features=own_error).features(torch.ones(2, 1, 28, 28))
    target = CallableTarget(digits, features=torch.nn.Linear(4, 3))
    assert target.features(torch.ones(2, 4)).shape == (2, 3)
    with pytest.raises(RuntimeError, match="mat1 and mat2"):  # worked before: a later batch
        target.features(torch.ones(2, 5))


def test_a_value_error_of_torchs_layers_on_the_first_batch_is_one_line() -> None:
    """``nn.BatchNorm1d`` given images raises a ValueError ("expected 2D or 3D input (got 4D
    input)"), which went through as torch's traceback where a RuntimeError was one line. A
    ValueError of the user's own code keeps its traceback."""
    images = torch.ones(2, 1, 28, 28)
    normed = torch.nn.Sequential(torch.nn.BatchNorm1d(1), torch.nn.Flatten())
    for target, method in (
        (CallableTarget(normed, num_classes=10), "predict"),
        (CallableTarget(lambda batch: batch, features=normed), "features"),
    ):
        with pytest.raises(PluginError) as error:
            getattr(target, method)(images)
        assert str(error.value).startswith(
            f"target '{target.error_name}': {method} cannot take the dataset's batches (float32 "
            "tensor of shape (2, 1, 28, 28)): expected 2D or 3D input (got 4D input); give a "
        )

    def own_error(batch: torch.Tensor) -> torch.Tensor:
        raise ValueError("my bug")

    with pytest.raises(ValueError, match="my bug"):
        CallableTarget(own_error).predict(images)


ALLOWED = (
    "predict, features, num_classes, numpy, weights, device, precision, channels_last, compile, "
    "cpu_threads"
)


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (
            lambda model: ffade.CallableTarget(model, feature=model[:-1]),
            "unknown argument 'feature' (did you mean 'features'?)",
        ),
        (
            lambda model: ffade.CallableTarget(model, num_class=10),
            "unknown argument 'num_class' (did you mean 'num_classes'?)",
        ),
        (lambda model: ffade.CallableTarget(model, batch=8), "unknown argument 'batch'"),
        (
            lambda model: ffade.CallableTarget(model, predict=model),
            "multiple values for argument 'predict'",
        ),
    ],
)
def test_an_argument_callable_target_does_not_take_is_one_line_naming_what_it_takes(
    call: Any, said: str
) -> None:
    """``ffade.CallableTarget(model, feature=model[:-1])`` (the README's line, misspelt) raised
    Python's "CallableTarget.__init__() got an unexpected keyword argument 'feature'", naming
    neither the argument meant nor those it takes, as ``ffade.discover(budjet=...)`` is told."""
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    with pytest.raises(FfadeError) as error:
        call(model)
    assert str(error.value) == f"CallableTarget: {said}; allowed: {ALLOWED}"


def test_callable_target_left_without_predict_says_so_and_keeps_its_signature() -> None:
    """The check keeps the signature a config's ``args`` are checked against (and ``help``
    shows), and a copy of a target (its ``__new__`` without arguments) still works."""
    import copy
    import inspect

    with pytest.raises(FfadeError, match=r"^CallableTarget: missing a required argument: 'pre"):
        ffade.CallableTarget(features=lambda batch: batch)
    assert list(inspect.signature(CallableTarget).parameters) == ALLOWED.split(", ")
    with pytest.raises(PluginError, match=r"target 'callable' has no argument 'feature' \(did"):
        registry.checked_arguments("target", "callable", {"predict": "x:y", "feature": 1})
    assert copy.deepcopy(ffade.CallableTarget(lambda batch: batch, num_classes=3)).num_classes == 3
