"""``ffade export`` and ``ffade check``'s arguments, refused by their parsers before any work."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ffade.cli import main


@pytest.mark.parametrize("value", ["0", "-3", "two"])
@pytest.mark.parametrize("command", ["check", "export"])
def test_a_batch_size_below_1_is_refused_before_anything_loads(
    command: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``check --batch-size 0`` was refused only after the target and its dataset were built
    (seconds to minutes), ``export``'s likewise: now the parser says it, and the suite and run
    named need not exist, nor torch be imported."""
    where = ["--suite", str(tmp_path / "s.yaml")] if command == "check" else [str(tmp_path)]
    extra = ["--to", str(tmp_path / "s.yaml")] if command == "export" else []
    had_torch = "torch" in sys.modules
    with pytest.raises(SystemExit) as exit_:
        main([command, *where, *extra, "--batch-size", value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.strip().splitlines() == [
        f"ffade: error: argument --batch-size: expected a whole number from 1, got '{value}' "
        f"(see ffade {command} --help)"
    ]
    assert had_torch or "torch" not in sys.modules
