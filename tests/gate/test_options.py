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


@pytest.mark.parametrize("command", ["export", "report", "feedback"])
def test_the_threshold_help_says_where_its_default_comes_from(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ffade export --help`` said ``(default 0.5)`` and ``(default 1)`` while export takes a
    feedback file's threshold and min evaluations when none is typed (a file made at 0.3 exports
    at 0.3, and a typed 0.5 is refused: tests/gate/test_gate.py). Report and feedback read no
    feedback file's criterion, so theirs say the plain default."""
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    said = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal's width
    from_file = command == "export"
    for option, default in (("--threshold THRESHOLD", "0.5"), ("--min-evaluations", "1")):
        help_ = said.split(f"{option} ", 2)[-1].split(" --", 1)[0]
        assert f"(default {default}" in help_, help_
        assert ("with a feedback file, the one it records" in help_) == from_file, help_
