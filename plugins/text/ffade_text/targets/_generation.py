"""The generation settings a seq2seq summarizer's config may give, checked when it is built."""

from __future__ import annotations

from typing import Any

from ffade.errors import FfadeError, as_written

GENERATION_KEYS = (
    "max_new_tokens",
    "min_new_tokens",
    "num_beams",
    "do_sample",
    "length_penalty",
    "no_repeat_ngram_size",
    "early_stopping",
    "repetition_penalty",
)
"""Generation settings a config may set. ``do_sample`` may only be false: sampling is off."""

_LEAST = {"max_new_tokens": 1, "num_beams": 1, "min_new_tokens": 0, "no_repeat_ngram_size": 0}
"""Generation settings that count something, with the least each may be."""


def check_generation(generation: Any) -> None:
    """Each generation setting has its key's type, so a mistaken value is one line when the
    target is built, not a TypeError from inside ``generate`` at the first evaluation."""
    where = "target 'seq2seq_summarizer': generation"
    if not isinstance(generation, dict):
        raise FfadeError(
            f"{where} must be a mapping such as {{max_new_tokens: 64}}, got "
            f"{as_written(generation)}"
        )
    unknown = sorted(map(str, set(generation) - set(GENERATION_KEYS)))
    if unknown:  # named as the config spells it, generation.temperature, as each value is
        others = f" (nor {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
        raise FfadeError(
            f"{where}.{unknown[0]} is not allowed{others}; allowed generation keys: "
            f"{', '.join(GENERATION_KEYS)}"
        )
    for key, value in generation.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if key in _LEAST:
            ok = number and value == int(value) and value >= _LEAST[key]
            expected = f"a whole number, at least {_LEAST[key]}"
        elif key in ("do_sample", "early_stopping"):
            ok, expected = isinstance(value, bool), "true or false"
        elif key == "repetition_penalty":
            ok, expected = number and value > 0, "a number above 0 (1: no penalty)"
        else:  # length_penalty: an exponent on the length, negative favours short summaries
            ok, expected = number, "a number"
        if not ok:
            raise FfadeError(
                f"{where}.{key} {as_written(value)} is not allowed; expected {expected}"
            )
    if generation.get("do_sample") is True:  # a search's failures must reproduce
        raise FfadeError(
            f"{where}.do_sample true is not allowed: sampling draws another summary at each "
            "evaluation, so a failure found would not reproduce; leave it out (greedy) or set "
            "num_beams"
        )
