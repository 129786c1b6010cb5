"""Fixtures shared by the Python API's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def log_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The run directories whose evaluation log is read, in order, from now on: counted at the
    reader, which still reads the file."""
    from ffade import evaluation_log

    reads: list[Path] = []
    read = evaluation_log.read_numbered_evaluations

    def counted(run_dir: Path, *args: Any, **kwargs: Any) -> Any:
        reads.append(Path(run_dir))
        return read(run_dir, *args, **kwargs)

    monkeypatch.setattr(evaluation_log, "read_numbered_evaluations", counted)
    return reads
