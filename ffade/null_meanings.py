"""What a null does for a model argument that takes one, said wherever its value is refused.

``reward_clip``'s null means no clipping: its refusal of ``0`` said so, but its refusal of
``-inf`` (parsed by jsonargparse, not by the explorer's check) said only "a finite number", as
if null were not allowed. Both refusals read the meaning here, so they cannot drift apart.
"""

from __future__ import annotations

NULL_MEANS: dict[str, str] = {"reward_clip": "no clipping"}
"""{model argument: what its null does}; an argument not here takes no null."""


def or_null(key: str) -> str:
    """``, or null (no clipping)`` for ``reward_clip`` (``model.init_args.`` before it or not),
    said after what the key allows; ``""`` for a key a null does not set."""
    meaning = NULL_MEANS.get(key.removeprefix("model.init_args."))
    return f", or null ({meaning})" if meaning else ""
