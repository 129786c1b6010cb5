"""Options typed before a ``--config`` that sets them again (ffade/option_order.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import ffade_in_process, write_config


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        (["--seed_everything", "1"], "seed_everything"),
        (["--trainer.logger.init_args.name=other"], "trainer.logger.init_args.name"),
        (["--model", "ffade.explore.RandomExplorer"], "model"),
    ],
)
def test_an_option_a_later_config_sets_is_refused_before_anything_runs(
    tmp_path: Path, typed: list[str], key: str
) -> None:
    """``ffade fit --seed_everything 1 --config c.yaml`` ran the config's seed 0, exit 0, and
    recorded ``seed: 0``: jsonargparse reads arguments in order and the config replaced it."""
    config = write_config(tmp_path / "c.yaml")
    result = ffade_in_process("fit", *typed, "--config", str(config))
    assert result.returncode == 2, result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert errors[0] == (
        f"ffade: error: {typed[0].split('=')[0]} comes before --config {config}, which sets "
        f"{key} too: arguments are read in order, so the config's value would replace yours; "
        "give --config first"
    )
    assert not (tmp_path / "runs").exists()  # refused before a run directory was made


def test_an_option_the_config_leaves_unset_may_come_before_it(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml")
    data = yaml.safe_load(config.read_text())
    del data["seed_everything"]
    config.write_text(yaml.safe_dump(data))
    result = ffade_in_process(
        "fit", "--seed_everything", "7", "--config", str(config), "--print_config"
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["seed_everything"] == 7


def test_a_checkpoint_typed_before_a_runs_own_config_is_refused(tmp_path: Path) -> None:
    """A run's config.yaml records ``ckpt_path: null``: ``ffade fit --ckpt_path RUN --config
    RUN/config.yaml`` started the run afresh, exit 0, without resuming or a word about it."""
    config = write_config(tmp_path / "config.yaml")
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "ckpt_path": None}))
    result = ffade_in_process("fit", "--ckpt_path", str(tmp_path), "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: --ckpt_path comes before --config {config}, which sets ckpt_path too: "
        "arguments are read in order, so the config's value would replace yours; give --config "
        "first"
    ]
    assert not (tmp_path / "runs").exists()
