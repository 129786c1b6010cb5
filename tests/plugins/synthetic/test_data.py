"""Synthetic inputs: seeded features, every input at the origin, three disjoint splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from ffade_synthetic.data import SyntheticDataset

from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS
from ffade.written import as_written
from tests.helpers import ffade_in_process, write_config


def ids(dataset: SyntheticDataset, split: str) -> set[int]:
    """Which of the dataset's inputs a split holds, recognised by their feature vectors."""
    rows = {tuple(row.tolist()): i for i, row in enumerate(dataset.features)}
    return {rows[tuple(item["features"].tolist())] for item, _ in dataset.split(split)}


def test_splits_are_disjoint_cover_every_input_and_follow_the_fractions() -> None:
    dataset = SyntheticDataset(num_inputs=64)
    parts = {name: ids(dataset, name) for name in SPLITS}
    assert {name: len(part) for name, part in parts.items()} == {
        "discovery": 32,
        "finetune": 16,
        "heldout": 16,
    }
    assert dataset.describe() == {"discovery": 32, "finetune": 16, "heldout": 16}
    assert set().union(*parts.values()) == set(range(64))
    assert sum(map(len, parts.values())) == 64  # so no input is in two splits


def test_uneven_fractions_leave_inputs_out_but_never_share_them() -> None:
    dataset = SyntheticDataset(num_inputs=20, fractions=(0.5, 0.0, 0.25))
    assert dataset.describe() == {"discovery": 10, "finetune": 0, "heldout": 5}
    assert not ids(dataset, "discovery") & ids(dataset, "heldout")


def test_every_input_starts_at_the_origin_of_its_axes_with_reference_zero() -> None:
    dataset = SyntheticDataset(num_inputs=8, feature_dim=5, num_axes=3)
    for item, reference in dataset.split("discovery"):
        assert item["coords"].tolist() == [0.0, 0.0, 0.0]
        assert item["features"].shape == (5,)
        assert reference == 0
    inputs, references = dataset.collate(dataset.split("discovery"))
    assert inputs["coords"].shape == (4, 3) and inputs["features"].shape == (4, 5)
    assert torch.as_tensor(references).tolist() == [0] * 4


def test_the_seed_fixes_features_and_split() -> None:
    first, again, other = (SyntheticDataset(num_inputs=32, seed=s) for s in (3, 3, 4))
    assert torch.equal(first.features, again.features)
    assert all(np.array_equal(first.indices[s], again.indices[s]) for s in SPLITS)
    assert not torch.equal(first.features, other.features)
    assert ids(first, "discovery") != ids(other, "discovery")


@pytest.mark.parametrize(
    "fractions", [(0.5, 0.5), (0.6, 0.3, 0.3), (0.5, -0.1, 0.25)], ids=["two", "over", "negative"]
)
def test_bad_fractions_are_one_line_errors(fractions: tuple[float, ...]) -> None:
    with pytest.raises(FfadeError) as error:
        SyntheticDataset(num_inputs=8, fractions=fractions)
    assert str(error.value) == (
        f"dataset 'synthetic': fractions {list(fractions)} must be 3 non-negative numbers "
        "summing to at most 1 (for discovery, finetune, heldout)"
    )


@pytest.mark.parametrize("key", ["num_inputs", "feature_dim", "num_axes"])
@pytest.mark.parametrize("value", [0, -1, 2.5, "8", True])
def test_sizes_that_are_not_whole_numbers_from_one_are_one_line_errors(key: str, value) -> None:
    """num_axes: -1 was a torch RuntimeError ("Dimension size must be non-negative") and 0 an
    error blaming the first axis concept's index."""
    with pytest.raises(FfadeError) as error:
        SyntheticDataset(**{key: value})
    assert str(error.value) == (
        f"dataset 'synthetic': {key} must be a whole number, at least 1, got {as_written(value)}"
    )


def test_a_size_past_what_memory_holds_is_one_line_from_the_cli(tmp_path: Path) -> None:
    """num_inputs 9223372036854775807 (int64's largest) passed the checks and stopped in
    torch.randn with a RuntimeError traceback."""
    config = write_config(tmp_path / "c.yaml")
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["dataset"]["args"]["num_inputs"] = 9223372036854775807
    config.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "ffade: error: dataset 'synthetic': model.init_args.task.dataset.args.num_inputs "
        "9223372036854775807 x (feature_dim 8 + "
        "num_axes 3) is 101457092405402533877 values held in memory; at most 100000000 are "
        "allowed: lower num_inputs\n"
    )
    assert not (tmp_path / "runs").exists()


def test_a_seed_that_is_no_number_is_one_line_naming_it(tmp_path: Path) -> None:
    """``seed: x`` reached torch's manual_seed, whose RuntimeError ("manual_seed expected a
    long, but got str") was a traceback blaming the plugin, after the run directory was made."""
    done = ffade_in_process(
        "fit",
        "--config",
        str(Path(__file__).resolve().parents[3] / "configs" / "synthetic.yaml"),
        "--model.init_args.task.dataset",
        "{name: synthetic, args: {seed: x}}",
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "ffade: error: dataset 'synthetic': model.init_args.task.dataset.args.seed must be a "
        "whole number, got 'x'"
    ]
    assert not (tmp_path / "runs").exists()
