"""A run resumed in its own directory: its earlier TensorBoard files end where it goes on.

A config that pins the logger's ``version`` (a loop stage's) resumes in the run directory it
stopped in, beside the earlier part's events file. That file holds the steps after the
checkpoint too, which the resumed run makes and logs again, and Lightning's ``hp_metric`` and
hyperparameters, which it writes again: TensorBoard drew each of those twice, its charts
stepping back. Before the resumed run logs its first step, the earlier files are rewritten
without them, so every step is in the directory once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ffade.records import atomic_path

REWRITTEN_AGAIN = ("hp_metric", "_hparams_/")
"""Tags Lightning writes again when a resumed run starts: the new file's copy stays."""


def trim_earlier_events(logger: Any, first_step: int) -> None:
    """Cut the events files beside ``logger``'s own (a resume in the same directory) to the
    steps before ``first_step``, the resumed run's first, and drop what it writes again.

    Does nothing for a logger without TensorBoard's writer (CSVLogger) or a new directory.
    The ``ffade report`` file is left alone: the next report replaces it.
    """
    writer = getattr(getattr(logger, "experiment", None), "file_writer", None)
    if writer is None:
        return
    own = Path(writer.event_writer._file_name)  # torch's SummaryWriter names its file here
    for path in sorted(own.parent.glob("events.out.tfevents.*")):
        if path == own or not path.is_file() or path.name.endswith((".tmp", ".ffade-report")):
            continue
        _trim(path, first_step)


def _kept(event: Any, first_step: int) -> bool:
    """Whether an earlier part's event stays: not one the resumed run writes again."""
    if not event.HasField("summary"):
        return True  # the file's version record
    if event.step >= first_step:
        return False
    return not any(value.tag.startswith(REWRITTEN_AGAIN) for value in event.summary.value)


def _trim(path: Path, first_step: int) -> None:
    """Rewrite ``path`` keeping the events :func:`_kept` keeps; untouched if it keeps them all."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.summary.writer.record_writer import RecordWriter

    records = list(RawEventFileLoader(str(path)).Load())
    kept = [r for r in records if _kept(Event.FromString(r), first_step)]
    if len(kept) == len(records):
        return
    stat = path.stat()
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        writer = RecordWriter(f)
        for record in kept:
            writer.write(record)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
