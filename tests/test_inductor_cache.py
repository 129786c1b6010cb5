"""torch's import makes an empty ``$TMPDIR/torchinductor_<user>``: ffade takes it back as the
process ends, and leaves alone a folder that was there before or that holds kernels."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest


def imported(tmp_path: Path, code: str = "") -> list[str]:
    """What the temporary folder holds after a process imports ffade.explore (and Lightning)."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("TORCHINDUCTOR_CACHE_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", f"import os, ffade.explore\n{code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.slow
def test_importing_ffade_leaves_no_empty_torchinductor_folder(tmp_path: Path) -> None:
    """Lightning's import (torch._dynamo's) left an empty torchinductor_root behind, every time."""
    assert imported(tmp_path) == []


@pytest.mark.slow  # a Python importing torch of its own (seconds); the empty folder's
# removal, which these guard the edges of, is tested in the default step
def test_a_folder_holding_kernels_stays(tmp_path: Path) -> None:
    """What a torch.compile wrote there is kept for the next run: only an empty folder goes."""
    code = "open(os.path.join(os.environ['TORCHINDUCTOR_CACHE_DIR'], 'kernel'), 'w').close()"
    names = imported(tmp_path, code)
    assert len(names) == 1 and names[0].startswith("torchinductor_")
    assert (tmp_path / names[0] / "kernel").is_file()


@pytest.mark.slow  # a Python importing torch of its own (seconds); the empty folder's
# removal, which these guard the edges of, is tested in the default step
def test_an_empty_folder_there_before_stays(tmp_path: Path) -> None:
    folder = tmp_path / f"torchinductor_{getpass.getuser()}"
    folder.mkdir()
    assert imported(tmp_path) == [folder.name] and folder.is_dir()
