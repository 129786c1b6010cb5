"""build_task: how a config's task section is read; here, max_inputs beyond the split."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffade.errors import FfadeError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.task import build_task
from tests.helpers import synthetic_spec

CAPPED = (
    "task.max_inputs is 500, but split 'discovery' of dataset 'synthetic' has 8 inputs: "
    "all 8 are used"
)


def test_max_inputs_beyond_the_split_uses_all_and_says_so_with_both_numbers() -> None:
    task = build_task({**synthetic_spec(num_inputs=16), "max_inputs": 500})
    assert len(task.inputs) == 8  # the synthetic discovery split: half of num_inputs
    assert task.notes == [CAPPED]
    within = build_task({**synthetic_spec(num_inputs=16), "max_inputs": 3})
    assert len(within.inputs) == 3 and within.notes == []


def test_a_fine_tuners_key_is_named_as_its_config_spells_it() -> None:
    key = "model.init_args.max_finetune_inputs"
    task = build_task({**synthetic_spec(num_inputs=16), "max_inputs": 99}, max_inputs_key=key)
    assert task.notes[0].startswith(f"{key} is 99, but split 'discovery'")
    with pytest.raises(FfadeError, match=rf"^{key} must be at least 1, got 0$"):
        build_task({**synthetic_spec(), "max_inputs": 0}, max_inputs_key=key)


def test_the_run_prints_the_note_once_before_it_searches(tmp_path: Path, capsys) -> None:
    spec = {**synthetic_spec(num_inputs=16), "max_inputs": 500}
    explorer = discover(RandomExplorer(task=spec, budget=32, num_envs=8), tmp_path)
    assert explorer.evaluator.num_inputs == 8
    assert capsys.readouterr().err.count(f"ffade: note: {CAPPED}\n") == 1
