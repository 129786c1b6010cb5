"""Each distinct task note said once per command.

A task's notes (a dataset's ``notes``, a concept's ``check_inputs``, a target's or reward's
``check_task``) are printed as each run builds its task. ``ffade loop`` runs three of them in one
process (discovery, fine-tune, rediscovery) on one task, so the same note came three times, as
if three things were wrong. Within :func:`notes_said_once` (each ``ffade`` command), a note
already said is not said again; a note that differs (another split's count) still is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ffade.errors import print_line

_said: set[str] | None = None
"""The notes said so far in this command; None outside one (a Python call: each says its own)."""


@contextmanager
def notes_said_once() -> Iterator[None]:
    """Within it, :func:`first_time` is true once per distinct note (nested: the outer counts)."""
    global _said
    if _said is not None:
        yield
        return
    _said = set()
    try:
        yield
    finally:
        _said = None


def first_time(note: str) -> bool:
    """Whether ``note`` is to be said: always outside :func:`notes_said_once`, else only the first
    time in it."""
    if _said is None:
        return True
    if note in _said:
        return False
    _said.add(note)
    return True


def say_notes(notes: Iterable[str]) -> None:
    """Print each note not said yet in this command as one ``ffade: note:`` line on stderr: what
    ``ffade export`` and ``ffade check`` say of the task they build, as ``ffade fit`` does (a
    target's "text cut to the model's positions" holds for the pairs they measure too)."""
    for note in notes:
        if first_time(note):
            print_line(f"ffade: note: {note}")
