"""``ffade loop`` refuses, before its first stage, a dataset whose held-out (or fine-tuning)
inputs are all copies of inputs the search sees: the fine-tune refused it only after the
discovery and the feedback had run (ffade.loop_apart)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ffade_vision.datasets.digits import DigitsDataset

from ffade import loop_apart, registry
from ffade.cli import main
from ffade.errors import FfadeError
from tests.test_loop import small_loop_config

ALL_COPIES = (
    "dataset 'copied_digits': every held-out input is also a discovery or fine-tuning input, so "
    "none is left to judge the fix on; a dataset's splits must not share an input "
    "(docs/plugins.md, Dataset)"
)


class HeldOutCopies(DigitsDataset):
    """A dataset plugin's mistake: its held-out inputs are the first discovery inputs."""

    def split(self, name: str) -> list:
        return super().split("discovery")[:8] if name == "heldout" else super().split(name)


class FinetuneCopies(DigitsDataset):
    """Its fine-tuning inputs are the first discovery inputs, which the loop searches."""

    def split(self, name: str) -> list:
        return super().split("discovery")[:16] if name == "finetune" else super().split(name)


def _loop_on(tmp_path: Path, dataset: str) -> tuple[Path, Path]:
    """The small digits loop (tests/test_loop.py) searching ``dataset``; (loop, discover)."""
    loop = small_loop_config(tmp_path)
    discover = Path(yaml.safe_load(loop.read_text())["discover"])
    config = yaml.safe_load(discover.read_text())
    config["model"]["init_args"]["task"]["dataset"] = {"name": dataset}
    discover.write_text(yaml.safe_dump(config, sort_keys=False))
    return loop, discover


@pytest.mark.parametrize(
    ("name", "dataset", "line"),
    [
        ("copied_digits", HeldOutCopies, ALL_COPIES),
        (
            "leaky_digits",
            FinetuneCopies,
            "dataset 'leaky_digits': every fine-tuning input is also a discovery input; a "
            "dataset's splits must not share an input (docs/plugins.md, Dataset)",
        ),
    ],
)
def test_splits_of_copies_stop_the_loop_before_the_discovery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, dataset: type, line: str
) -> None:
    loop, discover = _loop_on(tmp_path, name)
    registry.register("dataset", name, dataset)
    try:
        assert main(["loop", "--config", str(loop)]) == 2
    finally:
        registry.unregister("dataset", name)
    assert capsys.readouterr().err.strip().splitlines() == [f"ffade: error: {discover}: {line}"]
    assert not (tmp_path / "loops").exists()  # no discovery ran


def test_a_dataset_too_large_to_digest_up_front_is_left_to_the_fine_tune(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above APART_CHECK_INPUTS the loop reads nothing up front (a folder of 50,000 photos
    would be decoded twice); the fine-tune's own check stands."""
    from ffade.loop_config import read_loop_config

    loop, discover = _loop_on(tmp_path, "copied_digits")
    task = yaml.safe_load(discover.read_text())["model"]["init_args"]["task"]
    registry.register("dataset", "copied_digits", HeldOutCopies)
    try:
        config, dataset = read_loop_config(loop), HeldOutCopies()
        fixing = {"max_finetune_inputs": 64}
        with pytest.raises(FfadeError, match="every held-out input"):
            loop_apart.check_inputs_apart(config, task, fixing, dataset)
        monkeypatch.setattr(loop_apart, "APART_CHECK_INPUTS", 32 + 64 + 8 - 1)
        loop_apart.check_inputs_apart(config, task, fixing, dataset)  # passes
    finally:
        registry.unregister("dataset", "copied_digits")
