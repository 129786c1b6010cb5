"""The picture maker ``ffade feedback`` draws region pictures with: :mod:`ffade.feedback.pictures`
(torch, matplotlib, the run's plugins) is imported at the first picture, so ``--no-examples``
and answers that skip every slice import none of them. Apart from
:mod:`ffade.feedback.picture_files`, which the drawing module imports, so no import goes round.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError, FfadeWarning
from ffade.summarize.regions import Region


def no_pictures(region: Region) -> None:
    """The picture maker of ``--no-examples``: draws nothing, so no bar counts its pictures."""
    return None


def picture_maker(run_dir: Path, count: int) -> Callable[[Region], str | None]:
    """A function that saves a region's pictures and returns their path relative to the run.

    ``count`` examples per region; 0 makes none. The first failure (a plugin missing, say) is
    said once, as an :class:`FfadeWarning` (the CLI's ``ffade: warning:`` line on stderr; it was
    a bare line on stdout, among the prompts and the answers a script reads), and later regions
    get no pictures: they help a person decide, and must not stop the answers from being saved.
    """
    if count < 1:
        return no_pictures
    makers: list[Any] = []  # made at the first picture: every answer skip imports no torch
    broken: list[str] = []

    def picture(region: Region) -> str | None:
        if broken:
            return None
        if not makers:
            from ffade.feedback.pictures import RegionPictures  # torch, matplotlib: to draw

            makers.append(RegionPictures(run_dir, count))
        try:
            path = makers[0].save(region)
        except FfadeError as exc:  # pictures help a person; missing plugins must not block them
            broken.append(str(exc))
            warnings.warn(f"no example pictures: {exc}", FfadeWarning, stacklevel=2)
            return None
        return None if path is None else str(path.relative_to(run_dir))

    return picture
