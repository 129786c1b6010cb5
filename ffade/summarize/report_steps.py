"""``ffade report``'s steps after the log is read, on a bar on stderr when the log is large.

On a grid of 100,000 states the rules and regions, the pictures, TensorBoard's copy of them
and report.json (each failing state's values) took 5 to 10 s after the log's bar had ended,
and the command looked stuck. The bar names the step under way; as every ffade bar, it redraws
on a terminal; in a file or CI log, it prints a line when it ends and now and then on a long
one (:func:`ffade.log_bars.bar_for`).
A small log's report takes a moment and shows no bar; no file the report writes changes.
"""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm

from ffade.log_bars import bar_for

BAR_FORMAT = "{desc}: {n_fmt}/{total_fmt} steps [{elapsed}]{postfix}"
"""Steps, not a rate: they take unequal times, so an estimate of the time left would mislead."""


class ReportSteps:
    """Steps counted on a bar ``shown`` or not: ``step(name)`` ends the last step and names the
    next; leaving the block ends the last. A step a refusal interrupts leaves no line."""

    def __init__(self, total: int, shown: bool) -> None:
        self._bar: tqdm | None = None
        if shown:
            self._bar = bar_for(
                sys.stderr, total=total, desc="writing the report", bar_format=BAR_FORMAT
            )
        self._started = False

    def step(self, name: str) -> None:
        if self._bar is None:
            return
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(name)

    def __enter__(self) -> ReportSteps:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is None:
            return
        if kind is None:
            self._bar.update(self._bar.total - self._bar.n)
            self._bar.set_postfix_str("done", refresh=False)
        else:  # the error's own line follows: a half bar above it would be noise
            self._bar.leave = False
        self._bar.close()
