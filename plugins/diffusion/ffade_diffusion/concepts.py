"""Prompt concepts: fill a slot, add words around the prompt, turn a sampler knob.

Each sets one field of every :class:`~ffade_diffusion.prompts.Prompt` of a batch, so the same
(prompt, value) always gives the same prompt, and concepts of different fields commute. The
paper's grid is three ``prompt_slot`` concepts over ``{descriptor} {profession} in {setting}``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

from ffade.errors import ConceptValueError, FfadeWarning, as_written
from ffade.plugin_api import Concept
from ffade_diffusion.prompts import Prompt, slot_names

POSITIONS = ("before", "after")


class _PromptConcept(Concept):
    """Checks that inputs are prompts; subclasses change one prompt at a time."""

    def check_inputs(self, inputs: Sequence[Any]) -> list[str]:
        """Refuse other inputs when the task is built, not at the first evaluation."""
        odd = next((p for p in inputs if not isinstance(p, Prompt)), None)
        if odd is not None:
            raise ConceptValueError(
                f"concept '{self.label}': inputs must be prompts from a ffade-diffusion dataset "
                f"(prompts, digit_prompts), not {type(odd).__name__}"
            )
        return []

    def apply(self, inputs: Sequence[Prompt], value: Any) -> list[Prompt]:
        """Every prompt of the batch changed by ``value``."""
        self.check_value(value)
        self.check_inputs(inputs)
        return [self.change(p, value) for p in inputs]

    def change(self, prompt: Prompt, value: Any) -> Prompt:
        raise NotImplementedError


class _Words(_PromptConcept):
    """Values are strings of words; the empty string is neutral.

    Without ``values`` the grid is ``[""]``, which changes nothing (the run notes it); declared as
    ``default_values`` so that ``ffade plugins`` lists it, where it said "none (a config gives
    its values)" as if a config had to.
    """

    neutral: ClassVar[Any] = ""
    default_values: ClassVar[Sequence[Any]] = ("",)

    def __init__(self, values: Sequence[Any] | None, label: str | None) -> None:
        super().__init__(values, label)
        # the prompt is single-spaced (Prompt.text), so "  " adds what "" adds and "on  paper"
        # what "on paper" does: two states recorded apart that draw the same image
        seen: dict[str, str] = {}
        for value in self.values:
            words = " ".join(value.split())
            if words in seen:
                raise ConceptValueError(
                    f"concept '{self.label}': values {seen[words]!r} and {value!r} give the "
                    f"prompt the same words ({words!r}: spaces are not words); keep one"
                )
            seen[words] = value

    def check_value(self, value: Any) -> None:
        if not isinstance(value, str) or any(c in value for c in "{}"):
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; "
                "expected words (a string without braces)"
            )


class PromptSlot(_Words):
    """Fills the ``{slot}`` of each prompt's template with words, e.g. a descriptor.

    Args:
        slot: the slot's name in the templates (``descriptor`` for ``{descriptor}``).
        values: the words to choose from, in order; "" leaves the slot empty (the neutral
            value). A grid without "" (every profession a real word) has its first value as
            the reference state that the explorer starts from and reports compare against.
        label: the name in records and reports.
    """

    def __init__(
        self, slot: str, values: Sequence[str] | None = None, label: str | None = None
    ) -> None:
        if not isinstance(slot, str) or not slot.isidentifier():
            raise ConceptValueError(
                f"concept 'prompt_slot': slot {as_written(slot)} is not allowed; expected a name "
                "like 'descriptor' (the {descriptor} of the prompts' templates)"
            )
        self.slot = slot
        super().__init__(values, label)

    def check_inputs(self, inputs: Sequence[Any]) -> list[str]:
        """A prompt without this slot is refused naming the concept, when the task is built."""
        super().check_inputs(inputs)
        lacking = next((p for p in inputs if self.slot not in slot_names(p.template)), None)
        if lacking is not None:
            slots = ", ".join(slot_names(lacking.template)) or "none"
            raise ConceptValueError(
                f"concept '{self.label}': prompt {lacking.template!r} has no slot "
                f"{{{self.slot}}}; its slots: {slots} (set slot, or write {{{self.slot}}} into "
                "the dataset's prompts)"
            )
        return []

    def change(self, prompt: Prompt, value: str) -> Prompt:
        return prompt.with_slot(self.slot, value)


class PromptWords(_Words):
    """Adds words before or after each prompt ("in the style of", "at night").

    Args:
        position: "before" or "after" the prompt.
        values: the words to choose from, in order; "" adds nothing.
        label: the name in records and reports.
    """

    def __init__(
        self, position: str = "after", values: Sequence[str] | None = None, label: str | None = None
    ) -> None:
        if position not in POSITIONS:
            raise ConceptValueError(
                f"concept 'prompt_words': position {as_written(position)} is not allowed; "
                "choose one of "
                f"{', '.join(POSITIONS)}"
            )
        self.position = position
        super().__init__(values, label)

    def change(self, prompt: Prompt, value: str) -> Prompt:
        return prompt.with_words(value, self.position) if value else prompt


class _Knob(_PromptConcept):
    """A sampler setting per prompt, whose neutral value is the target's own setting; values and
    neutral obey the same rule (:meth:`allows`, :attr:`allowed` in words)."""

    allowed: ClassVar[str] = ""

    def __init__(self, values: Sequence[Any] | None, neutral: Any, label: str | None) -> None:
        self.neutral = neutral
        super().__init__(values, label)
        if not self.allows(neutral):
            raise ConceptValueError(
                f"concept '{self.label}': neutral {as_written(neutral)} is not allowed; expected "
                f"{self.allowed} (the target's own setting, the value that changes nothing)"
            )

    def allows(self, value: Any) -> bool:
        raise NotImplementedError

    def check_value(self, value: Any) -> None:
        if not self.allows(value):
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; "
                f"expected {self.allowed}"
            )


class GuidanceScale(_Knob):
    """Classifier-free guidance per prompt (1 is none; the paper's Stable Diffusion used 7.5).

    Args:
        values: guidance scales in [0, 100].
        neutral: the target's own ``guidance_scale``: the value that changes nothing.
        label: the name in records and reports.
    """

    default_values: ClassVar[Sequence[Any]] = (1.0, 2.0, 3.0, 5.0, 7.5)
    allowed: ClassVar[str] = "a guidance scale in [0, 100]"

    def __init__(
        self, values: Sequence[float] | None = None, neutral: float = 7.5, label: str | None = None
    ) -> None:
        super().__init__(values, neutral, label)

    def allows(self, value: Any) -> bool:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and 0 <= value <= 100  # NaN fails: every comparison with it is false

    def change(self, prompt: Prompt, value: float) -> Prompt:
        return replace(prompt, guidance_scale=float(value))


class InferenceSteps(_Knob):
    """Sampler steps per prompt: fewer is faster and usually worse.

    Args:
        values: whole numbers of steps in [1, 1000].
        neutral: the target's own ``num_inference_steps``: the value that changes nothing.
        label: the name in records and reports.
    """

    default_values: ClassVar[Sequence[Any]] = (5, 10, 20, 50)
    allowed: ClassVar[str] = "a whole number of steps in [1, 1000]"

    def __init__(
        self, values: Sequence[int] | None = None, neutral: int = 50, label: str | None = None
    ) -> None:
        super().__init__(values, neutral, label)

    def allows(self, value: Any) -> bool:
        whole = isinstance(value, int) and not isinstance(value, bool)
        return whole and 1 <= value <= 1000

    def change(self, prompt: Prompt, value: int) -> Prompt:
        return replace(prompt, num_inference_steps=int(value))


def check_distinct_fields(concepts: Sequence[Concept]) -> None:
    """Refuse two concepts that set the same field of a prompt (a slot, the guidance scale, the
    step count): the later would overwrite the earlier, whose values would be recorded but never
    drawn. Words added before or after the prompt add up, so any number of those may share."""
    seen: dict[str, str] = {}
    for concept in concepts:
        if isinstance(concept, PromptSlot):
            field = f"slot {{{concept.slot}}}"
        elif isinstance(concept, GuidanceScale | InferenceSteps):
            field = "the guidance scale" if isinstance(concept, GuidanceScale) else "the step count"
        else:
            continue
        if field in seen:
            raise ConceptValueError(
                f"concepts '{seen[field]}' and '{concept.label}' both set {field}, so one would "
                "overwrite the other; keep one, with every value in its grid"
            )
        seen[field] = concept.label


def warn_unfilled_slots(inputs: Sequence[Any], concepts: Sequence[Concept]) -> None:
    """One warning for template slots no ``prompt_slot`` concept fills: such a slot reads as
    nothing in every prompt (as documented), which a forgotten concept or a misspelled slot
    name made happen unsaid ("a photo of a cat in")."""
    filled = {concept.slot for concept in concepts if isinstance(concept, PromptSlot)}
    templates = dict.fromkeys(p.template for p in inputs if isinstance(p, Prompt))
    missing: dict[str, str] = {}  # each unfilled slot, and the first template that has it
    for template in templates:
        for slot in slot_names(template):
            if slot not in filled:
                missing.setdefault(slot, template)
    if not missing:
        return
    slots = ", ".join(f"{{{slot}}}" for slot in missing)
    first = next(iter(missing))
    labels = ", ".join(f"'{concept.label}'" for concept in concepts) or "none"
    warnings.warn(
        f"no concept fills slot{'s' * (len(missing) > 1)} {slots} of prompt "
        f"{missing[first]!r}, so {'they read' if len(missing) > 1 else 'it reads'} as nothing; "
        f"the concepts: {labels}; a prompt_slot concept with slot: {first} searches its words",
        FfadeWarning,
        stacklevel=3,
    )
