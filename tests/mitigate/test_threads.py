"""Fine-tuners train on the target's ``cpu_threads`` and give torch its thread count back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Callback

from tests.mitigate.conftest import fine_tune


class _ThreadsSeen(Callback):
    """Records torch's thread count at each training batch; raises at the first if asked."""

    def __init__(self, crash: bool = False) -> None:
        self.seen: list[int] = []
        self.crash = crash

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, index: int) -> None:
        self.seen.append(torch.get_num_threads())
        if self.crash:
            raise RuntimeError("a crash mid-training")


def _run_with_threads(digits_run: Path, root: Path, count: int | None) -> Path:
    """A copy of the digits run whose target takes ``cpu_threads: count``."""
    run = root / "run"
    shutil.copytree(digits_run, run)
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["target"]["args"] = {"cpu_threads": count}
    (run / "summary.json").write_text(json.dumps(summary))
    return run


@pytest.fixture
def two_threads() -> Any:
    """Torch on 2 threads during the test (the count a fit must restore), then as it was."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def test_training_runs_on_the_targets_threads_and_restores_the_count(
    digits_run: Path, tmp_path: Path, two_threads: int
) -> None:
    seen = _ThreadsSeen()
    run = _run_with_threads(digits_run, tmp_path, 1)
    fine_tune(run, tmp_path, callbacks=[seen], clean_tolerance=1)
    assert seen.seen and set(seen.seen) == {1}
    assert torch.get_num_threads() == two_threads


def test_without_cpu_threads_training_keeps_torchs_count(
    digits_run: Path, tmp_path: Path, two_threads: int
) -> None:
    seen = _ThreadsSeen()
    fine_tune(_run_with_threads(digits_run, tmp_path, None), tmp_path, callbacks=[seen])
    assert set(seen.seen) == {two_threads}


def test_a_crash_mid_training_restores_the_count(
    digits_run: Path, tmp_path: Path, two_threads: int
) -> None:
    seen = _ThreadsSeen(crash=True)
    with pytest.raises(RuntimeError, match="a crash mid-training"):
        fine_tune(_run_with_threads(digits_run, tmp_path, 1), tmp_path, callbacks=[seen])
    assert seen.seen == [1]
    assert torch.get_num_threads() == two_threads
