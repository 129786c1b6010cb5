"""The benchmarks' argument parser: a refused argument is one line, as ``ffade`` says it.

argparse's own ``error`` printed the whole usage block (five lines for discovery.py) above the
``PROG: error: ...`` line, so a typo in a flag scrolled the reason away; ``--help`` still shows
the usage."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

USAGE_ERROR = 2
"""The exit status of a refused argument, as argparse and ``ffade`` give it."""


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` whose errors are one line, ``PROG: error: MESSAGE``, exit
    2, with no usage block above it."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def at_least(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``least``, refused in the benchmarks' one
    wording (``must be a whole number, got 'x'``; ``must be at least 1, got 0``). Each script
    once said it its own way: argparse's ``invalid int value: 'x'`` beside discovery.py's."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:  # argparse would say "invalid whole_number value", naming this function
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return whole_number


positive_int = at_least(1)
"""A whole number of at least 1: a count of seeds, of steps, of evaluations."""
