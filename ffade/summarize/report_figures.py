"""Which pictures a report leaves under ``figures/``: those of the report written, and none of
one stopped before it was written.

A report stopped by Ctrl-C (or any error) after it made ``figures/`` and before its report files
were written left that folder behind, empty or with pictures no report names, in a run that had
none; a report written before lost the pictures it names that this one does not draw (``--compare``
dropped) before the new report replaced it. :func:`report_pictures` keeps both whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

FIGURES = (
    "failure_rate",
    "action_probabilities",
    "compare_failure_rate",
    "compare_action_probabilities",
)
"""The pictures a report may draw under ``figures/``, each checked before the work."""


@contextlib.contextmanager
def report_pictures(folder: Path) -> Iterator[dict[str, Path]]:
    """The pictures drawn in the block, by name, for the block to fill as it saves them into
    ``folder``; the block ends once the report files are written.

    Ended by an exception (Ctrl-C is one): where the block made ``folder``, the pictures of
    :data:`FIGURES` in it go and so does the folder if nothing else is there, leaving the run as
    it was; a folder there before keeps its pictures (a report written before still names them,
    redrawn in place or not). Ended well: the pictures of :data:`FIGURES` not drawn go, so a
    folder reported into before with ``--compare`` does not keep the other run's pictures beside
    a report without them.
    """
    made = not folder.exists()
    drawn: dict[str, Path] = {}
    try:
        yield drawn
    except BaseException:
        if made and folder.is_dir():
            for name in FIGURES:
                (folder / f"{name}.png").unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # something else was put there meanwhile: kept
                folder.rmdir()
        raise
    for name in FIGURES:
        if name not in drawn:
            (folder / f"{name}.png").unlink(missing_ok=True)
