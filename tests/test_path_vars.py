"""``~``, ``$VAR`` and ``${VAR}`` in a config's ``save_dir`` and ``default_root_dir``: expanded
once, recorded expanded in config.yaml, and an unset variable refused in one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import ffade_in_process, write_config


def test_a_variable_in_save_dir_places_the_run_and_config_yaml_records_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FFADE_TEST_OUT", str(tmp_path / "out"))
    work = tmp_path / "work"
    work.mkdir()
    config = write_config(
        tmp_path / "c.yaml",
        explorer="ffade.explore.RandomExplorer",
        budget=32,
        save_dir=Path("${FFADE_TEST_OUT}/runs"),
    )
    result = ffade_in_process("fit", "--config", str(config), cwd=work)
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "out" / "runs" / "test" / "version_0"
    recorded = yaml.safe_load((run / "config.yaml").read_text())
    assert recorded["trainer"]["logger"]["init_args"]["save_dir"] == str(tmp_path / "out" / "runs")
    assert list(work.iterdir()) == []  # no literal './${FFADE_TEST_OUT}' folder


def test_an_unset_variable_in_save_dir_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FFADE_TEST_UNSET", raising=False)
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer")
    result = ffade_in_process(
        "fit",
        "--config",
        str(config),
        "--trainer.logger.init_args.save_dir",
        "$FFADE_TEST_UNSET/runs",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ffade: error: trainer.logger.init_args.save_dir: '$FFADE_TEST_UNSET/runs' names the "
        "environment variable FFADE_TEST_UNSET, which is not set; set it or write the folder out"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_default_root_dir_expands_home_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FFADE_TEST_SUB", "sub")
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer")
    result = ffade_in_process(
        "fit",
        "--config",
        str(config),
        "--trainer.default_root_dir",
        "~/$FFADE_TEST_SUB",
        "--print_config",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    printed = yaml.safe_load(result.stdout)["trainer"]
    assert printed["default_root_dir"] == str(tmp_path / "home" / "sub")
    assert printed["logger"]["init_args"]["save_dir"] == str(tmp_path / "home" / "sub")
