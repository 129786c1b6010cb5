"""The synthetic target fails exactly inside its planted boxes, grown for fragile inputs."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from ffade_synthetic.concept import Axis
from ffade_synthetic.target import DEFAULT_REGIONS, SyntheticTarget

from ffade.errors import FfadeError
from ffade.written import as_written
from tests.helpers import ffade_in_process, write_config

GRID = Axis.default_values  # ten positions per axis, as the default concept grid has them


def batch(coords: list[list[float]], features: torch.Tensor) -> dict[str, torch.Tensor]:
    return {
        "features": features.expand(len(coords), -1),
        "coords": torch.tensor(coords, dtype=torch.float32),
    }


def features_with_fragility(target: SyntheticTarget, sign: float) -> torch.Tensor:
    """Features far along (+1) or against (-1) the hidden fragile direction: fragility ~1 or ~0."""
    return sign * 10 * target.direction / target.direction.norm()


def failing_grid_states(target: SyntheticTarget, features: torch.Tensor) -> set[tuple]:
    states = list(itertools.product(GRID, repeat=3))
    margins = target.predict(batch([list(s) for s in states], features))
    return {s for s, m in zip(states, margins.tolist(), strict=True) if m < 0}


def in_boxes(state: tuple, grown_by: float) -> bool:
    """Inside a planted box, each side moved out by ``grown_by`` (open beyond the box)."""
    return any(
        all(
            lo <= state[axis] <= hi or lo - grown_by < state[axis] < hi + grown_by
            for axis, (lo, hi) in box.items()
        )
        for box in DEFAULT_REGIONS
    )


def test_a_robust_input_fails_exactly_on_the_planted_boxes() -> None:
    target = SyntheticTarget()
    failing = failing_grid_states(target, features_with_fragility(target, -1))
    expected = {s for s in itertools.product(GRID, repeat=3) if in_boxes(s, 0.0)}
    assert failing == expected
    assert len(failing) == 81  # band 2x10x2 + corner 2x2x10 + a one-state island


def test_a_fragile_input_fails_on_boxes_grown_by_fragility_growth() -> None:
    target = SyntheticTarget()
    robust = failing_grid_states(target, features_with_fragility(target, -1))
    fragile = failing_grid_states(target, features_with_fragility(target, +1))
    assert fragile == {s for s in itertools.product(GRID, repeat=3) if in_boxes(s, 0.12)}
    assert robust < fragile
    assert (0.444, 0.222, 0.667) in fragile - robust  # the island grew to its neighbours


def test_the_margin_is_the_signed_distance_to_the_nearest_box_less_the_growth() -> None:
    target = SyntheticTarget()
    neutral = torch.zeros(8)  # fragility 1/2: every box grows by 0.06
    margins = target.predict(batch([[0.9, 0.9, 0.5], [0.0, 0.0, 0.0], [0.55, 0.25, 0.65]], neutral))
    # 0.1 deep in the corner; 0.3 left of the band; 0.05 deep in the island
    assert margins.tolist() == pytest.approx([-0.1 - 0.06, 0.3 - 0.06, -0.05 - 0.06], abs=1e-6)
    assert target.fragility(neutral[None]).tolist() == pytest.approx([0.5])


def test_custom_regions_from_a_config_replace_the_planted_ones() -> None:
    # YAML mapping keys may arrive as strings, bounds as lists
    target = SyntheticTarget(regions=[{"1": [0.0, 0.5]}], fragility_growth=0.0)
    margins = target.predict(batch([[0.9, 0.25, 0.0], [0.0, 0.75, 0.0]], torch.zeros(8)))
    assert margins.tolist() == pytest.approx([-0.25, 0.25])


def test_a_box_with_low_above_high_is_a_one_line_error() -> None:
    with pytest.raises(FfadeError) as error:
        SyntheticTarget(regions=[{0: [0.0, 0.1]}, {2: [0.6, 0.4]}])
    assert str(error.value) == (
        "target 'synthetic': regions give axis 2 [0.6, 0.4]; a box side is [low, high], two "
        "numbers with low at most high"
    )


def test_a_bad_box_on_the_command_line_names_the_key_and_a_nan_side_is_refused(
    tmp_path: Path,
) -> None:
    """ "region axis 0 has low 0.9 > high 0.1" named no key to correct; a NaN side (``.nan``)
    was taken, a box no input ever fell in."""
    config = str(Path(__file__).resolve().parents[3] / "configs" / "synthetic.yaml")
    for box, said in (("[0.9, 0.1]", "[0.9, 0.1]"), ("[.nan, 1.0]", "[nan, 1.0]")):
        done = ffade_in_process(
            "fit",
            "--config",
            config,
            "--model.init_args.task.target",
            f"{{name: synthetic, args: {{regions: [{{0: {box}}}]}}}}",
            cwd=tmp_path,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines() == [
            "ffade: error: target 'synthetic': model.init_args.task.target.args.regions give "
            f"axis 0 {said}; a box side is [low, high], two numbers with low at most high"
        ]


def test_the_seed_fixes_which_inputs_are_fragile_and_the_explorer_sees_features() -> None:
    assert torch.equal(SyntheticTarget(seed=3).direction, SyntheticTarget(seed=3).direction)
    assert not torch.equal(SyntheticTarget(seed=3).direction, SyntheticTarget(seed=4).direction)
    assert SyntheticTarget(feature_dim=5).direction.shape == (5,)
    inputs = batch([[0.0, 0.0, 0.0]], torch.ones(8))
    assert SyntheticTarget().features(inputs) is inputs["features"]
    assert SyntheticTarget().modality == "synthetic"


def test_the_islands_preset_fails_on_five_separate_boxes_of_a_six_step_grid() -> None:
    from scipy import ndimage

    grid = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    states = torch.tensor(list(itertools.product(grid, repeat=5)), dtype=torch.float32)
    for sign in (-1, 1):  # fragility growth (up to 0.12) never reaches the next grid step
        target = SyntheticTarget(regions="islands")
        features = features_with_fragility(target, sign).expand(len(states), -1)
        failing = (target.predict({"features": features, "coords": states}) < 0).reshape((6,) * 5)
        labels, count = ndimage.label(failing.numpy())
        assert count == 5
        assert sorted(np.bincount(labels.ravel())[1:].tolist()) == [36, 36, 72, 72, 108]


def test_an_unknown_preset_is_a_one_line_error() -> None:
    with pytest.raises(FfadeError) as error:
        SyntheticTarget(regions="moons")
    assert str(error.value) == (
        "target 'synthetic': regions 'moons' is not a preset; allowed: default, islands, "
        "or a list of boxes"
    )


@pytest.mark.parametrize("growth", [float("nan"), float("inf"), "abc", True])
def test_a_fragility_growth_that_is_not_a_finite_number_is_a_one_line_error(growth) -> None:
    with pytest.raises(FfadeError) as error:
        SyntheticTarget(fragility_growth=growth)
    assert str(error.value) == (
        f"target 'synthetic': fragility_growth must be a finite number, got {as_written(growth)}"
    )


def test_a_fragility_growth_of_zero_or_below_is_allowed() -> None:
    """A negative growth shrinks the boxes: it plants inputs that never fail (tests/explore/
    test_macroscopic_plan.py's budget test)."""
    assert SyntheticTarget(fragility_growth=0).fragility_growth == 0
    assert SyntheticTarget(fragility_growth=-0.3).fragility_growth == -0.3


def test_a_feature_dim_past_what_memory_holds_is_one_line_from_the_cli(tmp_path: Path) -> None:
    """feature_dim 9223372036854775807 (int64's largest) passed the target's check and stopped
    in torch.randn with a RuntimeError traceback; it is capped as the dataset's sizes are."""
    config = write_config(tmp_path / "c.yaml")
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["target"].setdefault("args", {})["feature_dim"] = (
        9223372036854775807
    )
    config.write_text(yaml.safe_dump(data))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "ffade: error: target 'synthetic': model.init_args.task.target.args.feature_dim must be a "
        "whole number from 1 to 100000000 (the dataset's most), got 9223372036854775807\n"
    )
    assert not (tmp_path / "runs").exists()


def test_a_box_side_outside_the_axis_is_kept_for_what_it_does() -> None:
    """A doc audit asked whether [0.1, 1.9] should be refused, positions being in [0, 1]: a side
    past an end changes which states fail, and a box wholly outside reaches in by growth (the
    gate's tests plant one), so both are taken, as plugins/synthetic/README.md says."""
    at_ends = batch([[1.0], [0.0]], torch.zeros(8))
    edge = SyntheticTarget(regions=[{0: [0.8, 1.0]}], fragility_growth=0.0).predict(at_ends)
    past = SyntheticTarget(regions=[{0: [0.8, 1.1]}], fragility_growth=0.0).predict(at_ends)
    assert edge[0] == 0 and past[0] == pytest.approx(-0.1)  # position 1: on the edge, inside
    outside = SyntheticTarget(regions=[{0: [-1.0, -0.06]}])
    for sign, fails in ((1, True), (-1, False)):  # growth ~0.12 reaches position 0; ~0 does not
        at_zero = batch([[0.0]], features_with_fragility(outside, sign))
        assert bool(outside.predict(at_zero)[0] < 0) is fails
