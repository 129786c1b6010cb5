"""The accepted fine-tunes of a discovery run, for the ``next:`` line ``ffade export`` ends with.

That line named ``--target FINE_TUNE_RUN_DIR``, a placeholder, where the fine-tune that fixed the
run often lies beside it. A fine-tune's mitigation.json records the run it fixed (``run``, an
absolute path) and its verdict (``accepted``); the run records none of its fine-tunes, so they are
looked for only where ffade's own layouts put them, a few folders' listing: a logger's version
folder beside the run's (``runs/mitigate_digits/version_0`` or ffade's default
``runs/ffade/version_0`` for ``runs/quickstart/version_0``) and the loop's ``mitigate/`` beside
its ``discover/``. A fine-tune saved elsewhere, or a run moved since, is not found, and the
placeholder stays: walking the disk for one would not be cheap.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ffade.records import MITIGATION_FILE


def accepted_fine_tunes(run_dir: str | Path) -> list[str]:
    """The folders of the accepted fine-tunes of ``run_dir`` found beside it, newest first (by
    their mitigation.json's time), each as the user named the run: from here, or absolute where
    the run was typed so. A rejected fine-tune fixes nothing: its fixed target is the original."""
    typed = Path(os.path.abspath(run_dir))  # the folders as named, no link followed
    run = typed.resolve()
    near = {*typed.parent.glob(f"*/{MITIGATION_FILE}")}
    near |= {*typed.parent.parent.glob(f"*/version_*/{MITIGATION_FILE}")}
    found: list[tuple[float, Path]] = []
    for verdict in near:
        try:
            record = json.loads(verdict.read_text(encoding="utf-8"))
            when = verdict.stat().st_mtime
        except (OSError, ValueError):  # unreadable, or no JSON: no verdict to go on
            continue
        if not isinstance(record, dict) or record.get("accepted") is not True:
            continue
        fixed = record.get("run")
        if isinstance(fixed, str) and Path(fixed).resolve() == run:
            found.append((when, verdict.parent))
    found.sort(key=lambda item: item[0], reverse=True)
    absolute = Path(run_dir).is_absolute()
    return [str(folder) if absolute else os.path.relpath(folder) for _, folder in found]
