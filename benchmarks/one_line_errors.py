"""The benchmarks' one-line endings: a refused argument, as ``ffade`` says it, and a Ctrl-C.

A refused argument is ffade's own parser's one line, named by the script: argparse's own
``error`` printed the whole usage block (five lines for discovery.py) above the ``PROG: error:
...`` line, so a typo in a flag scrolled the reason away; ``--help`` still shows the usage.

Imported, this module has a Ctrl-C that no benchmark catches end the process with
``SCRIPT: interrupted``, exit 130 (:func:`interrupted_in_one_line`): each script imports it
first, before torch and Lightning, whose import takes its first seconds."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import NoReturn

INTERRUPTED = 130
"""The shell's status for a command ended by Ctrl-C (128 + SIGINT)."""


def interrupted_in_one_line() -> None:
    """A KeyboardInterrupt no code catches (a Ctrl-C while the script still imports torch and
    Lightning, or parses its arguments) ends the process with ``SCRIPT: interrupted`` and exit
    130, as ``ffade`` says it, where Python printed its traceback.

    The line replaces the traceback (``sys.excepthook``); the status needs the process's last
    atexit hook, registered here, before the libraries register theirs, so that it runs after
    them: past that point Python would end the process by SIGINT. A Ctrl-C within a benchmark's
    runs is caught there (temporary_runs.py) and says what was kept."""
    shown = sys.excepthook
    stopped: list[bool] = []

    def one_line(
        kind: type[BaseException], error: BaseException, traceback: TracebackType | None
    ) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            shown(kind, error, traceback)
            return
        print(f"{Path(sys.argv[0]).name}: interrupted", file=sys.stderr)
        stopped.append(True)

    def with_its_status() -> None:
        if stopped:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(INTERRUPTED)

    atexit.register(with_its_status)
    sys.excepthook = one_line


interrupted_in_one_line()  # on import: each benchmark imports this module before anything heavy

# after the hook above: ffade's import registers its own atexit hook (the empty torchinductor
# folder's removal), which must run before this module's, the last, ends the process
from ffade.errors import OneLineParser  # noqa: E402


class ArgumentParser(OneLineParser):
    """ffade's own parser (:class:`ffade.errors.OneLineParser`), its errors said as ``SCRIPT:
    error: MESSAGE``, one line, exit 2.

    It was argparse's with a one-line error of its own, and lagged ``ffade``'s: a misspelt
    ``--tsak`` got no "did you mean '--task'?", ``-h x`` printed the help and exited 0,
    ``--no-compil`` silently meant ``--no-compile`` and ``--seeds 1 --seeds 2`` ran 2 seeds.
    The line ends without ``(see SCRIPT --help)``: ``SCRIPT`` alone is no command to type."""

    @property
    def speaker(self) -> str:  # type: ignore[override]
        return self.prog

    def see_help(self) -> str:
        return ""


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


BENCHMARKS = "discovery.py, coverage.py, scaling.py, target_speed.py or big_run.py"
"""The scripts in benchmarks/ that measure something, as README.md's Benchmarks lists them."""


def not_a_benchmark(docstring: str) -> NoReturn:
    """Ends a helper module run as a script (this one, temporary_runs.py). Run so, it once
    printed nothing and exited 0, ``--help`` included, as if it had measured something: now
    ``--help`` says what it is, exit 0, and anything else is one line naming the benchmarks,
    exit 2."""
    parser = ArgumentParser(
        description=f"{docstring}\n\nIt measures nothing: a module the benchmarks import, not one "
        f"of them.\nRun {BENCHMARKS} (README.md's Benchmarks).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(sys.argv[1:])
    parser.error(f"a module the benchmarks import, not a benchmark: run {BENCHMARKS}")


if __name__ == "__main__":
    not_a_benchmark(__doc__)
