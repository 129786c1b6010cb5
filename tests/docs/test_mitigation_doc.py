"""docs/mitigation.md's argument tables are the fine-tuners' signatures: names and defaults."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
import yaml
from ffade_diffusion.mitigate import DiffusionLoRAFineTuner
from ffade_text.mitigate import Seq2SeqFineTuner

from ffade.errors import FfadeError
from ffade.mitigate import ClassifierFineTuner
from ffade.mitigate.base import FineTuner
from ffade.model_arguments import check_model_arguments
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


ALLOWED_ROW = re.compile(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \| [^|]+ \|$", re.MULTILINE)
CLASSES = [FineTuner, ClassifierFineTuner, Seq2SeqFineTuner, DiffusionLoRAFineTuner]
NOT_BUILT = ("run", "feedback")  # read after the argument checks: tests/mitigate test them


def allowed_cells() -> list[dict[str, str]]:
    """Each argument table's "allowed" column: argument -> cell."""
    section = DOC.split("### Arguments", 1)[1].split("\n### ", 1)[0]
    blocks = re.split(r"\n\n(?=\| argument)", section)[1:]
    return [dict(ALLOWED_ROW.findall(block.split("\n\n", 1)[0])) for block in blocks]


def values_for(cell: str, default: Any) -> tuple[list[Any], list[Any]]:
    """(values the cell allows, values it does not) for one argument, from the cell's words."""
    cell = cell.strip()
    good, bad = ([None], []) if cell.endswith(", or null") else ([], [None])
    cell = cell.removesuffix(", or null")
    whole = isinstance(default, int) and not isinstance(default, bool)
    if match := re.fullmatch(r"from (\d+)", cell):
        least = int(match.group(1))
        good += [least, least + 3]
        bad += [least - 1, float("inf"), float("nan")] if not whole else [least - 1]
    elif match := re.fullmatch(r"above (\d+)", cell):
        bound = int(match.group(1))
        good += [bound + 0.5]
        bad += [bound, bound - 1, float("inf")]
    elif cell in ("[0, 1]", "[0, 1)"):
        good += [0.0, 0.5] + ([1.0] if cell.endswith("]") else [])
        bad += [-0.1, 1.5, float("nan")] + ([] if cell.endswith("]") else [1.0])
    elif cell == "a directory":
        bad += ["/nonexistent/folder"]
    elif cell == "module names":
        good += [["q_proj", "v_proj"]]
        bad += [[], [" "]]
    elif cell.startswith("`high`, `medium`, `low`"):
        good += [{"high": 5}, {"high": 0}, {"low": 0.5, "medium": 0}]
        bad += [{"urgent": 1}, {"skip": 1}, {"high": -1}, {"high": 0, "medium": 0, "low": 0}]
    elif choices := re.findall(r"`([^`]+)`", cell):
        good += [yaml.safe_load(c) for c in choices]
        bad += ["other"]
    else:
        raise AssertionError(f"no values known for allowed cell {cell!r}")
    return good, bad


def test_every_argument_row_says_what_is_allowed() -> None:
    assert [set(t) for t in allowed_cells()] == [set(t) for t in tables()]


@pytest.mark.parametrize("cls", CLASSES[1:], ids=lambda c: c.__name__)
def test_each_allowed_column_is_what_the_fine_tuner_refuses_before_anything_runs(
    cls: type,
) -> None:
    """Every documented value passes the checks `ffade loop` makes before its first stage, and
    every value outside the column is refused there, in one line naming the argument: a zero
    batch_size or an unknown priority_weights key was found only once the fine-tune set up, after
    the loop's discovery, and a null clean_share was Python's TypeError."""
    cells = {**allowed_cells()[0], **allowed_cells()[CLASSES.index(cls)]}
    defaults = {**own_defaults(FineTuner), **own_defaults(cls)}
    context = {"run": "unread", "train": "lora"} if cls is Seq2SeqFineTuner else {"run": "unread"}
    for name, cell in cells.items():
        if name in NOT_BUILT:
            continue
        good, bad = values_for(cell, defaults[name])
        for value in good:
            check_model_arguments(
                {"class_path": path_of(cls), "init_args": {**context, name: value}}
            )
        for value in bad:
            with pytest.raises(FfadeError, match=rf"^model\.init_args\.{name}\b") as refused:
                check_model_arguments(
                    {"class_path": path_of(cls), "init_args": {**context, name: value}}
                )
            assert "\n" not in str(refused.value), (name, value)


def path_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"
