"""A run directory made for a run that never ran in it: removed, so no empty run is left.

TensorBoard lists every folder with an events file as a run: a start refused, or stopped by
Ctrl-C or SIGTERM before the run took its directory, left ``version_N`` with an events file
that holds no data, an empty run in TensorBoard's list and a ``version_N`` no run used.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from ffade.records import EVALUATIONS_FILE


def has_evaluations(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds evaluations (paid for: never removed)."""
    log = run_dir / EVALUATIONS_FILE
    return log.is_file() and log.stat().st_size > 0


def remove_fresh_run_dir(run_dir: Path, fresh: list[Path]) -> None:
    """Remove ``run_dir`` and the parents of it this run made (``fresh`` after ``run_dir``),
    each unless something else is in it."""
    shutil.rmtree(run_dir, ignore_errors=True)
    for parent in fresh[1:]:
        with contextlib.suppress(OSError):
            parent.rmdir()
