from __future__ import annotations

import pytest
from ffade_diffusion.prompts import Prompt, slot_names

from ffade.errors import FfadeError


def test_text_fills_slots_and_words_single_spaced() -> None:
    prompt = Prompt("a photo of {descriptor} {profession} in {setting}")
    assert prompt.text == "a photo of in"
    filled = prompt.with_slot("profession", "doctor").with_slot("descriptor", "old")
    filled = filled.with_words("portrait,", "before").with_words("at night", "after")
    assert filled.text == "portrait, a photo of old doctor in at night"
    assert slot_names(prompt.template) == ["descriptor", "profession", "setting"]


def test_unknown_slot_is_a_one_line_error() -> None:
    with pytest.raises(FfadeError, match=r"has no slot \{style\}; its slots: descriptor"):
        Prompt("a {descriptor} cat").with_slot("style", "thin")


def test_a_repeated_slot_is_one_slot_filled_everywhere() -> None:
    """The slot was listed once per place: "its slots: x, x, y"."""
    prompt = Prompt("a {x} and a {x} in {y}")
    assert slot_names(prompt.template) == ["x", "y"]
    assert prompt.with_slot("x", "cat").text == "a cat and a cat in"
    with pytest.raises(FfadeError, match=r"has no slot \{z\}; its slots: x, y$"):
        prompt.with_slot("z", "dog")


def test_key_and_seed_follow_every_field_and_nothing_else() -> None:
    base = Prompt("a {style} seven", sample=2)
    same = Prompt("a {style} seven", sample=2)
    assert base.seed(0) == same.seed(0) and base.key() == same.key()
    others = [
        Prompt("a {style} seven", sample=3),
        base.with_slot("style", "thin"),
        base.with_words("big", "before"),
        Prompt("a {style} seven", sample=2, guidance_scale=2.0),
        Prompt("a {style} seven", sample=2, num_inference_steps=5),
    ]
    seeds = {p.seed(0) for p in others} | {base.seed(0), base.seed(1)}
    assert len(seeds) == len(others) + 2
