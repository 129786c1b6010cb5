"""A concept grid written as a range, ``values: {start: 0, stop: 1, num: 100001}``.

A grid of 10^5 numbers written out in a config costs minutes: jsonargparse reads, checks, copies
and writes the list several times (the run's config.yaml included), while the search itself
takes seconds. Three numbers say the same grid, and config.yaml keeps them: it reproduces the run.
"""

from __future__ import annotations

import math
from typing import Any

from ffade.errors import ConceptValueError, as_written

RANGE_KEYS = ("start", "stop", "num")


def is_range(values: Any) -> bool:
    """Whether ``values`` is written as a range (a mapping) rather than a list."""
    return isinstance(values, dict)


def expand_range(label: str, values: dict[Any, Any]) -> list[float | int]:
    """The grid a range stands for: ``num`` evenly spaced numbers from ``start`` to ``stop``,
    both included, as ``numpy.linspace`` spaces them.

    Whole numbers stay whole where every step is whole (``{start: 0, stop: 100, num: 11}`` is
    0, 10, ..., 100); other values are rounded to 12 significant digits, so 0.1 is written 0.1
    and not 0.30000000000000004's kind.
    """
    keys = set(values)
    if keys != set(RANGE_KEYS):
        missing = [k for k in RANGE_KEYS if k not in keys]
        unknown = sorted(map(str, keys - set(RANGE_KEYS)))
        said = f"missing {', '.join(missing)}" if missing else f"unknown key {', '.join(unknown)}"
        raise ConceptValueError(
            f"concept '{label}': values {as_written(values)} is not a range ({said}); give a list, "
            "or a range as {start: NUMBER, stop: NUMBER, num: WHOLE NUMBER}"
        )
    start, stop, num = values["start"], values["stop"], values["num"]
    for key, value in (("start", start), ("stop", stop)):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise ConceptValueError(
                f"concept '{label}': values.{key} must be a finite number, got {as_written(value)}"
            )
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ConceptValueError(
            f"concept '{label}': values.num must be a whole number, at least 1, got "
            f"{as_written(num)}"
        )
    if num == 1:
        return [start]
    if start == stop:  # num equal values: the base refuses the repeat in its own words
        return [start] * num
    whole = all(isinstance(v, int) for v in (start, stop)) and (stop - start) % (num - 1) == 0
    if whole:
        step = (stop - start) // (num - 1)
        return [start + i * step for i in range(num)]
    span = float(stop) - float(start)
    grid = [float(f"{start + span * i / (num - 1):.12g}") for i in range(num - 1)]
    return [*grid, float(stop)]


def grid_entry_named(error: Exception, label: str, index: int, ranged: bool) -> Exception:
    """``error`` from a concept's check of one grid value (``concept 'brightness': value 'x' is
    not allowed; ...``) with the value named by where it sits: ``values[1] 'x' is not allowed``,
    which :func:`ffade.plugin_arguments.name_by_key` completes into the config's key
    (``model.init_args.task.concepts[1].args.values[1]``); from a range, which has no entries
    to point at, ``values: the range's value 9.0 is not allowed``. Other words are left as the
    concept wrote them."""
    said, prefix = str(error), f"concept '{label}': value "
    if said.startswith(prefix) and len(error.args) == 1:
        where = "values: the range's value " if ranged else f"values[{index}] "
        error.args = (f"concept '{label}': {where}{said[len(prefix) :]}",)
    return error
