"""What a search checkpoints and how a resumed one picks it up (ffade/explore/search_state.py),
through the hooks themselves rather than a killed run."""

from __future__ import annotations

from pathlib import Path

import torch

from ffade.explore import GridExplorer
from ffade.explore.run import discover
from tests.helpers import synthetic_spec


def test_a_checkpoint_brings_another_search_to_the_state_it_saved(tmp_path: Path) -> None:
    saved = GridExplorer(task=synthetic_spec(), budget=400, num_envs=8)
    discover(saved, tmp_path, seed=0, name="saved")
    other = GridExplorer(task=synthetic_spec(), budget=16, num_envs=8)
    discover(other, tmp_path, seed=5, name="other")
    assert other.iterations != saved.iterations and other.cursor != saved.cursor
    assert saved.failing_flat_states and not other.failing_flat_states
    saved.idle_steps = 7  # steps without a new evaluation, as max_idle_steps counts them
    checkpoint: dict = {}
    saved.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, tmp_path / "state.ckpt")  # as Lightning writes it
    other.on_load_checkpoint(torch.load(tmp_path / "state.ckpt", weights_only=False))
    other.on_fit_start()
    assert other.iterations == saved.iterations == 50
    assert other.idle_steps == 7  # a resumed run stops where an unbroken one would
    assert other.cursor == saved.cursor  # the subclass's own state (explorer_state)
    assert other.evaluator.memo == saved.evaluator.memo
    assert other.evaluator.evaluations == saved.evaluator.evaluations == 400
    assert other.failing_flat_states == saved.failing_flat_states
    assert other.smallest_failures == saved.smallest_failures
    assert other.rng.bit_generator.state == saved.rng.bit_generator.state
    assert other.env.np_random.bit_generator.state == saved.env.np_random.bit_generator.state
    assert other.wall_seconds == checkpoint["ffade"]["wall_seconds"]
