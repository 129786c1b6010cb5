"""Where ``ffade feedback`` keeps example pictures, and which of them stay: no torch, matplotlib
or plugin here, so ``--no-examples`` and the saving of answers import none of them; drawing the
pictures (:mod:`ffade.feedback.pictures`) is imported only when a picture is drawn
(:mod:`ffade.feedback.picture_maker`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from ffade.errors import FfadeError
from ffade.feedback.priorities import FEEDBACK_FILE, Feedback, read_feedback

PICTURES_DIR = "feedback"
"""Where region pictures go, inside the run directory."""

_PICTURE = re.compile(r"[RS]-[0-9a-f]{8}\.(png|md)")
"""A picture's name: a region's (``R-``) or rule's (``S-``) id, as :class:`RegionPictures` saves."""


def pictures_as_saved(feedback: Feedback, out: Path, run_dir: str | Path) -> None:
    """After ``feedback`` was saved to ``out``: ``RUN/feedback/`` holds the pictures of the
    slices the run's own feedback.yaml holds, no others. Answers replaced (``--redo`` with other
    settings) left theirs beside the new ones, for a reader to take as pictures of what the file
    ranks; so did answers that now name none (``examples: null``: ``--from ... --redo`` making
    them skip, ``--no-examples``). An ``--out`` file elsewhere removes none: the run's own file
    may still name them."""
    folder = Path(run_dir) / PICTURES_DIR
    if out.resolve() != (Path(run_dir) / FEEDBACK_FILE).resolve() or not folder.is_dir():
        return
    keep = {r.id for r in feedback.regions if r.examples}
    for path in folder.iterdir():
        if _PICTURE.fullmatch(path.name) and path.stem not in keep and path.is_file():
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def pictures_of_answers_only(run_dir: str | Path, feedback: Feedback) -> Iterator[None]:
    """Drop, when the block ends however it ends, each picture drawn in it for a slice
    ``feedback`` holds no answer for: the picture of the slice a person stopped at (``q``,
    Ctrl-D, Ctrl-C, ``< /dev/null``), which no saved file names, and ``RUN/feedback/`` itself
    if the block made it and left it empty. A picture there before is left as it was."""
    folder = Path(run_dir) / PICTURES_DIR
    before = set(folder.iterdir()) if folder.is_dir() else None
    try:
        yield
    finally:
        _drop_drawn(folder, before, {r.id for r in feedback.regions})


@contextlib.contextmanager
def pictures_dropped_if_unsaved(run_dir: str | Path, out: Path) -> Iterator[None]:
    """Drop, when the block fails (``--from`` refused because ``out`` changed meanwhile, an
    error, Ctrl-C), each picture drawn in it that no saved answer names (in ``out`` or the run's
    own feedback.yaml, as they are now): the refused command left them in ``RUN/feedback/``, for
    a reader to take as pictures of answers. A picture there before is left as it was."""
    folder = Path(run_dir) / PICTURES_DIR
    before = set(folder.iterdir()) if folder.is_dir() else None
    try:
        yield
    except BaseException:
        named = _named_pictures(out) | _named_pictures(Path(run_dir) / FEEDBACK_FILE)
        _drop_drawn(folder, before, named)
        raise


def _named_pictures(path: Path) -> set[str]:
    """The ids whose pictures the answers saved at ``path`` name (none if it cannot be read)."""
    try:
        return {r.id for r in read_feedback(path).regions if r.examples}
    except (FfadeError, OSError):
        return set()


def _drop_drawn(folder: Path, before: set[Path] | None, keep: set[str]) -> None:
    """Remove the pictures in ``folder`` not in ``before`` whose id is not in ``keep``, and the
    folder itself if it was not there ``before`` and is left empty."""
    drawn = set(folder.iterdir()) - (before or set()) if folder.is_dir() else set()
    for path in drawn:
        if _PICTURE.fullmatch(path.name) and path.stem not in keep and path.is_file():
            path.unlink(missing_ok=True)
    if before is None and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
