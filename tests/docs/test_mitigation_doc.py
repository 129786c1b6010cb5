"""docs/mitigation.md's argument tables are the fine-tuners' signatures: names and defaults."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
import yaml
from ffade_diffusion.mitigate import DiffusionLoRAFineTuner
from ffade_text.mitigate import Seq2SeqFineTuner

from ffade.mitigate import ClassifierFineTuner
from ffade.mitigate.base import FineTuner
from tests.helpers import REPO

DOC = (REPO / "docs" / "mitigation.md").read_text()
ROW = re.compile(r"^\| `(\w+)` \| (.+?) \| .+ \|$", re.MULTILINE)
OVERRIDE = re.compile(r"(seq2seq|LoRA) `([^`]+)`")
SHORT = {"seq2seq": Seq2SeqFineTuner, "LoRA": DiffusionLoRAFineTuner}
REQUIRED = "(required)"


def value(text: str) -> Any:
    """A table cell's value as YAML reads it ('2e-05' too, which YAML 1.1 leaves a string)."""
    parsed = yaml.safe_load(text)
    if isinstance(parsed, str):
        try:
            return float(parsed)
        except ValueError:
            pass
    return parsed


def tables() -> list[dict[str, str]]:
    """Each argument table of the "Arguments" section, in order: argument -> default cell."""
    section = DOC.split("### Arguments", 1)[1].split("\n### ", 1)[0]
    found = []
    for block in re.split(r"\n\n(?=\| argument)", section)[1:]:
        table = block.split("\n\n", 1)[0]
        found.append(dict(ROW.findall(table)))
    return found


def own_defaults(cls: type) -> dict[str, Any]:
    """The keyword arguments a class's own ``__init__`` declares, with their defaults."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {
        p.name: p.default
        for p in parameters
        if p.kind is p.KEYWORD_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self")
    }


def documented_default(cell: str) -> Any:
    if cell == REQUIRED:
        return inspect.Parameter.empty
    return value(re.match(r"`([^`]+)`", cell).group(1))


def test_the_doc_has_one_table_per_fine_tuner_and_the_base() -> None:
    assert len(tables()) == 4


def test_the_base_table_is_every_fine_tuners_shared_arguments() -> None:
    base = tables()[0]
    declared = own_defaults(FineTuner)
    assert set(base) == set(declared)
    for name, cell in base.items():
        assert documented_default(cell) == declared[name], name


@pytest.mark.parametrize(
    ("position", "cls"),
    [(1, ClassifierFineTuner), (2, Seq2SeqFineTuner), (3, DiffusionLoRAFineTuner)],
)
def test_each_fine_tuner_table_is_its_own_arguments(position: int, cls: type) -> None:
    base, table = tables()[0], tables()[position]
    declared = {k: v for k, v in own_defaults(cls).items() if k not in base}
    assert set(table) == set(declared), cls.__name__
    for name, cell in table.items():
        assert documented_default(cell) == declared[name], (cls.__name__, name)


def test_the_base_tables_other_defaults_are_the_plugins() -> None:
    for name, cell in tables()[0].items():
        for short, text in OVERRIDE.findall(cell):
            assert own_defaults(SHORT[short])[name] == value(text), (short, name)
