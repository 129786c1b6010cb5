"""A value of the wrong type, or off a list of choices, said in words from jsonargparse's message.

jsonargparse explains a rejected value with one complaint per type it tried. For a union of
choices (``trainer.precision``: Lightning's ints, its strings, its aliases) the first complaint
alone named a third of what is allowed. No Lightning here: only the words of the message.
"""

from __future__ import annotations

import re

_LITERAL = r"typing.Literal\[([^\]]*)\]"
_NONE = "<class 'NoneType'>"
_YAML_BOOLEANS = {"true": "true", "false": "false"}
"""jsonargparse says a boolean as Python's ``True``; a user typed YAML's ``true``."""


def choices_reason(reason: str, message: str) -> str | None:
    """ "'8' is not allowed; choose one of 64, 32, 16-mixed, ..." or None.

    For a value that must be one of some choices: one ``Literal``, or a union of them (and
    null, which the key's default already says). None when the value may be something else too.

    Args:
        reason: the first real reason jsonargparse gave.
        message: its whole message (a union's "Subtypes:" and "Given value:" lines).
    """
    one = re.match(rf"Expected a {_LITERAL}. Got value: ?(.*)$", reason)  # "value:" alone: ""
    if one:
        literals, given = [one.group(1)], one.group(2)
    else:
        union = re.search(r"^\s*Subtypes: \[(.*)\]$", message, re.MULTILINE)
        value = re.search(r"^\s*Given value: (.*)$", message, re.MULTILINE)
        if not union or not value or re.sub(rf"{_LITERAL}|{_NONE}|[, ]", "", union.group(1)):
            return None
        literals, given = re.findall(_LITERAL, union.group(1)), value.group(1).strip()
    choices = [c.strip(" '\"") for group in literals for c in group.split(",")]
    shown = _YAML_BOOLEANS.get(given.lower(), repr(given))  # a boolean is no quoted text
    shown = "null" if given == "None" else shown  # a task key's null, from the command line
    return f"{shown} is not allowed; choose one of {', '.join(dict.fromkeys(choices))}"


def expected_types(message: str) -> str:
    """'expected int or bool, got 1.5' from jsonargparse's per-type complaints."""
    types = [t for t in re.findall(r"Expected a <class '([\w.]+)'>", message) if t != "NoneType"]
    given = re.findall(r"(?:Given value|Got value): (.*)$", message, re.MULTILINE)
    shown = given[0].strip() if given else ""
    shown = _YAML_BOOLEANS.get(shown.lower(), shown)  # "got True": the user typed true
    got = f", got {shown or 'an empty string'}" if given else ""  # not "got " and nothing
    if f"Expected a {_NONE}" in message and got == ", got None" and "<class 'str'>" in message:
        return (  # --model.init_args.task.max_inputs null reaches the task as the text "None"
            "null given on the command line arrives as the text 'None' (a jsonargparse limit "
            "for task keys); leave the option out, or write null in the config"
        )
    named = " or ".join(dict.fromkeys(types))
    quoted = _quoted_number(types, shown.strip('"'))
    if quoted:
        return f"expected {named}, got the string {quoted}"
    return f"expected {named}{got}"


_NUMBER_WORDS = {"float": "a number", "int": "a whole number"}
_NUMERALS = {
    "float": r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?",
    "int": r"[-+]?\d+",
}


def _quoted_number(types: list[str], shown: str) -> str | None:
    """'"0.5" (in quotes: text, not a number); give a number without quotes: 0.5' for a number
    written in quotes, or None. jsonargparse says ``Got value: 0.5`` of the string "0.5" that
    ``--model.init_args.gamma '"0.5"'`` (or ``gamma: "0.5"`` in a config) gives a float key: a
    number it refused can only have been text, and "expected float, got 0.5" hid the quotes."""
    for kind in types:
        if kind in _NUMERALS and re.fullmatch(_NUMERALS[kind], shown):
            return (
                f'"{shown}" (in quotes: text, not a number); give {_NUMBER_WORDS[kind]} without '
                f"quotes: {shown}"
            )
    return None
