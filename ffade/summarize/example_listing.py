"""The worst failing examples a run saved, read back from ``examples/examples.json``.

:func:`ffade.explore.examples.save_worst_examples` writes the listing when a run finishes: one
entry per example, with a ``file`` (a PNG beside it) or, for targets without pictures, the
changed ``input`` text. Reports and :class:`ffade.Run` read it here, checked entry by entry, so
a hand-edited or damaged listing is one line naming the entry and key, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError

EXAMPLES_LISTING = Path("examples") / "examples.json"


def read_examples(run_dir: str | Path) -> list[dict[str, Any]]:
    """The listing's entries, worst first ([] when the run saved none).

    Raises:
        FfadeError: the listing is not JSON, not a list, or an entry is not a mapping with a
            ``file`` or ``input`` string (and, if given, ``changed`` as a mapping).
    """
    listing = Path(run_dir) / EXAMPLES_LISTING
    if not listing.is_file():
        return []
    try:
        entries = json.loads(listing.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        why = str(error).splitlines()[0][:80]
        raise FfadeError(f"{listing} is not valid JSON ({why}); expected a list") from None
    if not isinstance(entries, list):
        raise FfadeError(f"{listing} is damaged: expected a list of examples, one per failure")
    for i, entry in enumerate(entries):
        where = f"{listing} entry [{i}]"
        if not isinstance(entry, dict):
            raise FfadeError(f"{where} is {entry!r}; expected a mapping with 'file' or 'input'")
        if not any(isinstance(entry.get(key), str) for key in ("file", "input")):
            raise FfadeError(
                f"{where} has no 'file' (its picture) or 'input' (its text) string; "
                "`ffade fit` writes one of them"
            )
        if not isinstance(entry.get("changed") or {}, dict):
            raise FfadeError(
                f"{where}: 'changed' is {entry['changed']!r}; expected a mapping of concept "
                "labels to values"
            )
    return entries
