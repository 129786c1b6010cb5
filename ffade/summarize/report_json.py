"""report.json's text: indented like ffade's other JSON files, but a list or object of plain
values on one line.

``json.dumps(indent=2)`` puts every number of a list on a line of its own, indented as deep as the
list sits: each member state of a region (``[3, 0, 7, 1, 9, 2]``) took eight lines of about twenty
characters, and a report of 200,000 evaluations on a 10^6-state grid was 27 MB, 57% of it spaces
and line ends; a 10^7-state grid's was 56 MB. Written here, a state or its values is one line,
the file holds the same data (``json.load`` reads back the very same object), and that report is
15 MB, written in less time.
"""

from __future__ import annotations

import json
from typing import Any

from ffade.record_lines import jsonable

INDENT = "  "
_encode = json.JSONEncoder(default=jsonable).encode
NESTED = (dict, list, tuple)
"""What makes a list or object take a line per item: it holds containers (a region's states)."""


def report_json_text(data: Any) -> str:
    """``data`` as JSON text (ending with a line end), each list or object of plain values on one
    line (a state's grid indices, its values by concept)."""
    parts: list[str] = []
    _write(data, "", parts)
    parts.append("\n")
    return "".join(parts)


def _write(value: Any, pad: str, parts: list[str]) -> None:
    """Append ``value``'s JSON to ``parts`` at indentation ``pad``: containers of containers a
    line per item (recursively), anything else on one line, as :func:`report_json_text` says."""
    if not isinstance(value, (dict, list, tuple, str, int, float, bool, type(None))):
        value = jsonable(value)  # numpy numbers, as write_json_atomic writes them
    inner = pad + INDENT
    if isinstance(value, dict) and any(isinstance(x, NESTED) for x in value.values()):
        parts.append("{")
        for i, (key, item) in enumerate(value.items()):
            name = key if isinstance(key, str) else _encode(key)  # json's rule: 1 -> "1"
            parts.append(("," if i else "") + "\n" + inner + _encode(name) + ": ")
            _write(item, inner, parts)
        parts.append("\n" + pad + "}")
    elif isinstance(value, (list, tuple)) and any(isinstance(x, NESTED) for x in value):
        parts.append("[")
        for i, item in enumerate(value):
            parts.append(("," if i else "") + "\n" + inner)
            _write(item, inner, parts)
        parts.append("\n" + pad + "]")
    else:  # a plain value, or a list or object of plain values: one line
        parts.append(_encode(value))
