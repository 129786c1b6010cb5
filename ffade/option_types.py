"""argparse types for ffade's numeric options: each refusal names what the option allows.

argparse's own ``type=int`` said "invalid int value: 'abc'" (nothing of what is allowed), and
``1e30`` or ``nan`` for a count reached the command as a number or a traceback. argparse puts
"argument --OPTION:" before each message, so the line names the option too.
"""

from __future__ import annotations

import argparse
import math


def _whole(text: str) -> int | None:
    """The whole number ``text`` spells in ASCII digits, else None (``'²'.isdigit()`` is true,
    but int() refuses it: argparse then named this module's function in its message)."""
    stripped = text.strip()
    return int(stripped) if stripped.isascii() and stripped.isdigit() else None


def whole_number_from_1(text: str) -> int:
    """A count of at least 1, as ``--min-evaluations``, ``--pairs`` and ``--max-regions`` take."""
    value = _whole(text)
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, got {text!r}")
    return value


def whole_number_from_0(text: str) -> int:
    """A count or seed that may be 0, as ``--seed`` and ``--examples`` take."""
    value = _whole(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0, got {text!r}")
    return value


def failure_rate(text: str) -> float:
    """A failure rate in (0, 1], as ``--threshold`` takes (NaN refused)."""
    return _rate(text, zero_allowed=False)


def rate_from_0_to_1(text: str) -> float:
    """A failure rate in [0, 1], as ``--max-failure-rate`` takes (0: no failure allowed)."""
    return _rate(text, zero_allowed=True)


def _rate(text: str, zero_allowed: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 <= value <= 1 and (zero_allowed or value > 0)):  # NaN fails every comparison
        interval = "[0, 1]" if zero_allowed else "(0, 1]"
        raise argparse.ArgumentTypeError(f"expected a failure rate in {interval}, got {text!r}")
    return value


TAKES = {
    whole_number_from_1: "a whole number from 1",
    whole_number_from_0: "a whole number from 0",
    failure_rate: "a failure rate in (0, 1]",
    rate_from_0_to_1: "a failure rate in [0, 1]",
    int: "a whole number",
    float: "a number",
}
"""What an option of each type takes, in words: a value argparse read as an option (``-x``) is
told so, where a file's would be told to write ``--OPTION=./-x``."""


EXAMPLES = {
    whole_number_from_1: "1",
    whole_number_from_0: "0",
    failure_rate: "0.5",
    rate_from_0_to_1: "0.5",
    int: "1",
    float: "0.5",
}
"""A value each type of :data:`TAKES` accepts: the hint's example where the option has no
default of its own, inside what the option allows."""


def example(kind: object, default: object) -> str:
    """The value a hint shows for an option of type ``kind``: its ``default`` where ``kind``
    takes it as typed (``--pairs``' 100, ``--threshold``'s 0.5), else :data:`EXAMPLES`'."""
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        try:
            kind(str(default))  # type: ignore[operator]
        except (argparse.ArgumentTypeError, ValueError):
            pass
        else:
            return str(default)
    return EXAMPLES[kind]  # type: ignore[index]
