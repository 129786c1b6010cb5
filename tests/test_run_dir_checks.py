"""The run directory ``ffade fit`` is about to make: a file on its way is named with the key that
placed the run, the one the user typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ffade_in_process, write_config


@pytest.mark.parametrize(
    ("typed", "run", "key"),
    [
        # on the command line default_root_dir becomes the logger's save_dir: the error said
        # "choose another trainer.logger save_dir", a key the user never typed
        (["--trainer.default_root_dir", "my file"], "my file/test", "trainer.default_root_dir"),
        (
            ["--trainer.default_root_dir", "my file/sub"],
            "my file/sub/test",
            "trainer.default_root_dir",
        ),
        (  # Lightning's own logger saves under default_root_dir
            ["--trainer.logger", "true", "--trainer.default_root_dir", "my file"],
            "my file/lightning_logs",
            "trainer.default_root_dir",
        ),
        (
            ["--trainer.logger.init_args.save_dir", "my file"],
            "my file/test",
            "trainer.logger save_dir",
        ),
    ],
)
def test_a_file_on_the_run_directorys_way_names_the_key_typed(
    tmp_path: Path, typed: list[str], run: str, key: str
) -> None:
    config = write_config(tmp_path / "c.yaml", budget=16)
    (tmp_path / "my file").write_text("notes")
    done = ffade_in_process("fit", "--config", str(config), *typed, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines() == [
        f"ffade: error: run directory '{run}/version_0': 'my file' is a file, not a directory; "
        f"choose another {key}"
    ]
    assert (tmp_path / "my file").read_text() == "notes"


def test_a_file_behind_a_dotdot_through_a_folder_not_made_yet_is_refused(tmp_path: Path) -> None:
    """``x/../my file/sub`` with no ``x`` yet: ``my file`` (a file) could not be seen through
    ``x``, so mkdir made ``x`` and ended in a NotADirectoryError traceback, ``x`` left behind."""
    config = write_config(tmp_path / "c.yaml", budget=16)
    (tmp_path / "my file").write_text("notes")
    typed = ["--trainer.default_root_dir", "x/../my file/sub"]
    done = ffade_in_process("fit", "--config", str(config), *typed, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines() == [
        "ffade: error: run directory 'x/../my file/sub/test/version_0': 'x/../my file' is a "
        "file, not a directory; choose another trainer.default_root_dir"
    ]
    assert not (tmp_path / "x").exists()
