"""A prompt as concepts change it: a template with slots, words around it and sampler knobs.

Concepts never edit a prompt's text in place; each sets one field of a frozen :class:`Prompt`
(a slot's words, words before or after, the guidance scale, the number of steps), and
:attr:`Prompt.text` composes the final prompt. Fields are independent, so concepts commute,
and the whole record identifies an evaluation: its :meth:`Prompt.key` seeds the latents.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ffade.errors import FfadeError


def slot_names(template: str) -> list[str]:
    """The ``{slot}`` names in a template, each once, in order: ``["descriptor", "profession"]``.

    A slot may appear more than once (``{x} and {x}``): one concept fills every place.
    """
    try:
        fields = [(n, s, c) for _, n, s, c in string.Formatter().parse(template) if n is not None]
    except ValueError as exc:
        raise FfadeError(
            f"prompt {template!r} is not a valid template: {exc}; write each slot as "
            "{descriptor}, or {{ and }} for literal braces"
        ) from exc
    for name, spec, conversion in fields:
        if not name.isidentifier():  # {}, {0}, {x.y}: not slots
            problem = f"{{{name}}} is not a slot name"
        elif spec or conversion:  # {x!r} wrote quotes into the prompt, "a ''" when unfilled
            problem = f"slot {{{name}}} has a {'conversion' if conversion else 'format'} part"
        else:
            continue
        raise FfadeError(
            f"prompt {template!r} is not a valid template: {problem}; write {{descriptor}}, "
            "or {{ and }} for literal braces"
        )
    return list(dict.fromkeys(name for name, _, _ in fields))


@dataclass(frozen=True)
class Prompt:
    """One text-to-image input: what to draw, and how to sample it.

    Attributes:
        template: the base prompt; ``{name}`` marks a slot that a ``prompt_slot`` concept fills
            (an unfilled slot reads as nothing).
        sample: which of the prompt's noise samples this is; the dataset gives each base prompt
            several, so discovery, fine-tuning and held-out inputs differ in prompt *or* seed.
        slots: filled slots, ``(name, words)`` pairs sorted by name.
        before: words put before the prompt.
        after: words put after it.
        guidance_scale: classifier-free guidance for this input; None: the target's setting.
        num_inference_steps: sampler steps for this input; None: the target's setting.
    """

    template: str
    sample: int = 0
    slots: tuple[tuple[str, str], ...] = field(default=())
    before: str = ""
    after: str = ""
    guidance_scale: float | None = None
    num_inference_steps: int | None = None

    @property
    def text(self) -> str:
        """The prompt the pipeline receives, single-spaced."""
        fills = dict(self.slots)
        body = self.template.format(
            **{name: fills.get(name, "") for name in slot_names(self.template)}
        )
        return " ".join(f"{self.before} {body} {self.after}".split())

    def with_slot(self, name: str, words: str) -> Prompt:
        """This prompt with slot ``name`` filled by ``words``."""
        if name not in slot_names(self.template):
            raise FfadeError(
                f"prompt {self.template!r} has no slot {{{name}}}; its slots: "
                f"{', '.join(slot_names(self.template)) or 'none'}"
            )
        fills = dict(self.slots) | {name: words}
        return replace(self, slots=tuple(sorted(fills.items())))

    def with_words(self, words: str, position: str) -> Prompt:
        """This prompt with ``words`` added at the start ("before") or the end ("after")."""
        if position == "before":
            return replace(self, before=f"{words} {self.before}".strip())
        return replace(self, after=f"{self.after} {words}".strip())

    def key(self) -> str:
        """Everything that makes this evaluation what it is, as one stable string."""
        return repr(
            (
                self.template,
                self.sample,
                self.slots,
                self.before,
                self.after,
                self.guidance_scale,
                self.num_inference_steps,
            )
        )

    def seed(self, base_seed: int) -> int:
        """The latents' seed: a hash of :meth:`key` and ``base_seed``, the same in every process."""
        digest = hashlib.sha256(f"{base_seed}|{self.key()}".encode()).digest()
        return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def unchanged(prompt: Prompt) -> Prompt:
    """The prompt with no concept applied: no slot words, no added words, the target's sampler."""
    return replace(
        prompt, slots=(), before="", after="", guidance_scale=None, num_inference_steps=None
    )


def tokenize_prompts(tokenizer: Any, texts: list[str], who: str, padding: Any = "max_length"):
    """Token ids (and attention mask) of each prompt as tensors, its length checked first.

    The lengths are counted unpadded: padded to the batch's longest, every prompt would count
    as long as that one, and the error would name the batch's first prompt."""
    check_prompt_lengths(tokenizer, texts, who)  # too long: our error, not theirs
    return tokenizer(texts, padding=padding, verbose=False).convert_to_tensors("pt")


def check_prompt_lengths(tokenizer: Any, texts: list[str], who: str) -> None:
    """A prompt longer than the text encoder reads is a one-line error, not the tokenizer's
    truncation: cut, its last words (often the very concept value under test, such as words
    added after the prompt) would do nothing, and the search would call that value harmless."""
    # verbose=False: transformers' own warning about a long sequence would come first, and the
    # one-line error below would be the second line on stderr
    ids = tokenizer(texts, verbose=False).input_ids
    _check_lengths(texts, ids, tokenizer.model_max_length, who)


def _check_lengths(texts: list[str], ids: list[list[int]], limit: int, who: str) -> None:
    for text, tokens in zip(texts, ids, strict=True):
        if len(tokens) > limit:
            raise FfadeError(
                f"{who}: prompt {text!r} is {len(tokens)} tokens, but its text encoder reads at "
                f"most {limit}; the words past that would do nothing: shorten the base prompts "
                "or the words the concepts add (task.concepts)"
            )


def longest_texts(
    prompts: Sequence[Prompt],
    concepts: Sequence[Any],
    count: Callable[[list[str]], list[int]],
    pick: Callable[..., int] = max,
) -> list[str]:
    """Each distinct prompt at its longest: concept by concept, the value whose text ``count``
    (tokens per text) makes longest (``pick=min``: shortest).

    Concepts set separate fields (a slot, words before or after), so their lengths add and
    choosing each concept's longest value in turn finds the longest prompt the grid can make,
    without trying every combination.
    """
    longest = list(dict.fromkeys(replace(p, sample=0) for p in prompts))  # samples: same text
    for concept in concepts:
        options = [concept.apply([p], v)[0] for p in longest for v in concept.values]
        sizes = count([option.text for option in options])
        width = len(concept.values)
        for i in range(len(longest)):
            row = range(i * width, (i + 1) * width)
            longest[i] = options[pick(row, key=lambda k: sizes[k])]
    return [p.text for p in longest]
