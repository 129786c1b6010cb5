"""A third party's tabular regression plugin, as docs/plugins.md lets one write it: rows of
numbers from a table (scikit-learn's ``load_diabetes`` shape: 10 features, a float target), a
linear model that returns one number per row, a concept that adds noise to the features and a
reward with a tolerance on the absolute error. What such an author hit is checked here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from ffade.cli import main
from ffade.errors import PluginError
from ffade.explore.example_captions import caption
from ffade.feedback.pictures import RegionPictures
from ffade.feedback.priorities import load_regions
from ffade.plugin_api import Concept, Dataset, Reward, Scores, Target, disjoint_split_indices
from ffade.registry import load
from tests.test_registry import make_distribution

HERE = "tests.test_tabular_plugin"


class Table(Dataset):
    """40 rows of 10 features with a float target, split as the docs say, rows as tensors."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        generator = np.random.default_rng(seed)
        self.features = generator.normal(size=(40, 10))
        self.values = self.features @ np.linspace(-2, 2, 10) + 150.0
        self.indices = disjoint_split_indices(40, (0.5, 0.25, 0.25), seed)

    def split(self, name):
        rows = self.indices[name].tolist()
        return [
            (torch.as_tensor(self.features[i], dtype=torch.float32), self.values[i]) for i in rows
        ]


class NumpyRows(Table):
    """What scikit-learn hands one: each input a NumPy row, not the tensor the docs ask for."""

    def split(self, name):
        return [(self.features[i], self.values[i]) for i in self.indices[name].tolist()]


class Linear(Target):
    """One number per row, as a regression model gives."""

    output_kind = "value"

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device)
        self.weights = torch.linspace(-2, 2, 10)

    def predict(self, inputs):
        return inputs @ self.weights + 150.0

    def describe_outputs(self, outputs):
        return [f"predicted {value:.1f}" for value in outputs.tolist()]

    def describe_inputs(self, inputs):
        return [", ".join(f"{x:.2f}" for x in row) for row in inputs.tolist()]


class DrawnLinear(Linear):
    """The same model, drawing each row's first nine features as a 3x3 picture."""

    def render(self, inputs):
        return torch.sigmoid(inputs[:, :9].reshape(-1, 1, 3, 3)).repeat(1, 3, 1, 1)


class FeatureNoise(Concept):
    """Adds seeded noise of the value's size to every feature."""

    default_values = (0.0, 2.0, 4.0, 8.0)

    def apply(self, inputs, value):
        noise = torch.randn(inputs.shape[1:], generator=torch.Generator().manual_seed(0))
        return inputs + value * noise


class Tolerance(Reward):
    """Failed when the prediction is more than 3 from the reference."""

    def score(self, outputs, references, clean_outputs=None) -> Scores:
        error = (outputs - torch.as_tensor(references, dtype=outputs.dtype)).abs()
        return Scores(metric=error, failed=error > 3, reward=torch.where(error > 3, error, -1.0))


def predict_rows(batch: torch.Tensor) -> torch.Tensor:
    """The same model as a plain function, as a notebook has it."""
    return batch @ torch.linspace(-2, 2, 10) + 150.0


def _config(tmp_path: Path, dataset: str = "Table", target: dict | None = None) -> Path:
    task = {
        "target": target or {"name": f"{HERE}:Linear"},
        "dataset": {"name": f"{HERE}:{dataset}"},
        "reward": {"name": f"{HERE}:Tolerance"},
        "concepts": [{"name": f"{HERE}:FeatureNoise"}],
    }
    config = {
        "seed_everything": 0,
        "trainer": {"default_root_dir": str(tmp_path / "runs")},
        "model": {
            "class_path": "ffade.explore.RandomExplorer",
            "init_args": {"task": task, "budget": 64},
        },
    }
    (tmp_path / "tabular.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "tabular.yaml"


def test_a_dataset_of_numpy_rows_is_one_line_naming_the_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows as scikit-learn gives them reached the concept as a list, and the traceback named
    the concept ("'list' object has no attribute 'shape'"); now the dataset is named, with what
    it must return."""
    assert main(["fit", "--config", str(_config(tmp_path, "NumpyRows"))]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"ffade: error: dataset '{HERE}:NumpyRows': split() gives each input as a NumPy array "
        "(float64 of shape (10,)), which collate() cannot batch; give tensors: "
        "torch.as_tensor(row, dtype=torch.float32) (docs/plugins.md, Dataset)"
    )


def test_the_same_rows_as_tensors_search(tmp_path: Path) -> None:
    assert main(["fit", "--config", str(_config(tmp_path))]) == 0
    assert list((tmp_path / "runs").glob("ffade/version_0/summary.json"))


def test_a_function_named_as_the_target_says_how_the_callable_target_wraps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused as "not a subclass of ffade.plugin_api.Target" alone; the line now gives the
    documented callable target's config for the very function, which then searches."""
    fit = ["fit", "--config", str(_config(tmp_path, target={"name": f"{HERE}:predict_rows"}))]
    assert main(fit) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    wrap = {"name": "callable", "args": {"predict": f"{HERE}:predict_rows"}}
    assert line == (
        f"ffade: error: model.init_args.task.target.name: target '{HERE}:predict_rows' is the "
        f"function {HERE}:predict_rows, not a subclass of ffade.plugin_api.Target; to search a "
        "function, wrap it in the callable "
        f'target: target: {{name: callable, args: {{predict: "{HERE}:predict_rows"}}}} '
        "(docs/plugins.md, The callable target)"
    )
    (tmp_path / "wrapped").mkdir()
    assert main(["fit", "--config", str(_config(tmp_path / "wrapped", target=wrap))]) == 0


def test_an_entry_point_naming_a_function_says_how_the_callable_target_wraps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_distribution(tmp_path, "tabular", f"[ffade.targets]\ntabular = {HERE}:predict_rows\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError) as error:
        load("target", "tabular")
    assert str(error.value) == (
        f"target 'tabular' from tabular 1.0 loads the function {HERE}:predict_rows, which is not "
        "a subclass of ffade.plugin_api.Target; to search a function, wrap it in the callable "
        f'target: target: {{name: callable, args: {{predict: "{HERE}:predict_rows"}}}} '
        "(docs/plugins.md, The callable target)"
    )


def test_feedback_shows_a_regressions_reference_as_a_reference(tmp_path: Path) -> None:
    """A region's examples read "input 3 (label 151.2): predicted 140.1": a number to predict
    called a label, as if a class were named 151.2. It is the reference now; a classifier's
    captions keep "label" (tests/feedback/test_pictures.py)."""
    assert main(["fit", "--config", str(_config(tmp_path))]) == 0
    run_dir = tmp_path / "runs" / "ffade" / "version_0"
    region = max(load_regions(run_dir, slices="regions")[1], key=lambda r: r.failures)
    text = RegionPictures(run_dir, count=2).save(region).read_text()
    captions = re.findall(r"^\d\. input \d+ \((\w+) [\d.]+\): predicted [\d.]+; ", text, re.M)
    assert captions and set(captions) == {"reference"}, text
    assert re.search(r"\(reference \d+(\.\d{1,4})?\):", text), text  # %g, as the report


def test_a_regressions_example_pictures_call_its_reference_a_reference(tmp_path: Path) -> None:
    """The run's example pictures (which the report shows) read "input 1 (label 144.88):
    predicted 133.8" while feedback's read "reference 144.88": one rule now says the word for
    both (ffade.reference_words), recorded with each example. An examples.json of an older run,
    without the word, still captions its examples, as "label"."""
    config = _config(tmp_path, target={"name": f"{HERE}:DrawnLinear"})
    assert main(["fit", "--config", str(config)]) == 0
    examples = tmp_path / "runs" / "ffade" / "version_0" / "examples"
    entries = json.loads((examples / "examples.json").read_text())
    with Image.open(examples / entries[0]["file"]) as png:
        described = png.text["Description"]
    assert re.match(
        r"input \d+ \(reference \d+(\.\d{1,4})?\): predicted [\d.]+, reward [-\d.e+]+; ", described
    ), described
    assert entries and {entry["reference_word"] for entry in entries} == {"reference"}
    old = {key: value for key, value in entries[0].items() if key != "reference_word"}
    assert caption(old).startswith(f"input {old['input_id']} (label {old['reference']}): ")
