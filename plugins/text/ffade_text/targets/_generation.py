"""The generation settings of a seq2seq summarizer: which are allowed, and what ``generate`` gets.

A hub summarizer ships its decoding in ``generation_config.json`` (BART-large-CNN: four beams,
a length penalty, a least length, no repeated trigrams, ...). Those are the settings the model
was tuned with and what ``model.generate()`` uses, so they apply here too; a key the config's
``generation`` names overrides the model's own value. Two things are ffade's: sampling is
always off (a failure found must reproduce), and a model that sets no length at all writes at
most :data:`DEFAULT_MAX_NEW_TOKENS` tokens (transformers' own fallback is 20, with a warning).
"""

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

DEFAULT_MAX_NEW_TOKENS = 64
"""The longest summary of a model whose generation config sets neither max_new_tokens nor
max_length."""

WHERE = "target 'seq2seq_summarizer': generation"


def check_generation(generation: Any) -> None:
    """Each generation setting has its key's type, so a mistaken value is one line when the
    target is built, not a TypeError from inside ``generate`` at the first evaluation."""
    if not isinstance(generation, dict):
        raise FfadeError(
            f"{WHERE} must be a mapping such as {{max_new_tokens: 64}}, got "
            f"{as_written(generation)}"
        )
    unknown = sorted(map(str, set(generation) - set(GENERATION_KEYS)))
    if unknown:  # named as the config spells it, generation.temperature, as each value is
        others = f" (nor {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
        raise FfadeError(
            f"{WHERE}.{unknown[0]} is not allowed{others}; allowed generation keys: "
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
                f"{WHERE}.{key} {as_written(value)} is not allowed; expected {expected}"
            )
    if generation.get("do_sample") is True:  # a search's failures must reproduce
        raise FfadeError(
            f"{WHERE}.do_sample true is not allowed: sampling draws another summary at each "
            "evaluation, so a failure found would not reproduce; leave it out (ffade never "
            "samples) or set num_beams"
        )


def apply_generation(model: Any, generation: dict[str, Any], positions: int | None) -> dict:
    """Set the model's generation config to what each summary is generated with.

    The config's ``generation`` overrides the model's ``generation_config.json`` key by key;
    ``do_sample`` is always false. Written into ``model.generation_config`` rather than passed
    to each ``generate`` call, so that a ``max_new_tokens`` given over the model's
    ``max_length`` is not transformers' "both set" warning at every evaluation.

    Args:
        model: the loaded ``AutoModelForSeq2SeqLM``; its generation config is changed in place.
        generation: the checked settings the config gives (see :func:`check_generation`).
        positions: the most tokens the model writes (learned positions), or None.

    Returns:
        The settings ffade sets over the model's own, ``do_sample: false`` included.
    """
    own = model.generation_config
    settings = {**generation, "do_sample": False}
    if "max_new_tokens" in generation:
        own.max_length = None  # the config's length wins; the model's no longer counts
    elif own.max_new_tokens is None and own.max_length is None:
        settings["max_new_tokens"] = DEFAULT_MAX_NEW_TOKENS
    if "min_new_tokens" in generation:
        own.min_length = None
    own.update(**settings)
    check_length(own, positions, "max_new_tokens" in generation)
    return settings


def check_length(own: Any, positions: int | None, given: bool) -> None:
    """Refuse a longest summary past the model's learned positions: an IndexError mid-search."""
    if positions is None:
        return
    if own.max_new_tokens is not None and own.max_new_tokens > positions:
        source = "" if given else " (the model's generation_config.json)"
        raise FfadeError(
            f"{WHERE}.max_new_tokens {own.max_new_tokens}{source} is more than the {positions} "
            f"tokens the model writes (its max_position_embeddings); set max_new_tokens to at "
            f"most {positions}"
        )
    if own.max_new_tokens is None and own.max_length is not None and own.max_length > positions + 1:
        raise FfadeError(  # max_length counts the decoder's start token
            f"{WHERE}: the model's generation_config.json sets max_length {own.max_length}, more "
            f"than the {positions} tokens the model writes (its max_position_embeddings); set "
            f"generation.max_new_tokens to at most {positions}"
        )
