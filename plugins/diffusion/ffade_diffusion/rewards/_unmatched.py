"""Which prepared prompt ratings no image of the task can have: the prompts its grid makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

MAX_PROMPTS = 200_000
"""Past this many distinct prompts the grid is not listed (None: nothing is said)."""


def grid_prompts(inputs: Sequence[Any], concepts: Sequence[Any]) -> set[str] | None:
    """Every prompt text the task's grid makes: each concept applied, in order, with each of its
    values, to what the concepts before it made. A knob (guidance, steps) leaves the text as it
    is, so the prompts kept apart are those whose words differ; None past :data:`MAX_PROMPTS`."""
    made = list({_words(p): p for p in inputs}.values())
    for concept in concepts:
        made = list(
            dict.fromkeys(p for value in concept.values for p in concept.apply(made, value))
        )
        made = list({_words(p): p for p in made}.values())
        if len(made) > MAX_PROMPTS:
            return None
    return {p.text for p in made}


def _words(prompt: Any) -> tuple[Any, ...]:
    """What decides a prompt's text now and after later concepts: all but its sampling knobs."""
    return (prompt.template, prompt.slots, prompt.before, prompt.after)


def unmatched(rated: Iterable[str], inputs: Sequence[Any], concepts: Sequence[Any]) -> list[str]:
    """The rated prompts (single-spaced, as read) that no input and state of the task makes."""
    made = grid_prompts(inputs, concepts)
    return [] if made is None else [prompt for prompt in rated if prompt not in made]
