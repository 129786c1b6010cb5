"""A path typed with a leading ``~`` the shell left alone (``--out=~/x``, a quoted ``'~/x'``) is
the home directory, as in configs: never a folder named ``~`` in the working directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import ffade_in_process, write_config


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("home_paths")
    config = write_config(root / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    result = ffade_in_process("fit", "--config", str(config), cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    return root / "runs" / "test" / "version_0"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, finished_run: Path) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    shutil.copytree(finished_run, tmp_path / "home" / "run")
    (tmp_path / "work").mkdir()
    return tmp_path / "home"


def test_report_export_check_and_feedback_read_and_write_under_home(home: Path) -> None:
    work = home.parent / "work"
    steps = [
        ("report", "~/run", "--out=~/report", "--no-tensorboard"),
        ("export", "~/run", "--to=~/suite.yaml", "--threshold", "0.01"),
        ("check", "--suite", "~/suite.yaml", "--junit=~/junit.xml"),
        ("feedback", "~/run", "--from", "~/priorities.yaml", "--out=~/feedback.yaml"),
    ]
    (home / "priorities.yaml").write_text("regions:\n  - {rank: 1, priority: high}\n")
    for step in steps:
        result = ffade_in_process(*step, cwd=work)
        # check exits 1 when a case fails: the suite was read and the JUnit file written anyway
        assert result.returncode in (0, 1), (step, result.stderr[-2000:])
    for made in ("report/report.md", "suite.yaml", "junit.xml", "feedback.yaml"):
        assert (home / made).is_file(), made
    assert list(work.iterdir()) == []


def test_a_loop_config_under_home_is_read(home: Path) -> None:
    (home / "loop.yaml").write_text("colour: blue\n")
    result = ffade_in_process("loop", "--config", "~/loop.yaml", cwd=home.parent / "work")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"ffade: error: {home / 'loop.yaml'}: unknown key 'colour'; allowed: "
        + result.stderr.split("allowed: ")[1].strip()
    )


def test_a_resume_under_home_reads_config_and_ckpt_path_from_home(home: Path) -> None:
    """``--config '~/run/config.yaml' --ckpt_path=~/run`` (the shell leaves both as typed)
    resumes the run under home: it said "file not found" for either."""
    (home / "run" / "checkpoints" / "last.ckpt").unlink()  # replays its log: no Trainer restore
    summary = home / "run" / "summary.json"
    summary.write_text(summary.read_text().replace('"finished"', '"interrupted"'))
    result = ffade_in_process(
        "fit", "--config", "~/run/config.yaml", "--ckpt_path=~/run", cwd=home.parent / "work"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "not found" not in result.stderr
    assert result.stdout.startswith("run: "), result.stdout
