"""How an evaluation becomes one line of ``evaluations.jsonl``: the record, and a fast encoder.

Each line is a JSON object that strict parsers accept: a metric or reward that is no finite
number is written ``null`` (the record then carries ``"invalid": true`` when it was scored so),
since JSON has no NaN or Infinity. :func:`ffade.records.read_evaluations` reads the lines back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class EvaluationRecord:
    """One evaluation of the target on one input changed by one concept state."""

    step: int
    input_id: int
    state: list[int]
    concepts: dict[str, Any]
    metric: float
    reward: float
    failed: bool
    invalid: bool = False  # the metric or reward was NaN or inf: neither a pass nor a failure


def record_line(record: EvaluationRecord) -> str:
    """The record's line in the log; ``invalid`` appears only when true, as older logs lack it.

    A metric or reward that is no finite number (NaN, infinite) is written ``null``: JSON has no
    NaN, and strict readers (``jq``, JavaScript, most languages' parsers) refuse Python's ``NaN``.
    """
    data = dict(vars(record))  # vars(), not asdict(): asdict deep-copies every field
    if not data["invalid"]:
        del data["invalid"]
    for key in ("metric", "reward"):
        data[key] = _finite_or_none(data[key])
    return json.dumps(data)


def _finite_or_none(value: Any) -> Any:
    return value if not isinstance(value, float) or math.isfinite(value) else None


class EvaluationEncoder:
    """Encodes evaluations as the JSON lines :meth:`RunRecorder.append` would write, only faster.

    A batch of a thousand evaluations of a small model is scored in milliseconds, and building a
    record and a dict per evaluation for ``json.dumps`` cost as much again. Here each concept's
    ``"label": value`` text is encoded once per grid value, and a line is a join of ready text.
    A value's text is made the first time a line needs it: a grid of 10^5 values, few of them
    evaluated, took seconds to encode whole each time an evaluator was built.

    Args:
        concepts: (label, grid values) per concept, in state order.
    """

    def __init__(self, concepts: Sequence[tuple[str, Sequence[Any]]]) -> None:
        self._concepts = [(json.dumps(label), values) for label, values in concepts]
        self._fragments: list[dict[int, str]] = [{} for _ in self._concepts]

    def lines(
        self,
        step: int,
        input_ids: Sequence[int],
        states: Sequence[Sequence[int]],
        metrics: Sequence[float],
        rewards: Sequence[float],
        failed: Sequence[bool],
        invalid: Sequence[bool] | None = None,
    ) -> Iterator[str]:
        """One line per evaluation; ``"invalid": true`` is added only where it holds."""
        fragments, fragment = self._fragments, self._fragment
        invalid = invalid if invalid is not None else [False] * len(failed)
        for input_id, state, metric, reward, fail, bad in zip(
            input_ids, states, metrics, rewards, failed, invalid, strict=True
        ):
            values = ", ".join(fragments[c].get(i) or fragment(c, i) for c, i in enumerate(state))
            flag = ', "invalid": true' if bad else ""
            yield (
                f'{{"step": {int(step)}, "input_id": {int(input_id)}, '
                f'"state": [{", ".join(str(int(i)) for i in state)}], "concepts": {{{values}}}, '
                f'"metric": {_number(metric)}, "reward": {_number(reward)}, '
                f'"failed": {"true" if fail else "false"}{flag}}}'
            )

    def _fragment(self, concept: int, index: int) -> str:
        """The ``"label": value`` text of one grid value, encoded once and kept."""
        label, values = self._concepts[concept]
        text = f"{label}: {json.dumps(values[int(index)], default=jsonable)}"
        self._fragments[concept][int(index)] = text
        return text


def _number(value: float) -> str:
    """A float as :func:`record_line` writes it: its repr, or ``null`` when not finite."""
    value = float(value)
    return repr(value) if math.isfinite(value) else "null"


def jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def finite_json(value: Any) -> Any:
    """``value`` with every number that is no finite one (NaN, infinite; numpy's and torch's too)
    as ``None``: JSON has no NaN or Infinity, and ``json.dumps`` would write Python's tokens, which
    strict readers (``jq``, JavaScript) refuse. summary.json, examples.json, mitigation.json and
    loop.json are written through it, as each line of the evaluations log writes ``null``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(item) for item in value]
    if isinstance(value, (str, int)) or value is None:
        return value
    if hasattr(value, "tolist"):  # numpy's and torch's numbers and arrays
        return finite_json(value.tolist())
    if hasattr(value, "item"):
        return finite_json(value.item())
    return value


class RecordShapeError(TypeError):
    """A log line that is JSON but no record: not an object, or a key missing or unknown."""


_RECORD_KEYS = tuple(EvaluationRecord.__dataclass_fields__)
_REQUIRED_KEYS = _RECORD_KEYS[:-1]  # every key but ``invalid``, which older logs lack
_JSON_KINDS = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def shape_problem(data: Any) -> str:
    """What makes ``data`` (a log line's JSON) no record, in words a person mends the line by:
    a hand-edited line that lost ``failed`` was only "not an evaluation record"."""
    if not isinstance(data, dict):
        return f"{_JSON_KINDS.get(type(data), 'a number')}, expected an object"
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    if missing:
        return f"no {_quoted(missing)}"
    unknown = [str(key) for key in data if key not in _RECORD_KEYS]
    if not unknown:  # no shape problem after all: the reader says only "not a record"
        return ""
    return f"unknown {_quoted(unknown)} (a record's keys: {', '.join(_RECORD_KEYS)})"


def _quoted(keys: list[str]) -> str:
    return ", ".join(f"'{key}'" for key in keys)


class LineReader:
    """Turns the log's lines back into records, as ``EvaluationRecord(**json.loads(line))`` does,
    only faster and smaller, since a report reads a million of them.

    ``json.loads`` runs two whitespace regexes around the C scanner for every line; a line as
    the log writes it has no whitespace around its object, so the scanner is called directly and
    any other line (or one it refuses) goes through ``json.loads``, which returns the same record
    or raises the error a reader reports. The scanner makes new key strings for every line, and
    a report keeps every record: each concept's label is kept once per read, not once per
    record (a quarter of the memory a record of four concepts takes).
    """

    def __init__(self) -> None:
        self._scan = json.JSONDecoder().scan_once
        self._labels: dict[str, str] = {}

    def record(self, text: str) -> EvaluationRecord:
        """The record on ``text`` (one line, its newline included or not).

        Raises:
            json.JSONDecodeError: ``text`` is not JSON.
            RecordShapeError: it is empty, or not an object with a record's keys.
        """
        data: Any = None
        if text[:1] == "{":
            try:
                data, end = self._scan(text, 0)
            except (StopIteration, ValueError, RecursionError):
                data = None
            else:
                data = data if text[end:] in ("", "\n") else None
        if data is None:
            if not text.strip():  # json's "Expecting value: line 2 column 1" said nothing useful
                raise RecordShapeError("an empty line")
            data = json.loads(text)
        try:
            record = EvaluationRecord(**data)
        except TypeError:  # said as the dataclass says it, it named no line's field
            raise RecordShapeError(shape_problem(data)) from None
        concepts = record.concepts
        if type(concepts) is dict:
            labels = self._labels
            record.concepts = {labels.setdefault(k, k): v for k, v in concepts.items()}
        return record
