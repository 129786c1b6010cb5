"""Why a command refused an option's words: a value that came alone, or one a flag cannot take.

``ffade check suite.yaml`` (as ``ffade report RUN`` takes its run) and ``ffade loop loop.yaml``
gave the file without its option, and argparse said only ``the following arguments are
required: --suite``, which reads as if nothing had been given. ``--quick=1`` gave a value to an
option that takes none, and argparse said "ignored explicit argument '1'", though it refused it.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Sequence


def unnamed_value_hint(parser: argparse.ArgumentParser, given: Sequence[str], message: str) -> str:
    """``; suite.yaml was given without its option: write --suite suite.yaml`` for argparse's
    "the following arguments are required" of one option that takes one value, when a word was
    typed that no option or positional argument took; empty otherwise."""
    missing = message.removeprefix("the following arguments are required: ")
    if missing == message or "," in missing:
        return ""
    option = next((a for a in parser._actions if missing in a.option_strings), None)
    if option is None or option.nargs is not None or not option.option_strings:
        return ""
    stray = _unclaimed_words(parser, given)
    if not stray:
        return ""
    word = shlex.quote(stray[0])  # as typed at a shell: 'my suite.yaml' stays one word
    return f"; {word} was given without its option: write {missing} {word}"


def _unclaimed_words(parser: argparse.ArgumentParser, given: Sequence[str]) -> list[str]:
    """The words after the positional arguments' own that no option took as its value (a
    misspelt ``--confg loop.yaml`` keeps its word: the closest option is named instead)."""
    flags = {  # options that take no value; an unknown one is taken to have its own
        name
        for action in parser._actions  # argparse keeps its actions there alone
        if action.nargs == 0
        for name in action.option_strings
    }
    end = given.index("--") if "--" in given else len(given)
    words: list[str] = []
    after_option = False
    for word in given[:end]:
        if after_option:
            after_option = False
        elif word[:1] == "-":
            after_option = "=" not in word and word not in flags  # --suite=x carries it
        else:
            words.append(word)
    positionals = sum(1 for a in parser._actions if not a.option_strings and a.nargs is None)
    return words[positionals:]


FLAG_VALUE = re.compile(r"argument (\S+): ignored explicit argument '(.*)'", re.DOTALL)
"""argparse's line for ``--quick=1``, an option that takes no value given one."""


def flag_given_a_value(message: str, given: Sequence[str]) -> str:
    """``argument --quick takes no value, got --quick=1; write --quick alone, or leave it out``
    for argparse's ``argument --quick: ignored explicit argument '1'``, which named no fix and
    read as if the run went on without the value; ``message`` as it was otherwise. The option
    is named as typed (``-q`` or ``--quick``)."""
    match = FLAG_VALUE.fullmatch(message)
    if match is None:
        return message
    names, value = match.group(1).split("/"), match.group(2)
    typed = [name for name in names if any(word.startswith(f"{name}=") for word in given)]
    name = (typed or names)[-1]
    return (
        f"argument {name} takes no value, got {shlex.quote(f'{name}={value}')}; write {name} "
        "alone, or leave it out"
    )
