"""Installed entry points, read once per change to what is installed instead of once per call.

``importlib.metadata.entry_points(group=...)`` reads the metadata of every installed distribution
on each call (about 10 ms here, 300 distributions); one small discovery run called it about ten
times, and ``ffade fit`` pays for it before its first evaluation. A plugin a user pip-installs
in the middle of a notebook must still be found by the next call, so the entry points are kept
with a fingerprint of what decides them and read again whenever it changes:

- ``sys.path`` (and the current directory, which ``''`` stands for) and ``sys.meta_path``;
- each path entry's modification time: installing or removing a distribution adds or removes a
  ``*.dist-info`` / ``*.egg-info`` directory (or a ``.pth``) there;
- each of those metadata directories' own time and that of its ``entry_points.txt``: a
  ``pip install -e`` of an old-style project rewrites ``entry_points.txt`` in an ``.egg-info``
  that stays where it was, which changes no directory listing.

Checking the fingerprint stats a few hundred files (a fraction of one reading of the metadata);
the listing of each path directory is itself kept until that directory changes. A time within the
last few seconds is not trusted (git's "racy" rule): a file system stamps times by the clock
tick, or by two seconds, so a second change within the tick of the first leaves the same time.
"""

from __future__ import annotations

import os
import sys
import time
from importlib.metadata import EntryPoint, MetadataPathFinder, entry_points

_METADATA_DIRS = (".dist-info", ".egg-info")

_SETTLED_NS = 3_000_000_000
"""A time this close to now may be shared by a change still to come: it keys nothing."""

_listings: dict[str, tuple[int, tuple[str, ...]]] = {}
"""path directory -> (its modification time, the metadata directories in it then)."""

_read: tuple[tuple[object, ...], dict[str, tuple[EntryPoint, ...]]] | None = None
"""(fingerprint, group -> its entry points sorted by name) as last read."""


def entries(group: str) -> tuple[EntryPoint, ...]:
    """The entry points installed in ``group``, sorted by name, as ``entry_points(group=group)``
    gives them now (the first distribution of a name on ``sys.path`` wins, as there)."""
    return _current().get(group, ())


def distribution(entry: EntryPoint) -> str:
    """The distribution an entry point comes from, as ``ffade plugins`` and errors name it."""
    dist = getattr(entry, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def groups() -> list[str]:
    """Every entry-point group some installed distribution lists, sorted."""
    return sorted(_current())


def _current() -> dict[str, tuple[EntryPoint, ...]]:
    """group -> its entry points, read again only when the fingerprint has changed."""
    global _read
    fingerprint = _fingerprint()
    if _read is not None and fingerprint is not None and _read[0] == fingerprint:
        return _read[1]
    by_group = _by_group()
    _read = None if fingerprint is None else (fingerprint, by_group)
    return by_group


def _by_group() -> dict[str, tuple[EntryPoint, ...]]:
    """One reading of every distribution's entry points, all groups at once. importlib's own
    listing of each directory is keyed on its time too: it is dropped, for the racy case."""
    MetadataPathFinder.invalidate_caches()
    found: dict[str, list[EntryPoint]] = {}
    for entry in entry_points():
        found.setdefault(entry.group, []).append(entry)
    return {group: tuple(sorted(ones, key=lambda e: e.name)) for group, ones in found.items()}


def _fingerprint() -> tuple[object, ...] | None:
    """What the installed entry points depend on, cheap to take (stats, no file read); None
    when a time in it is too recent to tell a later change within the same tick."""
    here = os.getcwd()
    recent = time.time_ns() - _SETTLED_NS
    parts: list[object] = [tuple(id(finder) for finder in sys.meta_path)]
    for entry in sys.path:
        try:  # '' (and any relative entry) is the current directory's, wherever that is now
            path = os.path.join(here, entry)
            mtime = os.stat(path).st_mtime_ns
        except (OSError, TypeError, ValueError):  # gone, or not a path at all
            parts.append((entry, None))
            continue
        if mtime > recent:
            return None
        stamps = tuple(
            (name, *_stamps(os.path.join(path, name))) for name in _metadata(path, mtime)
        )
        times = [mtime, *(t for stamp in stamps for t in stamp[1:] if t is not None)]
        if max(times) > recent:
            return None
        parts.append((entry, path, mtime, stamps))
    return tuple(parts)


def _metadata(path: str, mtime: int) -> tuple[str, ...]:
    """The metadata directories in ``path``, listed again only when ``path`` has changed (a
    settled time: a recent one never gets here)."""
    known = _listings.get(path)
    if known is not None and known[0] == mtime:
        return known[1]
    try:
        names = tuple(sorted(n for n in os.listdir(path) if n.lower().endswith(_METADATA_DIRS)))
    except OSError:  # a zip file, or not readable: its own time stands for its contents
        names = ()
    _listings[path] = (mtime, names)
    return names


def _stamps(info: str) -> tuple[int | None, int | None]:
    """The modification times of a metadata directory and of its ``entry_points.txt``."""
    times: list[int | None] = []
    for path in (info, os.path.join(info, "entry_points.txt")):
        try:
            times.append(os.stat(path).st_mtime_ns)
        except OSError:
            times.append(None)
    return times[0], times[1]
