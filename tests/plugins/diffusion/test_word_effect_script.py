"""scripts/word_effect.py, which the README prints: its help and its mistakes, as typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

SCRIPT = REPO / "plugins" / "diffusion" / "scripts" / "word_effect.py"


def word_effect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_help_says_what_it_measures_in_whole_sentences() -> None:
    result = word_effect("--help")
    assert result.returncode == 0
    # the first docstring line alone stopped at "the rule's states as they are, and"
    assert "the same states with that concept at its neutral value" in result.stdout


def test_mistakes_are_one_line(tmp_path: Path) -> None:
    missing = word_effect(str(tmp_path / "none.yaml"), "style=thin")
    assert missing.returncode == 1 and missing.stderr.strip() == (
        f"cannot read {tmp_path / 'none.yaml'}: No such file or directory"
    )
    loop = word_effect("configs/loop_t2i.yaml", "style=thin")
    assert loop.returncode == 1 and loop.stderr.strip().endswith(
        "is not an explorer config (no model.init_args.task)"
    )
    # "style" alone read as style = '' and measured nothing, silently
    bare = word_effect("configs/t2i_quickstart.yaml", "style")
    assert bare.returncode == 1, bare.stdout
    assert bare.stderr.strip().splitlines()[-1] == (
        "condition 'style' must be label=value or label=a|b"
    )
