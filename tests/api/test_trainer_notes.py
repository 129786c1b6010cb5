"""What ``ffade.discover`` says of trainer settings, in the keywords it took (ffade/trainer.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ffade
from tests.api import callables


def test_max_steps_note_names_the_budget_keyword(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    """A random search ignores ``trainer.max_steps``; the note said "a smaller
    model.init_args.budget", a key ``ffade.discover(budget=...)``'s caller never typed."""
    ffade.discover(
        target=callables.margin,
        dataset={"name": "synthetic", "args": {"num_inputs": 8}},
        reward="margin",
        concepts=[{"name": "axis", "args": {"index": 0}}],
        explorer="random",
        budget=5,
        trainer={"max_steps": 2},
        save_dir=str(tmp_path / "runs"),
    )
    err = capfd.readouterr().err
    note = next(line for line in err.splitlines() if "counts optimizer steps" in line)
    assert note.endswith("give trainer.max_time, or a smaller budget"), note
