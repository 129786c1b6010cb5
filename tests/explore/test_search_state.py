"""What a search checkpoints and how a resumed one picks it up (ffade/explore/search_state.py),
through the hooks themselves rather than a killed run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from ffade.explore import GridExplorer
from ffade.explore.run import discover
from tests.helpers import ffade, ffade_in_process, synthetic_spec


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


def _photos(root: Path, first: int, count: int) -> list[Path]:
    """``count`` random 16-pixel photos per class (cat, dog), numbered from ``first``."""
    rng = np.random.default_rng(first)
    made = []
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(first, first + count):
            pixels = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
            made.append(root / name / f"{i}.png")
    return made


CHANGED = (
    "dataset 'image_folder' no longer gives the discovery inputs the run searched (its "
    "files were added, removed or changed since, or its splits draw on more than its "
    "arguments), so the resumed search would go on over other inputs than its first part "
    "searched; put the data back as it was to resume it, or drop --ckpt_path to start a new "
    "run on the data as it is now"
)


def _stopped_photo_run(tmp_path: Path) -> Path:
    """A search of 20 photos per class in ``tmp_path/photos``, stopped by ``max_steps`` 3
    before its budget: its run directory, ``runs/photos/version_0``."""
    _photos(tmp_path / "photos", 0, 20)
    config = {
        "seed_everything": 0,
        "model": {
            "class_path": "ffade.explore.DQNExplorer",
            "init_args": {
                "task": {
                    "target": {
                        "name": "torchvision_classifier",
                        "args": {"model": "resnet18", "weights": None, "num_classes": 2},
                    },
                    "dataset": {
                        "name": "image_folder",
                        "args": {"root": "photos", "image_size": 16},
                    },
                    "reward": {"name": "misclassification"},
                    "concepts": [
                        {"name": "rotation", "args": {"values": [0, 10, 20, 30]}},
                        {"name": "brightness", "args": {"values": [0.5, 1.0]}},
                    ],
                    "max_inputs": 8,
                },
                "budget": 60,
                "num_envs": 4,
                "learning_starts": 4,
            },
        },
        "trainer": {
            "logger": {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {"save_dir": "runs", "name": "photos"},
            }
        },
    }
    (tmp_path / "photos.yaml").write_text(yaml.safe_dump(config))
    stopped = ffade_in_process(
        "fit", "--config", "photos.yaml", "--trainer.max_steps", "3", cwd=tmp_path
    )
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    return tmp_path / "runs" / "photos" / "version_0"


@pytest.mark.slow  # 21 s in CI; its old-checkpoint sibling below stays in the default step
def test_a_resume_on_a_folder_changed_since_is_one_error_line(tmp_path: Path) -> None:
    """A search stopped partway resumed on an ``image_folder`` that gained photos since: the task
    was rebuilt from the folder as it is now, whose splits are reshuffled, and the resumed run
    went on with the first part's memo and failures over other inputs, in silence (exit 0, a
    summary.json digest unlike the first part's). From its checkpoint or by replaying its log
    (a run killed before its first checkpoint), it is now one line, exit 2, and no new run:
    the note that a search a trainer limit stopped goes on to its budget came first, for a run
    that then never went on."""
    run = _stopped_photo_run(tmp_path)
    searched = json.loads((run / "summary.json").read_text())["inputs_digest"]
    killed = tmp_path / "killed"  # as a run killed before it kept a checkpoint leaves it
    shutil.copytree(run, killed)
    shutil.rmtree(killed / "checkpoints")
    summary = json.loads((killed / "summary.json").read_text())
    (killed / "summary.json").write_text(json.dumps(dict(summary, status="interrupted")))
    added = _photos(tmp_path / "photos", 20, 5)
    config_path = str(run / "config.yaml")
    for resumed, named in [
        (str(run), str(run / "checkpoints" / "last.ckpt")),
        (str(killed), str(killed)),
    ]:
        result = ffade(
            "fit", "--config", config_path, "--ckpt_path", resumed, "--trainer.max_steps", "-1",
            cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr[-2000:]
        assert result.stderr.splitlines() == [f"ffade: error: --ckpt_path {named}: {CHANGED}"]
        assert sorted(p.name for p in (tmp_path / "runs" / "photos").iterdir()) == ["version_0"]
    for photo in added:  # the folder as it was: the run resumes, and searches what it did
        photo.unlink()
    result = ffade(
        "fit", "--config", config_path, "--ckpt_path", str(run), "--trainer.max_steps", "-1",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    resumed_run = tmp_path / "runs" / "photos" / "version_1"
    summary = json.loads((resumed_run / "summary.json").read_text())
    assert summary["inputs_digest"] == searched and summary["evaluations"] == 60


@pytest.mark.slow
def test_an_old_checkpoint_resumed_in_its_own_pinned_run_is_checked_too(tmp_path: Path) -> None:
    """A checkpoint saved before checkpoints kept the inputs' digest is checked against its run's
    summary.json; resumed into its own directory (its config.yaml pins ``version: 0``), the
    resume rewrote that file before it was read, so the digest read was the resume's own and a
    changed folder went unchecked (exit 0). Now it is refused, and again when tried again: the
    refusal leaves the digest of the inputs the run searched in its summary.json."""
    run = _stopped_photo_run(tmp_path)
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)
    del checkpoint["ffade"]["inputs_digest"]  # as an older ffade saved it
    torch.save(checkpoint, run / "checkpoints" / "last.ckpt")
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["trainer"]["logger"]["init_args"]["version"] = 0
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    searched = json.loads((run / "summary.json").read_text())["inputs_digest"]
    _photos(tmp_path / "photos", 20, 5)
    named = run / "checkpoints" / "last.ckpt"
    for _ in range(2):
        result = ffade(
            "fit", "--config", str(run / "config.yaml"), "--ckpt_path", str(run),
            "--trainer.max_steps", "-1", cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr[-2000:]
        assert result.stderr.splitlines()[0] == f"ffade: error: --ckpt_path {named}: {CHANGED}"
        assert json.loads((run / "summary.json").read_text())["inputs_digest"] == searched
