"""What to say of a folder given as a run that is not one: a report written elsewhere, or a
folder that holds runs (a logger's name folder or save_dir) rather than being one.

Split from :mod:`ffade.records` (at its size limit), which asks these when a run's files are
missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path


def not_a_run_hint(run_dir: str | Path) -> str:
    """Why a folder with no config.yaml lacks a run's files: a report written elsewhere
    (``ffade report RUN --out DIR``, ``ffade.report(run, out=DIR)``) holds report.json, which
    names its run, and no summary.json or log: reading them said "is DIR an ffade run
    directory?", which it half is; the line names the run whose they are instead."""
    from ffade.shell_words import shell_path

    try:
        source = json.loads((Path(run_dir) / "report.json").read_text(encoding="utf-8"))["run"]
    except (OSError, ValueError, TypeError, KeyError):  # no report there, or not one of ours
        source = None
    if not isinstance(source, str) or Path(source).resolve() == Path(run_dir).resolve():
        return (
            f": is {shell_path(run_dir)} an ffade run directory?"  # a run's own report: files lost
        )
    return (
        f": {shell_path(run_dir)} holds a report only; its run's files are in {shell_path(source)}"
    )


def run_folders_hint(run_dir: str | Path) -> str | None:
    """Which run to give for a folder that holds runs rather than being one, the latest first,
    as ``ffade fit`` printed it: a logger's name folder (``runs/quickstart``) holds
    ``version_N`` (the latest: the highest N); its ``save_dir`` (``runs``) holds
    ``NAME/version_N`` (the latest: the summary.json written last; the others named after it).
    Typing the save_dir asked "is 'runs' an ffade run directory?", naming none of its runs.
    None where the folder holds no run."""
    from ffade.shell_words import shell_path

    folder = Path(run_dir)
    versions = sorted(_runs(folder.glob("version_*")), key=_version_order)
    if versions:
        return (
            f": {shell_path(run_dir)} holds runs, each in a version folder; give one, e.g. the "
            f"latest: {shell_path(versions[-1])}"
        )
    runs = sorted(_runs(folder.glob("*/version_*")), key=_written_order, reverse=True)
    if not runs:
        return None
    also = ", ".join(shell_path(run) for run in runs[1 : 1 + _ALSO_NAMED])
    if len(runs) > 1 + _ALSO_NAMED:
        also += f" and {len(runs) - 1 - _ALSO_NAMED} more"
    return (
        f": {shell_path(run_dir)} holds runs, each in a NAME/version_N folder; give one, e.g. the "
        f"latest: {shell_path(runs[0])}" + (f" (also {also})" if also else "")
    )


_ALSO_NAMED = 3
"""How many runs of a save_dir the hint names after the latest, so that it stays one line."""


def _runs(folders: Iterable[Path]) -> Iterator[Path]:
    """The folders that hold a summary.json (a version_N begun but not yet written is no run)."""
    return (path for path in folders if (path / "summary.json").is_file())


def _version_order(run: Path) -> tuple[int, str]:
    """version_10 after version_9."""
    return (len(run.name), run.name)


def _written_order(run: Path) -> tuple[int, str, int, str]:
    """The summary.json written last, last; written the same moment, by name and version."""
    try:
        written = (run / "summary.json").stat().st_mtime_ns
    except OSError:  # removed since the glob
        written = 0
    return (written, run.parent.name, *_version_order(run))
