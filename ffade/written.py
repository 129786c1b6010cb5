"""Values said as a YAML config writes them, for messages: a user types YAML, not Python."""

from __future__ import annotations


def as_written(value: object) -> str:
    """A value as a YAML or JSON file writes it: ``null``, ``true``, ``false``, not Python's
    ``None``, ``True``, ``False`` (a user who typed ``{axis0: null}`` was told of a value None);
    anything else as its ``repr``, whose quotes show a number given as text. A list or mapping
    says its items so too (``[1, null]``, not ``[1, None]``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(as_written(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{as_written(k)}: {as_written(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return repr(value)
