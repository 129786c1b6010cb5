"""The report's pictures in the run's TensorBoard log: an events file of its own, replaced whole.

Split from :mod:`ffade.summarize.plots` (drawing) as a job of its own: writing TensorBoard records.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import time
from pathlib import Path

from ffade.interrupts import signals_held
from ffade.png_summary import png_summary
from ffade.records import atomic_path, partial_write
from ffade.write_lock import writing_alone

REPORT_EVENTS_SUFFIX = ".ffade-report"
"""Ends the name of the TensorBoard events file ``ffade report`` writes into a run directory."""


_EVENT_FILES = itertools.count()
"""Numbers the report events files this process writes: two in one second get two names."""


def log_images(run_dir: str | Path, images: dict[str, Path], step: int = 0) -> None:
    """Add PNGs to the run's TensorBoard log (the run directory is the logger's log_dir), at
    ``step``: the run's last, where its scalars end, so they show beside the final scalars.

    Logs the saved PNGs' bytes as they are, so TensorBoard shows exactly what the report shows.
    The report's events file replaces the previous report's, so that reporting a run again does
    not pile up files of the same pictures, and only once it is whole. Written here, record by
    record in TensorBoard's format, not by its ``EventFileWriter``, whose writer thread printed
    its own traceback when the disk was full (and torch's ``SummaryWriter`` imports torch,
    seconds of a report's start, to decode and re-encode the same pictures).
    """
    run_dir = Path(run_dir)
    name = (
        f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}."
        f"{next(_EVENT_FILES)}{REPORT_EVENTS_SUFFIX}"
    )
    # written whole in a folder of its own, then renamed in beside the run's: a report killed or
    # failing mid-write leaves the previous report's file as it was, never half of a new one
    staging = partial_write(run_dir / "report-events")
    try:
        with writing_alone(staging, folder=True):  # a second report at once waits for this one
            try:
                _write_staged(staging, name, images, step)
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # under the lock: not the next one's
    except OSError as exc:  # a full disk: name the file the report could not write
        if exc.filename is None or staging in (Path(exc.filename), Path(exc.filename).parent):
            exc.filename = str(run_dir / name)
        raise


def _write_staged(staging: Path, name: str, images: dict[str, Path], step: int) -> None:
    """Write the events file ``name`` in ``staging``, then rename it in beside the run's."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.summary.writer.record_writer import RecordWriter

    run_dir = staging.parent
    for left in staging.iterdir():  # what a killed report left
        if left.is_dir() and not left.is_symlink():
            shutil.rmtree(left)
        else:
            left.unlink()
    with atomic_path(staging / name) as tmp, open(tmp, "wb") as f:
        records = RecordWriter(f)
        records.write(
            Event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString()
        )
        for tag, path in images.items():
            summary = png_summary(f"summarize/{tag}", Path(path))
            event = Event(wall_time=time.time(), step=step, summary=summary)
            records.write(event.SerializeToString())
    with signals_held():  # a Ctrl-C between the two steps left both reports' files
        os.replace(staging / name, run_dir / name)
        for earlier in run_dir.glob(f"events.out.tfevents.*{REPORT_EVENTS_SUFFIX}"):
            if earlier.name != name:
                earlier.unlink(missing_ok=True)
