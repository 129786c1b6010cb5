"""Reading a ratings file: the ``human`` reward's ``ratings_file`` and its ``ratings.jsonl``.

A prepared ``ratings_file`` rates images by ``key`` or by ``prompt``; the cache only by ``key``
(it also records each key's prompt). A row that names no image, or answers outside 1-10, stops
the run with its file and line: dropped silently, the images it meant would count as unrated
passes. Rows that rate one image differently are one warning, and the last row's answer is used.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError, FfadeWarning, print_line
from ffade.plugin_api import missing_file, read_text_lines
from ffade.records import atomic_path

Rating = dict[str, int]


@dataclass
class ReadRatings:
    """One file's ratings: by evaluation key, by prompt text, and each key's prompt."""

    by_key: dict[str, Rating] = field(default_factory=dict)
    by_prompt: dict[str, Rating] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)  # the cache's key -> prompt


def as_json(value: Any) -> str:
    """A value read from a JSONL file, as the file spells it (``true``, ``null``, ``"2"``)."""
    return json.dumps(value, ensure_ascii=False)


def whole(value: Any) -> bool:
    """An int that is not a bool (YAML's ``true`` would otherwise count as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def parse_answer(value: Any, question: str, spelled: Callable[[Any], str] = repr) -> int:
    """The answer as a whole number from 1 to 10; ``spelled`` says a wrong one as its
    source does: a file's JSON ``true``, not Python's ``True``."""
    if isinstance(value, str) and value.strip().isdecimal():  # "²" is a digit, no int
        value = int(value.strip())
    if not (whole(value) and 1 <= value <= 10):
        raise TypeError(f"{question} must be a whole number from 1 to 10, got {spelled(value)}")
    return value


def _warn_clashes(
    path: Path,
    clashes: list[tuple[str, str]],
    lines_of: dict[tuple[str, str], list[int]],
    read: ReadRatings,
) -> None:
    """One warning for rows that rate one image differently (a file edited by hand, or two runs
    answering into one directory): the last row's answer is used, and the others were dropped
    without a word."""
    (name, value), more = clashes[0], len(clashes) - 1
    lines = lines_of[(name, value)]
    used = (read.by_key if name == "key" else read.by_prompt)[value]
    answers = ", ".join(f"{k} {v}" for k, v in used.items())
    others = f"; {more} more {'image is' if more == 1 else 'images are'} rated twice too" * (
        more > 0
    )
    warnings.warn(
        f"reward 'human': {path}: {name} {as_json(value)} is rated differently on lines "
        f"{', '.join(map(str, lines[:-1]))} and {lines[-1]}; line {lines[-1]}'s answer "
        f"({answers}) is used{others}; delete the rows that are wrong",
        FfadeWarning,
        stacklevel=3,
    )


def _drop_torn_line(path: Path, lines: list[str]) -> list[str]:
    """The cache without a last line a killed run left half-written (no line end), which
    would stop every later run with "not JSON" and glue the next answer onto it; a whole
    last line is kept, even one missing its line end."""
    try:
        json.loads(lines[-1])
        lines = [*lines[:-1], lines[-1] + "\n"]
    except json.JSONDecodeError:
        print_line(
            f"ffade: note: reward 'human': {path}'s last line was cut off (a run killed "
            "as it saved an answer); that image is asked again"
        )
        lines = lines[:-1]
    with atomic_path(path) as tmp:
        tmp.write_text("".join(lines), encoding="utf-8")
    return lines


def read_ratings(path: Path, questions: Sequence[str], prepared: bool) -> ReadRatings:
    """Prepared ratings (by ``key`` or ``prompt``) or the cache (by ``key``), answering
    ``questions``; the cache's torn last line is dropped from the file."""
    if path.is_dir():  # "does not exist" of a folder that is there sent one looking for it
        raise FfadeError(
            f"reward 'human': ratings_file {str(path)!r} is a directory; give a JSONL file "
            "of ratings (its ratings.jsonl, if it is another run's reward directory)"
        )
    if not path.is_file():
        raise FfadeError(missing_file(f"reward 'human': ratings_file {str(path)!r}", path))
    what = "reward 'human': " + ("ratings_file" if prepared else "ratings cache")
    names = ("key", "prompt") if prepared else ("key",)
    lines = read_text_lines(path, what)
    if lines:  # a UTF-8 byte order mark (Notepad's) made line 1 "not JSON: Unexpected UTF-8 BOM"
        lines[0] = lines[0].removeprefix("\ufeff")
    if not prepared and lines and not lines[-1].endswith("\n"):
        lines = _drop_torn_line(path, lines)
    read = ReadRatings()
    lines_of: dict[tuple[str, str], list[int]] = {}  # each image's rows in this file
    clashes: list[tuple[str, str]] = []  # those rated differently on two of them
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"reward 'human': {path} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FfadeError(f"{where} is not JSON: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise FfadeError(f"{where} must be a JSON object, got {as_json(row)}")
        name = next((n for n in names if isinstance(row.get(n), str)), None)
        if name is None:
            raise FfadeError(
                f"{where} needs {' or '.join(map(repr, names))} (a string) to say which "
                f"image it rates; it has {', '.join(map(repr, row)) or 'no fields'}"
            )
        rating = {}
        for question in questions:
            if question not in row:  # "got None" hid that the answer was left out
                raise FfadeError(
                    f"{where} has no {question!r} answer; the scale asks "
                    f"{' and '.join(questions)} (scale: quality asks only quality)"
                )
            try:
                rating[question] = parse_answer(row.get(question), question, as_json)
            except TypeError as exc:
                raise FfadeError(f"{where}: {exc}") from exc
        if name == "prompt":  # a prompt is single-spaced (Prompt.text): "a  cat " never matched
            row[name] = " ".join(row[name].split())
        store = read.by_key if name == "key" else read.by_prompt
        place = (name, row[name])
        if place in lines_of and store[row[name]] != rating and place not in clashes:
            clashes.append(place)
        lines_of.setdefault(place, []).append(number)
        store[row[name]] = rating  # the last row wins, as a dict of them would have it
        if not prepared and isinstance(row.get("prompt"), str):
            read.prompts[row[name]] = row["prompt"]
    if clashes:
        _warn_clashes(path, clashes, lines_of, read)
    return read
