"""Values said as a YAML config writes them, for messages: a user types YAML, not Python."""

from __future__ import annotations

import json

import yaml


def as_written(value: object) -> str:
    """A value as a YAML or JSON file writes it: ``null``, ``true``, ``false``, not Python's
    ``None``, ``True``, ``False`` (a user who typed ``{axis0: null}`` was told of a value None);
    a string alone as its ``repr``, whose quotes show a number given as text. A list or mapping
    says its items so too (``[1, null]``, not ``[1, None]``), and its strings as YAML writes
    them in one (``[axis]``, ``{name: rotation}``, not ``['axis']``; quoted only where YAML
    would read another value, ``['5']``)."""
    return _said(value, inside=False)


def a_type(value: object) -> str:
    """``value``'s type with the article it reads with: ``a list``, ``an int``, ``an ndarray``
    (said "en-dee-array"; "a ndarray" read as a slip in an error line)."""
    return with_article(type(value).__name__)


def with_article(name: str) -> str:
    """``name`` (a type's, or a kind of batch) after the article it reads with: ``a tensor``,
    ``an ndarray``, ``an int``; a message that wrote ``a {name}`` said "a ndarray"."""
    return f"{'an' if name[:1].lower() in 'aeiou' or name == 'ndarray' else 'a'} {name}"


def _said(value: object, inside: bool) -> str:
    """``value`` as :func:`as_written` says it; ``inside`` a list or mapping, a string plain."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_said(item, inside=True) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{_said(k, inside=True)}: {_said(v, inside=True)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    if inside and isinstance(value, str):
        return _yaml_item(value)
    return repr(value)


def _yaml_item(text: str) -> str:
    """``text`` as YAML writes it in a flow list: plain where it reads back as this string,
    quoted where it would not (``'5'``, ``'null'``, ``'a, b'``); one on several lines, which
    YAML would fold over lines, in JSON's escaped quotes (a message is one line)."""
    dumped = yaml.safe_dump([text], default_flow_style=True, width=float("inf"), allow_unicode=True)
    item = dumped.strip()[1:-1]
    return json.dumps(text, ensure_ascii=False) if "\n" in item else item
