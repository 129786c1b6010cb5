"""docs/plugins.md's contract sections (Concept, Reward) quote error lines a plugin author meets;
each quote here is checked against the line ffade gives for the case the page describes."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch

from ffade import registry
from ffade.errors import ConceptValueError, FfadeError, as_written
from ffade.plugin_api import Concept, Dataset, Target
from ffade.task import check_declared_kinds
from tests.helpers import REPO

DOC = " ".join((REPO / "docs" / "plugins.md").read_text().split())


class _Text(Target):
    """A target whose output_kind is misspelt, as the page's example has it."""

    output_kind = "text"

    def predict(self, inputs: Any) -> Any:
        return ["x"] * len(inputs)


def test_a_misspelt_output_kind_is_refused_with_the_kinds_the_page_lists() -> None:
    """The page quoted the kinds rewards declare as 'class_scores', 'images', 'texts', but the
    synthetic plugin's `margin` declares 'margins' (the same page says so a few lines up), so with
    ffade's plugins installed the line a user reads had one kind more than the quote."""
    quote = DOC.split("is refused with the kinds rewards do declare: `...")[1].split("`")[0]
    reward, target = registry.create("reward", "misclassification"), _Text()
    target.plugin_name = "yours"
    with pytest.raises(FfadeError) as refused:
        check_declared_kinds(reward, target)
    assert str(refused.value).endswith(quote), (str(refused.value), quote)


class _Words(Concept):
    """Words checked as the page's Mirror does: membership in a tuple of words."""

    neutral = "none"
    WORDS = ("none", "flip")

    def check_value(self, value: Any) -> None:
        if value not in self.WORDS:
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; no"
            )

    def apply(self, inputs: torch.Tensor, value: Any) -> torch.Tensor:
        return inputs


class _Hashing(_Words):
    """Words checked by membership in a set, which cannot hash a list."""

    def check_value(self, value: Any) -> None:
        if value not in set(self.WORDS):
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; no"
            )


class _Number(Concept):
    """A numeric concept that keeps the base's check_value."""

    def apply(self, inputs: torch.Tensor, value: Any) -> torch.Tensor:
        return inputs


@pytest.mark.parametrize(
    ("concept", "values", "ending"),
    [
        (_Number, [0, [1, 2]], "values[1] [1, 2] is not allowed; expected a finite number"),
        (_Words, ["none", ["a", "b"]], "values[1] [a, b] is not allowed; no"),
        (
            _Hashing,
            ["none", ["a", "b"]],
            "values[1] [a, b] is not allowed; a grid value is one number or word, not a list",
        ),
    ],
)
def test_a_list_in_a_grid_is_refused_in_the_words_the_page_says(
    concept: type[Concept], values: list[Any], ending: str
) -> None:
    """The page said the base refuses a grid value that is a list with `a grid value is one
    number or word, not a list`, but a concept's own check_value sees it first and refuses it in
    its own words (the base's check: `expected a finite number`); the base's line is for a list
    the concept's check lets through or cannot hash. The page now says which line comes when."""
    with pytest.raises(ConceptValueError) as refused:
        concept(values=values)
    assert str(refused.value).endswith(ending)
    said = re.search(
        r"A value that is itself a list or mapping goes to your `check_value` first", DOC
    )
    assert said and "`expected a finite number`" in DOC[said.end() : said.end() + 200]


class _Rows(Dataset):
    """A dataset whose error names it as the page's minimum contract says to."""

    def __init__(self, num_inputs: int = 4, seed: int = 0) -> None:
        super().__init__(seed)
        if num_inputs < 1:
            name = self.plugin_name or type(self).__name__
            raise FfadeError(f"dataset '{name}': num_inputs must be at least 1, got {num_inputs}")

    def split(self, name: str) -> list[tuple[torch.Tensor, int]]:
        return []


def test_plugin_name_is_empty_outside_ffade_as_the_page_says() -> None:
    """The page said only that plugin_name is set before __init__, and showed errors written
    `f"dataset '{self.plugin_name}': ..."`: a dataset a plugin's own target builds to train on
    (seen writing a tabular plugin from the page alone) said `dataset '': fractions ...`. The page
    now says where it is empty and what to write; both halves hold."""
    assert "write `self.plugin_name or type(self).__name__` where that can happen" in DOC
    assert _Rows().plugin_name == ""
    with pytest.raises(FfadeError, match=r"^dataset '_Rows': num_inputs"):
        _Rows(num_inputs=0)  # built by your own code: plugin_name is ""
    registry.register("dataset", "rows_doc", _Rows)
    try:
        with pytest.raises(FfadeError, match=r"dataset 'rows_doc': .*num_inputs"):
            registry.create("dataset", "rows_doc", {"num_inputs": 0})
    finally:
        registry.unregister("dataset", "rows_doc")
