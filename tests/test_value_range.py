"""A concept grid written as a range, ``values: {start, stop, num}`` (docs/plugins.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ffade.errors import ConceptValueError
from ffade.plugin_api import Concept
from tests.helpers import ffade_in_process, write_config


class _Grid(Concept):
    """Takes whatever grid it is given."""

    def apply(self, inputs: object, value: float) -> object:
        return inputs


@pytest.mark.parametrize(
    ("values", "grid"),
    [
        ({"start": 0, "stop": 1, "num": 5}, [0.0, 0.25, 0.5, 0.75, 1.0]),
        ({"start": -20, "stop": 20, "num": 9}, [-20, -15, -10, -5, 0, 5, 10, 15, 20]),
        ({"start": 0, "stop": 0.3, "num": 4}, [0.0, 0.1, 0.2, 0.3]),  # not 0.30000000000000004
        ({"start": 1, "stop": 0, "num": 3}, [1.0, 0.5, 0.0]),  # a grid may run downwards
        ({"start": 2.5, "stop": 7, "num": 1}, [2.5]),
    ],
)
def test_a_range_is_num_evenly_spaced_values_both_ends_included(values: dict, grid: list) -> None:
    made = _Grid(values, label="g").values
    assert made == grid
    assert [type(v) for v in made] == [type(v) for v in grid]  # whole steps stay whole


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"start": 0, "stop": 1}, r"values \{start: 0, stop: 1\} is not a range \(missing num\)"),
        (
            {"start": 0, "stop": 1, "num": 3, "step": 1},
            r"values \{.*step: 1\} is not a range \(unknown key step\); give a list, or a range as",
        ),
        (
            {"start": 0, "stop": 1, "num": 0},
            r"values.num must be a whole number, at least 1, got 0",
        ),
        ({"start": 0, "stop": 1, "num": 2.5}, r"values.num must be a whole number.*got 2.5"),
        ({"start": "a", "stop": 1, "num": 3}, r"values.start must be a finite number, got 'a'"),
        ({"start": 0, "stop": float("inf"), "num": 3}, r"values.stop must be a finite number"),
        ({"start": 1, "stop": 1, "num": 3}, r"values repeat: \[1, 1, 1\]"),
    ],
)
def test_a_bad_range_is_one_line_naming_what_is_wrong(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"^concept 'g': {message}"):
        _Grid(values, label="g")


def test_a_range_runs_and_config_yaml_keeps_it_so_the_run_reproduces(tmp_path: Path) -> None:
    # 10^4 values written out cost jsonargparse about a minute; as a range, seconds
    config = write_config(tmp_path / "c.yaml", budget=32)
    read = yaml.safe_load(config.read_text())
    grid = {"start": 0, "stop": 1, "num": 10001}
    read["model"]["init_args"]["task"]["concepts"][0]["args"]["values"] = grid
    config.write_text(yaml.safe_dump(read))
    done = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "runs" / "test" / "version_0"
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["model"]["init_args"]["task"]["concepts"][0]["args"]["values"] == grid
    summary = json.loads((run / "summary.json").read_text())
    values = summary["concepts"][0]["values"]
    assert len(values) == 10001 and values[:3] == [0.0, 0.0001, 0.0002] and values[-1] == 1.0
    again = ffade_in_process("fit", "--config", str(run / "config.yaml"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    first, second = (
        (tmp_path / "runs" / "test" / v / "evaluations.jsonl").read_text()
        for v in ("version_0", "version_1")
    )
    assert first == second


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ([0.0, "far", 1.0], "values[1] 'far' is not allowed; expected a finite number"),
        ([0.0, 1.5], "values[1] 1.5 is not allowed; expected a position in [0, 1]"),
        (
            {"start": 0, "stop": 2, "num": 3},
            "values: the range's value 2 is not allowed; expected a position in [0, 1]",
        ),
    ],
)
def test_a_refused_grid_value_is_named_by_its_key_in_the_config(
    tmp_path: Path, values: object, said: str
) -> None:
    """``concept 'axis1': value 'far' is not allowed`` named no key: a config with several
    concepts left the user to find which grid, and which entry, held it."""
    config = write_config(tmp_path / "c.yaml", budget=16)
    read = yaml.safe_load(config.read_text())
    read["model"]["init_args"]["task"]["concepts"][1]["args"]["values"] = values
    config.write_text(yaml.safe_dump(read))
    done = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"ffade: error: concept 'axis1': model.init_args.task.concepts[1].args.{said}"
    ]
    assert not (tmp_path / "runs").exists()


class _Unit(_Grid):
    """Takes positions in [0, 1] only."""

    def check_value(self, value: float) -> None:
        super().check_value(value)
        if not 0 <= value <= 1:
            raise ConceptValueError(f"concept '{self.label}': value {value} is not in [0, 1]")


def test_a_refused_grid_value_from_python_is_named_by_its_place_in_the_grid() -> None:
    """The Python API has no config key: the grid's entry, or the range, says where it sat."""
    with pytest.raises(ValueError, match=r"^concept 'g': values\[2\] nan is not allowed; "):
        _Grid([0.0, 1.0, float("nan")], label="g")
    with pytest.raises(ValueError, match=r"^concept 'g': values: the range's value 2 is not in"):
        _Unit({"start": 0, "stop": 2, "num": 3}, label="g")
