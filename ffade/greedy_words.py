"""Why a command missed a positional argument the user typed: an option that takes several
words (``ffade report --axes``) took it as one of them.

``ffade report --axes rotation blur runs/x`` reads ``runs/x`` as a third concept label, and
argparse then says only that RUN_DIR is required, which the user sees typed on the line.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from itertools import takewhile


def swallowed_hint(parser: argparse.ArgumentParser, given: Sequence[str], message: str) -> str:
    """``; --axes took the words after it as its own (rotation, blur, runs/x): give RUN_DIR
    before --axes`` for argparse's "the following arguments are required" when a many-word
    option took words; empty otherwise. (``--`` would end its words, but makes every later
    word a positional one, options included: not a fix to suggest.)"""
    if not message.startswith("the following arguments are required: "):
        return ""
    missing = message.removeprefix("the following arguments are required: ")
    end = given.index("--") if "--" in given else len(given)
    for action in parser._actions:  # argparse keeps its actions there alone
        if action.nargs not in ("+", "*") or not action.option_strings:
            continue
        for at, word in enumerate(given[:end]):
            if word in action.option_strings:
                took = list(takewhile(lambda w: w[:1] != "-", given[at + 1 : end]))
                if took:
                    return (
                        f"; {word} took the words after it as its own ({', '.join(took)}): "
                        f"give {missing} before {word}"
                    )
    return ""
