"""A plugin that breaks the contract of docs/plugins.md is one line naming it, not a traceback.

Each plugin below makes one mistake a plugin author makes; before these checks each surfaced
inside ffade as an AttributeError, IndexError or "zip() argument 2 is shorter".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from ffade_synthetic.concept import Axis
from ffade_synthetic.data import SyntheticDataset
from ffade_synthetic.reward import MarginReward
from ffade_synthetic.target import SyntheticTarget

from ffade import registry
from ffade.cli import main
from ffade.env import Evaluator
from ffade.errors import PluginError
from ffade.plugin_api import Scores, Target
from ffade.plugin_checks import predicted
from ffade.task import build_task
from tests.helpers import synthetic_spec, write_config
from tests.test_registry import make_distribution

HERE = "tests.test_plugin_checks"


class TupleReward(MarginReward):
    """score() returns a tuple, not Scores."""

    def score(self, outputs, references, clean_outputs=None):
        scores = super().score(outputs, references, clean_outputs)
        return scores.metric, scores.failed, scores.reward


class ShortReward(MarginReward):
    """One entry fewer than the batch."""

    def score(self, outputs, references, clean_outputs=None):
        scores = super().score(outputs, references, clean_outputs)
        return Scores(scores.metric[1:], scores.failed[1:], scores.reward[1:])


class FlatFeatures(SyntheticTarget):
    """1-D features: one number per input, not a (batch, d) tensor."""

    def features(self, inputs):
        return inputs["features"][:, 0]


class TensorCaptions(SyntheticTarget):
    """describe_outputs returns a tensor, not texts."""

    def describe_outputs(self, outputs):
        return torch.zeros(len(outputs), 3)


class OneCaption(SyntheticTarget):
    """describe_outputs returns one string for the whole batch."""

    def describe_outputs(self, outputs):
        return "a caption"


class NumberCaptions(SyntheticTarget):
    """describe_outputs returns a number per output, not a text."""

    def describe_outputs(self, outputs):
        return list(range(len(outputs)))


class GreyRender(SyntheticTarget):
    """render returns (batch, H, W), no channels."""

    def render(self, inputs):
        return inputs["features"][:, None, :].expand(-1, 4, -1).clamp(0, 1)


class PixelRender(SyntheticTarget):
    """render returns uint8 pixels (torchvision's read_image), saved clipped as white squares."""

    def render(self, inputs):
        return torch.full((len(inputs["features"]), 3, 4, 4), 200, dtype=torch.uint8)


class ByteScaleRender(SyntheticTarget):
    """render returns floats from 0 to 255, saved clipped to [0, 1] as white squares."""

    def render(self, inputs):
        return torch.full((len(inputs["features"]), 3, 4, 4), 200.0)


class DropsRows(Axis):
    """apply() returns the first row only."""

    def apply(self, inputs, value):
        return {k: v[:1] for k, v in super().apply(inputs, value).items()}


class EachDropsRows(Axis):
    """An apply_each override that loses the last row."""

    def apply_each(self, inputs, values):
        return {k: v[:-1] for k, v in super().apply_each(inputs, values).items()}


class TuplePredict(SyntheticTarget):
    """predict() returns two answers for the batch, as a tuple."""

    def predict(self, inputs):
        margins = super().predict(inputs)
        return margins, margins.sign()


class ShortPredict(SyntheticTarget):
    """predict() answers one input fewer than it was given."""

    def predict(self, inputs):
        return super().predict(inputs)[1:]


class TensorNotDict(Axis):
    """apply() returns the changed tensor alone, not the dict of tensors it was given."""

    def apply(self, inputs, value):
        return super().apply(inputs, value)["features"]


class TableReward(MarginReward):
    """metric is a (batch, 2) table, which Scores used to flatten into 2 * batch entries."""

    def score(self, outputs, references, clean_outputs=None):
        scores = super().score(outputs, references, clean_outputs)
        return Scores(torch.stack([scores.metric] * 2, 1), scores.failed, scores.reward)


class ProbabilityFailed(MarginReward):
    """failed is a probability, which bool() used to turn into True for any value but 0."""

    def score(self, outputs, references, clean_outputs=None):
        scores = super().score(outputs, references, clean_outputs)
        return Scores(scores.metric, torch.sigmoid(-outputs), scores.reward)


class WordsFailed(MarginReward):
    """failed as words, which torch.as_tensor cannot read."""

    def score(self, outputs, references, clean_outputs=None):
        scores = super().score(outputs, references, clean_outputs)
        return Scores(scores.metric, ["yes" if f else "no" for f in scores.failed], scores.reward)


class DictSplit(SyntheticDataset):
    """split() returns a dict of columns, iterable but over its keys."""

    def split(self, name):
        inputs, references = zip(*super().split(name), strict=True)
        return {"inputs": inputs, "references": references}


class RaggedInputs(SyntheticDataset):
    """split() gives every other input one feature too few: the default collate cannot stack."""

    def split(self, name):
        return [
            ({**x, "features": x["features"][: len(x["features"]) - i % 2]}, y)
            for i, (x, y) in enumerate(super().split(name))
        ]


class NoSuperTarget(SyntheticTarget):
    """Forgets super().__init__(device)."""

    def __init__(self, device: str = "cpu") -> None:
        self.regions = []


class NoSuperConcept(Axis):
    """Forgets super().__init__(values, label)."""

    def __init__(self, index: int = 0, values=None, label=None) -> None:
        self.index = index


class NoSuperDataset(SyntheticDataset):
    """Forgets super().__init__(seed)."""

    def __init__(self, num_inputs: int = 64, num_axes: int = 3, seed: int = 0) -> None:
        self.num_inputs = num_inputs


class InputsOnly(SyntheticDataset):
    """split() returns inputs without their references."""

    def split(self, name):
        return [item for item, _ in super().split(name)]


class NoSplit(SyntheticDataset):
    """split() returns None."""

    def split(self, name):
        return None


class PairsCollate(SyntheticDataset):
    """collate() returns the pairs it was given, not (inputs, references)."""

    def collate(self, items):
        return list(items)


class InputsCollate(SyntheticDataset):
    """collate() returns the batch of inputs alone."""

    def collate(self, items):
        return super().collate(items)[0]


class FirstReferenceCollate(SyntheticDataset):
    """collate() keeps only the first reference."""

    def collate(self, items):
        inputs, references = super().collate(items)
        return inputs, references[:1]


class NoDiscovery(SyntheticDataset):
    """split() looks the split up in a dict that lacks it."""

    def split(self, name):
        return {"finetune": super().split("finetune")}[name]


class OwnKeyError(SyntheticDataset):
    """split() has a bug of its own: a KeyError of another key."""

    def split(self, name):
        return {}["columns"]


def _evaluate(**plugins: str) -> None:
    """Build the synthetic task with ``plugins`` swapped in, then evaluate a few pairs."""
    spec = {**synthetic_spec(num_inputs=16), "max_inputs": 4}
    for key, name in plugins.items():
        if key == "concept":
            spec["concepts"][0] = {"name": name, "args": {"index": 0}}
        else:
            spec[key] = {"name": name, "args": spec[key].get("args", {}) if key != "target" else {}}
    evaluator = Evaluator(build_task(spec), batch_size=8)
    evaluator.features(np.arange(4))
    evaluator.evaluate(np.array([0, 1, 2, 3]), np.array([[1, 2, 3], [4, 5, 6], [1, 2, 3], [0] * 3]))


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        ({"reward": f"{HERE}:TupleReward"}, r"reward '.*TupleReward': score\(\) returned a tuple"),
        ({"reward": f"{HERE}:ShortReward"}, r"score\(\) gave 3 entries for a batch of 4 inputs"),
        (
            {"target": f"{HERE}:FlatFeatures"},
            r"target '.*FlatFeatures': features\(\) returned shape \(4,\) for a batch of 4 "
            r"inputs; return a \(4, d\) tensor",
        ),
        (
            {"concept": f"{HERE}:DropsRows"},
            r"concept '.*DropsRows': apply\(inputs, .*\) returned 1 row for a batch of \d inputs",
        ),
        (
            {"concept": f"{HERE}:EachDropsRows"},
            r"concept '.*EachDropsRows': apply_each returned \d rows for a batch of \d inputs",
        ),
        (
            {"target": f"{HERE}:NoSuperTarget"},
            r"target '.*NoSuperTarget': NoSuperTarget.__init__ never called "
            r"super\(\).__init__\(device\)",
        ),
        (
            {"concept": f"{HERE}:NoSuperConcept"},
            r"never called super\(\).__init__\(values, label\), so it has no 'values'",
        ),
        ({"dataset": f"{HERE}:NoSuperDataset"}, r"never called super\(\).__init__\(seed\)"),
        (
            {"target": f"{HERE}:ShortPredict"},
            r"target '.*ShortPredict': predict\(\) returned 3 outputs for a batch of 4 inputs; "
            r"return one output per input",
        ),
        (
            {"target": f"{HERE}:TuplePredict"},
            r"target '.*TuplePredict': predict\(\) returned a tuple of 2 for a batch of 4 inputs",
        ),
        (
            {"concept": f"{HERE}:TensorNotDict"},
            r"concept '.*TensorNotDict': apply\(inputs, .*\) returned a tensor for a batch that "
            r"is a dict with keys coords, features; return the same kind of batch",
        ),
        (
            {"reward": f"{HERE}:TableReward"},
            r"reward '.*TableReward': score\(\) made Scores: metric has shape \(4, 2\); give one "
            r"per input",
        ),
        (
            {"reward": f"{HERE}:ProbabilityFailed"},
            r"reward '.*ProbabilityFailed': score\(\) made Scores: failed holds 0\.\d+; give "
            r"True or False per input",
        ),
        (
            {"dataset": f"{HERE}:InputsOnly"},
            r"dataset '.*InputsOnly': split\('discovery'\) item 0 is a dict, not an \(input, "
            r"reference\) pair",
        ),
        (
            {"reward": f"{HERE}:WordsFailed"},
            r"reward '.*WordsFailed': score\(\) made Scores: failed is \['(yes|no)', .*; give "
            r"True or False per input",
        ),
        (
            {"dataset": f"{HERE}:DictSplit"},
            r"dataset '.*DictSplit': split\('discovery'\) returned a dict; return a sequence of "
            r"\(input, reference\) pairs",
        ),
        (
            {"dataset": f"{HERE}:RaggedInputs"},
            r"dataset '.*RaggedInputs': collate\(\) cannot stack rows 0 and 1 into one batch: a "
            r"tensor of shape \(\d+,\) and a tensor of shape \(\d+,\); give every input",
        ),
        (
            {"dataset": f"{HERE}:NoSplit"},
            r"dataset '.*NoSplit': split\('discovery'\) returned NoneType; return a sequence",
        ),
        (
            {"dataset": f"{HERE}:PairsCollate"},
            r"dataset '.*PairsCollate': collate\(\) returned a list of 1 item for 1 \(input, "
            r"reference\) pair; return \(inputs, references\)",
        ),
        (
            {"dataset": f"{HERE}:InputsCollate"},
            r"dataset '.*InputsCollate': collate\(\) returned a dict for 1 \(input, reference\) "
            r"pair; return \(inputs, references\)",
        ),
        (
            {"dataset": f"{HERE}:FirstReferenceCollate"},
            r"dataset '.*FirstReferenceCollate': collate\(\) returned references of 1 row for "
            r"\d+ \(input, reference\) pairs; .* each with one row per pair",
        ),
        (
            {"dataset": f"{HERE}:NoDiscovery"},
            r"^dataset '.*NoDiscovery': split\('discovery'\) raised KeyError: 'discovery'; a "
            r"dataset gives each of the splits discovery, finetune, heldout",
        ),
    ],
)
def test_a_broken_contract_is_one_error_naming_the_plugin(plugins, message) -> None:
    with pytest.raises(PluginError, match=message):
        _evaluate(**plugins)


def test_the_good_plugins_pass_the_same_checks() -> None:
    _evaluate()


def test_a_registered_instance_that_skipped_super_init_is_refused() -> None:
    instance = NoSuperTarget()
    registry.register("target", "no_super_instance", instance)
    try:
        with pytest.raises(PluginError, match=r"target 'no_super_instance': .*never called"):
            registry.create("target", "no_super_instance")
    finally:
        registry.unregister("target", "no_super_instance")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "OneCaption",
            r"target '.*OneCaption': describe_outputs\(\) returned 'a caption' for a batch of 2; "
            r"return a list of 2 strings, or None",
        ),
        (
            "TensorCaptions",
            r"target '.*TensorCaptions': describe_outputs\(\) returned a Tensor of shape \(2, 3\) "
            r"for a batch of 2; return a list of 2 strings, or None",
        ),
        (  # numbers were shown as their str and never refused, though the docs promise texts
            "NumberCaptions",
            r"target '.*NumberCaptions': describe_outputs\(\) returned a list holding 0 "
            r"\(type int\) for a batch of 2; return a list of 2 strings, or None",
        ),
        (
            "GreyRender",
            r"target '.*GreyRender': render\(\) returned shape \(2, 4, 8\) for a batch of 2 "
            r"inputs; return \(2, 3, H, W\) images in \[0, 1\], or None",
        ),
    ],
)
def test_the_optional_hooks_are_checked_too(target: str, message: str) -> None:
    from ffade.plugin_checks import described
    from ffade.rendered_images import rendered

    spec = {**synthetic_spec(num_inputs=16), "target": {"name": f"{HERE}:{target}"}}
    task = build_task(spec)
    inputs, _ = task.dataset.collate(task.inputs[:2])
    with pytest.raises(PluginError, match=message):
        rendered(task.target, inputs, 2)
        described(task.target, "describe_outputs", task.target.predict(inputs), 2)


def _fit(tmp_path: Path, capsys: pytest.CaptureFixture[str], **task: dict) -> tuple[int, str]:
    """``ffade fit`` on the synthetic task with ``task`` keys replaced; (status, stderr)."""
    config = write_config(tmp_path / "c.yaml", budget=32, learning_starts=16)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"].update(task)
    config.write_text(yaml.safe_dump(data))
    status = main(["fit", "--config", str(config)])
    return status, capsys.readouterr().err


def test_ffade_fit_says_a_reward_that_returns_a_tuple_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _fit(tmp_path, capsys, reward={"name": f"{HERE}:TupleReward"})
    assert status == 2 and "Traceback" not in err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(
            "ffade: error: reward 'tests.test_plugin_checks:TupleReward': score() returned a tuple"
        )
    )


def test_a_plugin_that_fails_to_import_is_not_a_model_class_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ModuleNotFoundError inside a plugin once got "; model classes: ffade.explore..."."""
    make_distribution(tmp_path, "fake-missing", "[ffade.rewards]\ngone = no_such_module_x:Gone\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    status, err = _fit(tmp_path, capsys, reward={"name": "gone"})
    assert status == 2
    assert err.strip().splitlines()[-1] == (
        "ffade: error: model.init_args.task.reward.name: reward 'gone' from fake-missing 1.0 "
        "failed to import "
        "(no_such_module_x:Gone): ModuleNotFoundError: No module named 'no_such_module_x'"
    )


def test_a_tensor_of_scores_on_any_device_passes() -> None:
    """The checks accept what docs/plugins.md allows: Scores built from tensors and lists."""
    from ffade.plugin_checks import score_batch

    class Lists(MarginReward):
        def score(self, outputs, references, clean_outputs=None):
            return Scores(outputs.tolist(), (outputs < 0).tolist(), torch.ones(len(outputs)))

    scores = score_batch(Lists(), torch.tensor([-1.0, 2.0]), None, 2)
    assert scores.failed.tolist() == [True, False]


@pytest.mark.parametrize(
    ("task", "line"),
    [
        (
            {"target": "synthetic"},
            "model.init_args.task.target: a plugin is written {name: synthetic, args: {...}}, "
            "not the bare name 'synthetic'",
        ),
        (
            {"concepts": ["axis"]},
            "model.init_args.task.concepts: a plugin is written {name: axis, args: {...}}, "
            "not the bare name 'axis'",
        ),
        (
            {"reward": {"name": "margin", "arg": {"scale": 2.0}}},
            "unknown key 'model.init_args.task.reward.arg' (did you mean "
            "'model.init_args.task.reward.args'?); a plugin takes only name and args",
        ),
    ],
)
def test_a_plugin_not_written_name_and_args_is_said_so(
    task: dict, line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """jsonargparse's words were "Unable to load config 'synthetic'", "Expected a dot import path
    string: axis; model classes: ..." and "does not accept option 'reward.arg.scale' (did you
    mean 'reward'?)"."""
    status, err = _fit(tmp_path, capsys, **task)
    assert status == 2 and err.strip().splitlines()[-1] == f"ffade: error: {line}"


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("GreyRender", "render() returned shape"),
        ("PixelRender", "render() returned uint8 images from 200 to 200 for a batch of"),
        ("ByteScaleRender", "render() returned float32 images from 200 to 200 for a batch of"),
        ("OneCaption", "describe_outputs() returned"),
        ("NumberCaptions", "describe_outputs() returned a list holding 0"),
    ],
)
def test_a_broken_example_hook_is_said_at_the_first_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, said: str
) -> None:
    """The worst examples are saved after the search, but their hooks (render, describe_*) are
    tried on the first batch: a wrong one once stopped a search only after its whole budget,
    which the run kept but had to resume to finish."""
    status, err = _fit(tmp_path, capsys, target={"name": f"{HERE}:{target}"})
    assert status == 2 and "Traceback" not in err
    assert (
        err.strip().splitlines()[-1].startswith(f"ffade: error: target '{HERE}:{target}': {said}")
    )
    assert not list((tmp_path / "runs").glob("test/*"))  # nothing was logged: nothing is kept


def test_check_class_references_names_a_target_passed_as_itself() -> None:
    """docs/plugins.md gives the helper as ``check_class_references(references, num_classes,
    target, fix)``; a third party's ``check_references`` passing ``self`` got its object's repr
    in the line (``target '<ffade_audit.TinyNet object at 0x...>'``), not its plugin name."""
    from ffade.plugin_checks import check_class_references

    target = registry.create("target", "synthetic", {})
    with pytest.raises(
        PluginError,
        match=r"^target 'synthetic': the dataset has a class index 3, but the target scores 2 "
        r"classes \(0 to 1\); use num_classes: 4$",
    ):
        check_class_references([0, 3], 2, target, "use num_classes: 4")
    with pytest.raises(PluginError, match=r"^target 'by_name': the dataset has a class index 3"):
        check_class_references([3], 2, "by_name", "use num_classes: 4")


def test_check_output_kind_takes_one_kind_as_a_string() -> None:
    """One kind written as a string was read letter by letter: a reward of ``"texts"`` said it
    "needs output_kind 't' or output_kind 'e' or ..."."""
    from ffade.plugin_checks import check_output_kind

    reward = registry.create("reward", "margin", {})
    target = registry.create("target", "synthetic", {})  # output_kind "margins"
    with pytest.raises(
        PluginError,
        match=r"^reward 'margin' needs texts, but target 'synthetic' returns outputs "
        r"\(output_kind 'margins'\); use margin$",
    ):
        check_output_kind(reward, target, "texts", {"margins": "use margin"})
    check_output_kind(reward, target, "margins", {})  # its own kind passes


class MisspeltKind(SyntheticTarget):
    """Declares ``"margin"``, which no reward scores: a misspelling of ``"margins"``."""

    output_kind = "margin"


class OneKindReward(MarginReward):
    """Declares its one kind as a string, not a tuple."""

    output_kinds = "margins"


def test_a_reward_declaring_one_kind_as_a_string_is_not_read_letter_by_letter() -> None:
    """``output_kinds = "margins"`` was tested with ``in``: ``"margin" in "margins"`` passed a
    target of another kind. The target's kind, which no reward scores, is most likely misspelt:
    the line says so and lists the kinds rewards score, where it said "choose a reward"."""
    spec = {**synthetic_spec(), "reward": {"name": f"{HERE}:OneKindReward"}}
    build_task(spec)  # the synthetic target's "margins" passes
    spec["target"] = {"name": f"{HERE}:MisspeltKind"}
    with pytest.raises(
        PluginError,
        match=r"^reward '.*OneKindReward' needs output_kind 'margins', but target '.*MisspeltKind' "
        r"returns outputs \(output_kind 'margin'\); no installed or registered reward scores "
        r"output_kind 'margin' \(theirs: .*'class_scores'.*\); correct the target's output_kind "
        r"if it is misspelled, or choose a reward that declares no output_kinds$",
    ):
        build_task(spec)


class ScoresTarget(SyntheticTarget):
    """Declares ``"class_scores"``, which ffade's classification rewards score."""

    output_kind = "class_scores"


class MisspeltKindReward(MarginReward):
    """Declares ``"class_score"``: a misspelling of ``"class_scores"``."""

    output_kinds = ("class_score",)


def test_a_reward_s_misspelt_kind_is_said_to_be_perhaps_misspelt() -> None:
    """A reward declaring ``"class_score"`` for a target of ``"class_scores"`` was told only to
    choose another reward (its own among them, if installed), without a word of the letter its
    kind lacks."""
    spec = {
        **synthetic_spec(),
        "target": {"name": f"{HERE}:ScoresTarget"},
        "reward": {"name": f"{HERE}:MisspeltKindReward"},
    }
    with pytest.raises(
        PluginError,
        match=r"^reward '.*MisspeltKindReward' needs output_kind 'class_score', but target "
        r"'.*ScoresTarget' returns a classifier's class scores \(output_kind 'class_scores'\); "
        r"rewards that score a classifier's class scores: .*misclassification.*; correct the "
        r"reward's output_kinds if 'class_score' is misspelled$",
    ):
        build_task(spec)


def test_a_key_error_of_another_key_in_split_keeps_its_traceback() -> None:
    """Only the split's own name missing is the dataset lacking a split; any other KeyError is
    the plugin's bug, which docs/plugins.md says keeps its traceback."""
    with pytest.raises(KeyError, match="columns"):
        _evaluate(dataset=f"{HERE}:OwnKeyError")


def test_a_plugin_given_as_a_list_on_the_command_line_is_said_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--model.init_args.task.dataset "[synthetic]"`` read as "{name: [, args: {...}}, not the
    bare name '['": jsonargparse quotes the list, and the pattern stopped at its first quote."""
    config = write_config(tmp_path / "c.yaml", budget=8, save_dir=tmp_path / "runs")
    status = main(["fit", "--config", str(config), "--model.init_args.task.dataset", "[synthetic]"])
    assert status == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "ffade: error: model.init_args.task.dataset: a plugin is written "
        "{name: NAME, args: {...}}, not [synthetic]"
    )


class _Answers(Target):
    """predict() gives back what ``answer`` makes of the batch (a (B,) tensor)."""

    def __init__(self, answer) -> None:
        super().__init__()
        self.answer = answer

    def predict(self, inputs):
        return self.answer(inputs)


def test_a_tuple_of_whole_batches_as_long_as_the_batch_is_refused_as_a_tuple() -> None:
    """(margins, signs) on a batch of 2 holds 2 items, so it passed as one output per input:
    each input got a whole batch. A tuple of labels is one output per input and passes."""
    inputs = torch.tensor([-1.0, 2.0])
    pair = _Answers(lambda x: (x, x.sign()))
    with pytest.raises(PluginError) as error:
        predicted(pair, inputs, 2)
    assert str(error.value) == (
        "target '_Answers': predict() returned a tuple of 2 for a batch of 2 inputs; "
        "return one output per input, in order (one tensor, not a tuple of them)"
    )
    labels = _Answers(lambda x: tuple(int(v > 0) for v in x))
    assert predicted(labels, inputs, 2) == (0, 1)
    scalars = _Answers(lambda x: tuple(v > 0 for v in x))  # 0-d tensors: labels too
    assert [bool(v) for v in predicted(scalars, inputs, 2)] == [False, True]


def test_a_diverged_render_of_nan_pixels_is_saved_not_refused() -> None:
    """A generator that diverged renders NaN or inf pixels: a failure to look at, not a slip
    of the plugin's, so only finite pixels outside [0, 1] are refused."""
    from ffade.rendered_images import rendered

    class Diverged:
        plugin_name = "diverged"

        def render(self, inputs: object) -> torch.Tensor:
            images = torch.full((2, 3, 4, 4), 0.5)
            images[0] = float("nan")
            images[1, 0, 0, 0] = float("inf")
            return images

    assert rendered(Diverged(), [0, 1], 2).shape == (2, 3, 4, 4)  # type: ignore[arg-type]


class _Photos:
    """A split read lazily, as docs/plugins.md allows: len and indexing, slices included, with no
    ``Sequence`` base class. It counts the inputs it reads."""

    def __init__(self, size: int) -> None:
        self.size, self.read = size, 0

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int | slice) -> object:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if index >= self.size:
            raise IndexError(index)
        self.read += 1
        return torch.zeros(2), 0


def test_a_lazy_split_without_a_sequence_base_is_read_only_as_far_as_max_inputs() -> None:
    """The page says a split may be any sequence (len and indexing) and is read only as far as a
    run's max_inputs, but only a ``collections.abc.Sequence`` was cut first: a plain class of
    ``__len__`` and ``__getitem__`` of 5000 inputs had all 5000 read for max_inputs 20."""
    from ffade.plugin_api import Dataset
    from ffade.plugin_checks import split_pairs

    photos = _Photos(5000)

    class Folder(Dataset):
        def split(self, name: str) -> _Photos:
            return photos

    pairs = split_pairs(Folder(), "discovery", first=20)
    assert len(pairs) == 20 and photos.read == 20


def test_a_torch_dataset_split_is_read_as_pairs_up_to_max_inputs() -> None:
    """A ``TensorDataset``'s slice is a tuple of its tensors' slices, not pairs: sliced for
    max_inputs, a split returning one was refused ("item 0 is a Tensor") where it was read."""
    from torch.utils.data import Subset, TensorDataset

    from ffade.plugin_api import Dataset
    from ffade.plugin_checks import split_pairs

    tensors = TensorDataset(torch.arange(20.0).reshape(10, 2), torch.arange(10))

    class Tensors(Dataset):
        def __init__(self, data: object) -> None:
            self.data = data

        def split(self, name: str) -> object:
            return self.data

    for data in (tensors, Subset(tensors, [4, 5, 6, 7])):
        pairs = split_pairs(Tensors(data), "discovery", first=3)
        assert len(pairs) == 3 and all(len(pair) == 2 for pair in pairs)
        assert int(pairs[0][1]) == int(data[0][1])
