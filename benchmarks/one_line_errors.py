"""The benchmarks' argument parser: a refused argument is one line, as ``ffade`` says it.

argparse's own ``error`` printed the whole usage block (five lines for discovery.py) above the
``PROG: error: ...`` line, so a typo in a flag scrolled the reason away; ``--help`` still shows
the usage."""

from __future__ import annotations

import argparse
from typing import NoReturn

USAGE_ERROR = 2
"""The exit status of a refused argument, as argparse and ``ffade`` give it."""


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` whose errors are one line, ``PROG: error: MESSAGE``, exit
    2, with no usage block above it."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")
