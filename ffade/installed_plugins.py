"""Installed entry points, read once per change to what is installed instead of once per call.

``importlib.metadata.entry_points(group=...)`` reads the metadata of every installed distribution
on each call (about 10 ms here, 300 distributions); one small discovery run called it about ten
times, and ``ffade fit`` pays for it before its first evaluation. A plugin a user pip-installs
in the middle of a notebook must still be found by the next call, so the entry points are kept
with a fingerprint of what decides them and read again whenever it changes:

- ``sys.path`` (and the current directory, which ``''`` stands for) and ``sys.meta_path``;
- each path entry's modification time: installing, reinstalling or removing a distribution adds
  or removes a ``*.dist-info`` directory (or an ``.egg-info``, a ``.pth``) there;
- the time of each ``*.egg-info/entry_points.txt`` in them: a ``pip install -e`` of an old-style
  project (``setup.py develop``) rewrites that file in place, in a directory that stays.

Checking it takes one stat per path entry and per ``.egg-info`` (the listing of each directory
is kept until the directory changes), not a reading of every distribution's metadata. A time
within the last few seconds is not trusted (git's "racy" rule): a file system stamps times by
the clock tick, or by two seconds, so a second change within the tick of the first would leave
the same time; until it settles, every call reads the entry points afresh.
"""

from __future__ import annotations

import os
import sys
import time
from importlib.metadata import EntryPoint, MetadataPathFinder, entry_points

_SETTLED_NS = 3_000_000_000
"""A time this close to now may be shared by a change still to come: it keys nothing."""

_listings: dict[str, tuple[int, tuple[str, ...]]] = {}
"""path directory -> (its modification time, the ``.egg-info`` directories in it then)."""

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
    MetadataPathFinder().invalidate_caches()  # on an instance: 3.10 and 3.11 lack @classmethod
    everything = entry_points()  # 3.10, 3.11: a dict by group, whose dict reading is deprecated
    return {
        group: tuple(sorted(everything.select(group=group), key=lambda e: e.name))
        for group in everything.groups
    }


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
        stamps = []
        for name in _egg_infos(path, mtime):
            try:
                stamp: int | None = os.stat(
                    os.path.join(path, name, "entry_points.txt")
                ).st_mtime_ns
            except OSError:
                stamp = None
            if stamp is not None and stamp > recent:
                return None
            stamps.append((name, stamp))
        parts.append((entry, path, mtime, tuple(stamps)))
    return tuple(parts)


def _egg_infos(path: str, mtime: int) -> tuple[str, ...]:
    """The ``.egg-info`` directories in ``path``, listed again only when ``path`` has changed
    (its time settled: a recent one never gets here)."""
    known = _listings.get(path)
    if known is not None and known[0] == mtime:
        return known[1]
    try:
        names = tuple(sorted(n for n in os.listdir(path) if n.lower().endswith(".egg-info")))
    except OSError:  # a zip file, or not readable: its own time stands for its contents
        names = ()
    _listings[path] = (mtime, names)
    return names
