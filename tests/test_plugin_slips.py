"""Slips of an image plugin's author are one line naming the plugin, not a traceback.

A tiny image task built here (tensor inputs, a classifier declaring ``class_scores``) with one
plugin swapped for one that breaks docs/plugins.md: a concept that crops (another shape) or
returns bytes (another dtype), a method that cannot take ffade's arguments, and a classifier
that returns labels. Each once surfaced as a ``torch.cat`` size error, a conv dtype error, a
``TypeError`` from inside ffade or an ``IndexError`` in the reward.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from ffade import registry
from ffade.cli import main
from ffade.env import Evaluator
from ffade.errors import PluginError
from ffade.plugin_api import Concept, Dataset, Reward, Scores, Target, disjoint_split_indices
from ffade.task import build_task

HERE = "tests.test_plugin_slips"


class TinyImages(Dataset):
    """Random 3x8x8 images, labelled by whether the red channel is brighter than the blue."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.images = torch.rand(40, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
        self.labels = (self.images[:, 0].mean((1, 2)) > self.images[:, 2].mean((1, 2))).long()
        self.indices = disjoint_split_indices(40, (0.5, 0.25, 0.25), seed)

    def split(self, name):
        return [(self.images[i], int(self.labels[i])) for i in self.indices[name].tolist()]


class RedOrBlue(Target):
    """Scores 'blue' and 'red' by the mean of each channel."""

    output_kind = "class_scores"

    def predict(self, inputs):
        means = inputs.mean((2, 3))
        return torch.stack([means[:, 2], means[:, 0]], 1)


class Labels(RedOrBlue):
    """Declares class_scores but returns class indices."""

    def predict(self, inputs):
        return super().predict(inputs).argmax(1)


class OneHot(RedOrBlue):
    """Declares class_scores but returns the predicted class one-hot, as booleans."""

    def predict(self, inputs):
        scores = super().predict(inputs)
        return scores == scores.max(1, keepdim=True).values


class OneHotInt(OneHot):
    """The same one-hot table as integers."""

    def predict(self, inputs):
        return super().predict(inputs).long()


class OneLogit(RedOrBlue):
    """A binary classifier's one logit per input, as BCE trains it: (B, 1)."""

    def predict(self, inputs):
        scores = super().predict(inputs)
        return scores[:, 1:] - scores[:, :1]


class Miss(Reward):
    """Failed when the top class is not the label."""

    def score(self, outputs, references, clean_outputs=None):
        failed = torch.as_tensor(outputs).argmax(1) != references
        return Scores(metric=failed.float(), failed=failed, reward=failed.float() * 2 - 1)


class Dim(Concept):
    """Scale the red channel."""

    neutral = 1.0
    default_values = (0.0, 0.5, 1.0)

    def __init__(self, values=None, label=None) -> None:
        super().__init__(values, label)

    def apply(self, inputs, value):
        return inputs * torch.tensor([value, 1.0, 1.0])[None, :, None, None]


class Crop(Dim):
    """Crops two pixels off each side: another shape."""

    def apply(self, inputs, value):
        return inputs[:, :, 2:-2, 2:-2]


class Bytes(Dim):
    """Returns uint8 images: another dtype."""

    def apply(self, inputs, value):
        return (super().apply(inputs, value) * 255).to(torch.uint8)


class NoValue(Dim):
    """apply forgets its value argument."""

    def apply(self, inputs):  # type: ignore[override]
        return inputs


class NoValueCheck(Dim):
    """check_value forgets its value argument: once a TypeError from inside the base's __init__."""

    def check_value(self):  # type: ignore[override]
        pass


class Unseeded(Dim):
    """Adds fresh noise at every call: no input is changed the same way twice."""

    def apply(self, inputs, value):
        return super().apply(inputs, value) + torch.rand(inputs.shape)


class SeededPerBatch(Dim):
    """Seeds one generator per call: an input's noise depends on which inputs share its batch."""

    def apply(self, inputs, value):
        noise = torch.rand(inputs.shape, generator=torch.Generator().manual_seed(0))
        return super().apply(inputs, value) + noise.flip(0)


class SeededPerCall(Dim):
    """The usual slip: one generator seeded per call, so the first row always draws alike."""

    def apply(self, inputs, value):
        noise = torch.rand(inputs.shape, generator=torch.Generator().manual_seed(0))
        return super().apply(inputs, value) + noise


class OneArgScore(Miss):
    """score forgets references."""

    def score(self, outputs):  # type: ignore[override]
        return super().score(outputs, None)


def _spec(**plugins: str) -> dict:
    spec = {
        "target": {"name": f"{HERE}:RedOrBlue"},
        "dataset": {"name": f"{HERE}:TinyImages"},
        "reward": {"name": f"{HERE}:Miss"},
        "concepts": [{"name": f"{HERE}:Dim"}],
    }
    for key, name in plugins.items():
        if key == "concept":
            spec["concepts"] = [{"name": name}]
        else:
            spec[key] = {"name": name}
    return spec


def _evaluate(**plugins: str) -> None:
    evaluator = Evaluator(build_task(_spec(**plugins)), batch_size=8)
    evaluator.evaluate(np.array([0, 1, 2, 3]), np.array([[0], [1], [2], [0]]))


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        (
            {"concept": f"{HERE}:Crop"},
            r"^concept '.*Crop': apply\(inputs, 0\.\d\) returned shape \(B, 3, 4, 4\) for a batch "
            r"of shape \(B, 3, 8, 8\); return the batch changed in the same shape, dtype and "
            r"device",
        ),
        (
            {"concept": f"{HERE}:Bytes"},
            r"^concept '.*Bytes': apply\(inputs, 0\.\d\) returned dtype torch\.uint8 for a batch "
            r"of dtype torch\.float32",
        ),
        (
            {"concept": f"{HERE}:NoValue"},
            r"^concept '.*NoValue': NoValue\.apply\(inputs\) cannot be called as apply\(inputs, "
            r"value\), as ffade calls it; define apply\(self, inputs, value\)",
        ),
        (
            {"concept": f"{HERE}:NoValueCheck"},
            r"^concept '.*NoValueCheck': NoValueCheck\.check_value\(\) cannot be called as "
            r"check_value\(value\), as ffade calls it; define check_value\(self, value\)",
        ),
        (
            {"concept": f"{HERE}:Unseeded"},
            r"^concept '.*Unseeded': apply\(inputs, 0\.\d\) changed the first input differently "
            r"when called again; apply must give an input the same result in any call and batch",
        ),
        (
            {"concept": f"{HERE}:SeededPerBatch"},
            r"^concept '.*SeededPerBatch': apply\(inputs, 0\.\d\) changed the first input "
            r"differently when beside another input",
        ),
        (
            {"concept": f"{HERE}:SeededPerCall"},
            r"^concept '.*SeededPerCall': apply\(inputs, 0\.\d\) changed the first input "
            r"differently when beside another input",
        ),
        (
            {"reward": f"{HERE}:OneArgScore"},
            r"^reward '.*OneArgScore': OneArgScore\.score\(outputs\) cannot be called as "
            r"score\(outputs, references, clean_outputs\)",
        ),
        (
            {"target": f"{HERE}:Labels"},
            r"^target '.*Labels': predict\(\) returned a \(\d+,\) int64 tensor, but its "
            r"output_kind 'class_scores' is a \(batch, num_classes\) tensor of scores",
        ),
        (  # a table of labels: the built-in rewards' softmax failed on it, in the reward
            {"target": f"{HERE}:OneHot"},
            r"^target '.*OneHot': predict\(\) returned a \(\d+, 2\) bool tensor, but its "
            r"output_kind 'class_scores' is a \(batch, num_classes\) tensor of scores; return "
            r"scores as floats",
        ),
        (  # softmax over one column is 1: every label-0 input passed, every label-1 one failed
            {"target": f"{HERE}:OneLogit"},
            r"^target '.*OneLogit': predict\(\) returned one score per input \(a \(\d+, 1\) "
            r"table\), but output_kind 'class_scores' has a column per class.*"
            r"torch\.cat\(\[torch\.zeros_like\(z\), z\], 1\)",
        ),
        (
            {"target": f"{HERE}:OneHotInt"},
            r"^target '.*OneHotInt': predict\(\) returned a \(\d+, 2\) int64 tensor, but its ",
        ),
    ],
)
def test_an_image_plugins_slip_is_one_line_naming_it(plugins: dict, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        _evaluate(**plugins)


class NumpyScores(RedOrBlue):
    """Class scores as a NumPy table, which the classification rewards read too."""

    def predict(self, inputs):
        return super().predict(inputs).numpy()


class ListScores(RedOrBlue):
    """Class scores as a list of rows, one per input."""

    def predict(self, inputs):
        return super().predict(inputs).tolist()


class TensorMiss(Reward):
    """Reads class scores as the tensor docs/plugins.md says they are, with no as_tensor."""

    output_kinds = ("class_scores",)

    def score(self, outputs, references, clean_outputs=None):
        failed = outputs.argmax(1) != references
        return Scores(metric=outputs.max(1).values, failed=failed, reward=failed.float() * 2 - 1)


@pytest.mark.parametrize("target", ["RedOrBlue", "NumpyScores"])
def test_the_same_task_with_good_plugins_evaluates(target: str) -> None:
    _evaluate(target=f"{HERE}:{target}")


@pytest.mark.parametrize("target", ["NumpyScores", "ListScores"])
def test_a_reward_gets_class_scores_as_a_tensor_whatever_table_predict_returns(
    target: str,
) -> None:
    """A third-party reward written for class_scores' documented (batch, num_classes) tensor
    scores a target that returns a NumPy table or a list of rows, as it does a tensor's."""
    ids, states = np.arange(8), np.zeros((8, 1), dtype=np.int64)
    expected = Evaluator(build_task(_spec(reward=f"{HERE}:TensorMiss")), batch_size=8)
    evaluator = Evaluator(
        build_task(_spec(target=f"{HERE}:{target}", reward=f"{HERE}:TensorMiss")), batch_size=8
    )
    got, want = evaluator.evaluate(ids, states), expected.evaluate(ids, states)
    assert got.evaluated.all() and got.failed.tolist() == want.failed.tolist()
    assert got.failed.any() and not got.failed.all()  # the comparison can tell a wrong answer
    np.testing.assert_allclose(got.metric, want.metric, rtol=1e-6)


def test_ffade_fit_says_a_cropping_concept_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {
        "seed_everything": 0,
        "trainer": {"default_root_dir": str(tmp_path / "runs")},
        "model": {
            "class_path": "ffade.explore.DQNExplorer",
            "init_args": {
                "task": _spec(concept=f"{HERE}:Crop"),
                "budget": 16,
                "learning_starts": 8,
            },
        },
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    status = main(["fit", "--config", str(tmp_path / "c.yaml")])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(
            f"ffade: error: concept '{HERE}:Crop': apply(inputs, 0.0) returned shape (B, 3, 4, 4)"
        )
    )
    # the refused run's log is closed: left open, the file's ResourceWarning surfaced later,
    # in whatever test the garbage collector ran in
    assert _open_files_under(tmp_path) == []


def _open_files_under(folder: Path) -> list[str]:
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc/self/fd (Linux) to list this process' open files")
    opened = []
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            opened.append(os.readlink(fd))
    return [path for path in opened if path.startswith(str(folder))]


class Shade(Concept):
    """A word-valued concept whose author forgot neutral (the base's 0.0 stays)."""

    default_values = ("plain", "dark")

    def __init__(self, values=None, label=None) -> None:
        super().__init__(values, label)

    def check_value(self, value) -> None:
        pass

    def apply(self, inputs, value):
        return inputs * (0.5 if value == "dark" else 1.0)


def test_a_word_grid_without_its_own_neutral_is_said_so() -> None:
    """The note once read "its grid lacks the neutral value 0.0", a value no word grid holds."""
    task = build_task(_spec(concept=f"{HERE}:Shade"))
    assert task.notes == [
        f"concept '{HERE}:Shade': it sets no neutral for its grid of words (neutral is the "
        "base's 0.0; set the class attribute neutral to the word that changes nothing, if there "
        "is one); 'plain', the first, stands for 'unchanged' (clean checks, the neutral state of "
        "reports) and is still applied to their inputs"
    ]


class Broken(Dim):
    """A bug in the plugin's own code."""

    def apply(self, inputs, value):
        raise RuntimeError("kaboom")


class BrokenPredict(RedOrBlue):
    """A bug in the target's own code."""

    def predict(self, inputs):
        raise KeyError("pixels")


@pytest.mark.parametrize(
    ("plugins", "error", "note"),
    [
        (
            {"concept": f"{HERE}:Broken"},
            RuntimeError,
            f"ffade: raised by concept '{HERE}:Broken': apply(inputs, 0.0), in the plugin's own "
            "code (docs/plugins.md)",
        ),
        (
            {"target": f"{HERE}:BrokenPredict"},
            KeyError,
            f"ffade: raised by target '{HERE}:BrokenPredict': predict(), in the plugin's own "
            "code (docs/plugins.md)",
        ),
    ],
)
def test_a_bug_in_a_plugin_keeps_its_traceback_and_is_named(plugins, error, note) -> None:
    """The traceback points at the plugin's line (docs/plugins.md); the note names the plugin,
    which the traceback's last line, under the run-failed line, once did not."""
    with pytest.raises(error) as caught:
        _evaluate(**plugins)
    assert getattr(caught.value, "__notes__", []) == [note]


class NoLabel(Dim):
    """__init__ takes no label, so the concept cannot be used twice."""

    def __init__(self, values=None) -> None:
        super().__init__(values)


def test_a_concept_that_takes_no_label_is_told_to_take_it() -> None:
    spec = _spec()
    spec["concepts"] = [
        {"name": f"{HERE}:NoLabel", "args": {"label": "dim_a"}},
        {"name": f"{HERE}:NoLabel", "args": {"label": "dim_b"}},
    ]
    message = (
        r"^unknown key 'task\.concepts\[0\]\.args\.label'; allowed task\.concepts\[0\]\.args keys "
        r"of concept '.*NoLabel': values; NoLabel\.__init__ must take values=None and label=None "
        r"and pass both to super\(\)\.__init__\(values, label\)$"
    )
    with pytest.raises(PluginError, match=message):
        build_task(spec)
    with pytest.raises(PluginError, match=r"^concept '.*NoLabel' has no argument 'label'; allo"):
        registry.create("concept", f"{HERE}:NoLabel", {"label": "dim_a"})  # no config key


class Probabilities(RedOrBlue):
    """Declares class_scores but returns softmax probabilities."""

    def predict(self, inputs):
        return (super().predict(inputs) * 10).softmax(1)


def test_class_scores_that_read_as_probabilities_get_one_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A Target class of class_scores that returned probabilities ran silently, and the
    classification rewards took their softmax (0.9 / 0.1 read as 0.69 / 0.31): the callable
    target noted it, a plugin's target did not. One note per target, not one per batch. Its
    reward here is the plugin's own (Miss, an argmax): the note said "the classification rewards
    take the softmax", false of it; it names the rewards that do."""
    evaluator = Evaluator(build_task(_spec(target=f"{HERE}:Probabilities")), batch_size=4)
    evaluator.evaluate(np.arange(8), np.zeros((8, 1), dtype=np.int64))
    notes = [line for line in capsys.readouterr().err.splitlines() if "probabilities" in line]
    assert notes == [
        f"ffade: note: target '{HERE}:Probabilities': predict's scores read as probabilities "
        "(every row sums to 1); ffade's classification rewards (misclassification, accuracy_drop, "
        "confidence_drop, label_flip, label_confidence_drop) take the softmax of scores, so for "
        "those return logits or log-probabilities (torch.log(p)) for their probability and drop "
        "to be the model's"
    ]
    _evaluate()  # logits: no note
    assert "probabilities" not in capsys.readouterr().err
