"""A config's key that only holds YAML anchors, told how anchors work in an ffade config.

Docker Compose and others take a spare key for anchors (``x-defs: {ax: &ax {...}}``, reused as
``*ax``). jsonargparse, which reads ffade's configs, refuses every key it does not know, so a
misspelt key is never dropped without a word (its maintainers keep it so:
omni-us/jsonargparse#536), and ffade keeps that rule. Anchors work where a value is first used,
though: ``- &ax {name: axis, args: {index: 0}}``, then ``- *ax`` or ``<<: *ax`` below. The
plain "unknown key '_defs'" said none of that.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from ffade.errors import FfadeError


def check_anchor_keys(paths: Sequence[Path], allowed: Sequence[str]) -> None:
    """Refuse, in one line that says how to write it, a top-level key of a config file that is
    not one of ``allowed`` and whose value defines an anchor used elsewhere in the file."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            if "&" not in text:  # no anchor: nothing to check, and no slow PyYAML pass over
                continue  # a config whose grid holds 10^5 values
            root = yaml.compose(text)
            anchors = {  # a node keeps no anchor: the event that starts it does
                _place(e.start_mark): e.anchor
                for e in yaml.parse(text)
                if getattr(e, "anchor", None) and not isinstance(e, yaml.AliasEvent)
            }
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # said by the checks that read the file
        if not isinstance(root, yaml.MappingNode):
            continue
        for key, value in root.value:
            if not isinstance(key, yaml.ScalarNode) or key.value in allowed:
                continue
            inside = {id(n) for n in _nodes(value)}  # an alias is the very node it names
            rest = (n for k, v in root.value if k is not key for n in _nodes(v))
            used = [anchors.get(_place(n.start_mark), "") for n in rest if id(n) in inside]
            if used:
                raise FfadeError(
                    f"--config {path}: unknown key '{key.value}' (it holds the YAML anchor "
                    f"&{used[0]}); a config takes only its own keys ({', '.join(allowed)}): "
                    f"put the anchor where its value is first used (KEY: &{used[0]} VALUE) and "
                    f"write *{used[0]} where it repeats (<<: *{used[0]} to merge it into a mapping)"
                )


def _place(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line, mark.column


def _nodes(node: yaml.Node, seen: set[int] | None = None) -> Iterator[yaml.Node]:
    """``node`` and every node under it, each once (an alias is the very node it names)."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    yield node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _nodes(key, seen)
            yield from _nodes(value, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _nodes(item, seen)
