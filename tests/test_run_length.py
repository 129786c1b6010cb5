"""A run's epochs where no config or option gives them: the model's own (ffade.run_length).

Typed bare, ``ffade fit --model ffade.mitigate.ClassifierFineTuner --model.init_args.run RUN``
trained the trainer's default one epoch, an explorer's length, while ``ffade.mitigate`` and the
command ``ffade feedback`` prints trained ten. ``--print_config`` shows what a run will use, so
these read it; tests/mitigate/test_own_run.py trains the bare command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ffade.mitigate import ClassifierFineTuner
from tests.helpers import REPO, ffade_in_process


def printed_epochs(tmp_path: Path, *args: str) -> int:
    """``trainer.max_epochs`` as ``ffade fit ARGS --print_config`` prints it."""
    printed = ffade_in_process("fit", *args, "--print_config", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    return yaml.safe_load(printed.stdout)["trainer"]["max_epochs"]


BARE = ["--model.init_args.run", "runs/mine/version_0"]
"""A run to fix: a fine-tuner's arguments are checked, its run not read, before printing."""


@pytest.mark.parametrize(
    ("model", "epochs"),
    [
        ("ffade.mitigate.ClassifierFineTuner", 10),
        ("ClassifierFineTuner", 10),  # its short name
        ("ffade_text.mitigate.Seq2SeqFineTuner", 3),  # configs/text_mitigate.yaml's
        ("ffade_diffusion.mitigate.DiffusionLoRAFineTuner", 150),  # t2i_mitigate.yaml's
    ],
)
def test_a_bare_fine_tuner_trains_its_own_epochs(tmp_path: Path, model: str, epochs: int) -> None:
    assert printed_epochs(tmp_path, "--model", model, *BARE) == epochs
    assert ClassifierFineTuner.default_epochs == 10  # ffade.mitigate's and the fix command's


@pytest.mark.slow  # four configs printed: 8 s on two busy cores
def test_epochs_given_win_over_the_fine_tuners_own(tmp_path: Path) -> None:
    """On the command line, in a config file, and one of each (the command line wins)."""
    model = ["--model", "ffade.mitigate.ClassifierFineTuner", *BARE]
    assert printed_epochs(tmp_path, *model, "--trainer.max_epochs", "2") == 2
    config = tmp_path / "mine.yaml"
    config.write_text(yaml.safe_dump({"trainer": {"max_epochs": 4}}))
    assert printed_epochs(tmp_path, "--config", str(config), *model) == 4
    assert (
        printed_epochs(tmp_path, "--config", str(config), *model, "--trainer.max_epochs", "2") == 2
    )
    # max_steps caps the fine-tune's own epochs, as in ffade.mitigate(trainer={"max_steps": 5})
    assert printed_epochs(tmp_path, *model, "--trainer.max_steps", "5") == 10


def test_an_explorer_still_trains_one_epoch(tmp_path: Path) -> None:
    """Its budget ends its one epoch: the quickstart's config names none."""
    quickstart = str(REPO / "configs" / "quickstart.yaml")
    assert "max_epochs" not in (REPO / "configs" / "quickstart.yaml").read_text()
    assert printed_epochs(tmp_path, "--config", quickstart) == 1


@pytest.mark.slow  # five configs printed
def test_a_resumed_fine_tune_keeps_the_epochs_it_was_started_with(tmp_path: Path) -> None:
    """Its run's config.yaml records them: resumed by the bare command, a fine-tune started with
    ``--trainer.max_epochs 3`` would have trained on to its own ten."""
    run = tmp_path / "runs" / "ffade" / "version_0"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump({"trainer": {"max_epochs": 3}}))
    model = ["--model", "ffade.mitigate.ClassifierFineTuner", *BARE]
    for given in (run, run / "checkpoints" / "last.ckpt"):
        assert printed_epochs(tmp_path, *model, "--ckpt_path", str(given)) == 3
    assert (
        printed_epochs(tmp_path, *model, "--ckpt_path", str(run), "--trainer.max_epochs", "5") == 5
    )
    explorer = ["--config", str(REPO / "configs" / "quickstart.yaml"), "--ckpt_path", str(run)]
    assert printed_epochs(tmp_path, *explorer) == 1  # its budget ends its one epoch
    (run / "config.yaml").write_text("not: [a config")  # unreadable: the fine-tuner's own
    assert printed_epochs(tmp_path, *model, "--ckpt_path", str(run)) == 10
